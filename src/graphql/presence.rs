//! Typing and presence in GraphQL: `setTyping`, `User.online` and
//! `Conversation.onlineParticipants`. The signals themselves arrive on
//! `conversationEvents` (see `events.rs`).

use std::collections::HashMap;

use async_graphql::{
    ComplexObject, Context, ErrorExtensions, ID, Object,
    dataloader::{DataLoader, Loader},
};

use super::{
    auth::ContextExt,
    types::{self, ConversationType, UserType},
};
use crate::domain::{User, UserId, presence, state::AppState, typing};

#[derive(Default)]
pub struct PresenceMutation;

#[Object]
impl PresenceMutation {
    /// Says the caller is typing in the conversation (participants only),
    /// or with `typing: false` that they stopped. Call it on every
    /// keystroke: subscribers hear at most one `TypingChanged` per user per
    /// 2 s, and typing stops by itself 5 s after the last call, or when the
    /// caller sends a message. Always true.
    async fn set_typing(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        #[graphql(default_with = "Some(true)")] typing: Option<bool>,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer()?;
        let conversation =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        typing::set(ctx.state()?, viewer, conversation, typing.unwrap_or(true))
            .await
            .map_err(|e| e.extend())?;
        Ok(true)
    }
}

#[ComplexObject]
impl UserType {
    /// Connected now (a WebSocket open on any node). Shown only to the user
    /// and to people who share a conversation with them; false to anyone
    /// else.
    async fn online(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        if let Some(loader) = ctx.data_opt::<DataLoader<OnlineLoader>>() {
            return Ok(loader.load_one(self.user_id).await?.unwrap_or(false));
        }
        // graphql-ws operations carry no loader (it would weigh on every
        // subscription); they ask one user at a time.
        let Ok(viewer) = ctx.viewer() else {
            return Ok(false);
        };
        let seen = presence::seen_online(ctx.state()?, viewer, &[self.user_id])
            .await
            .map_err(|e| e.extend())?;
        Ok(seen.first().copied().unwrap_or(false))
    }
}

#[ComplexObject]
impl ConversationType {
    /// The participants connected now, on any node.
    async fn online_participants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserType>> {
        let users: Vec<User> = self.participant_users().collect();
        let online = presence::online_among(ctx.state()?, users)
            .await
            .map_err(|e| e.extend())?;
        Ok(online.into_iter().map(UserType::from).collect())
    }
}

/// Batches the `online` fields of one HTTP request: one query and one
/// Redis call for every user it shows.
pub struct OnlineLoader {
    state: AppState,
    viewer: Option<UserId>,
}

impl OnlineLoader {
    pub fn for_request(state: &AppState, viewer: Option<UserId>) -> DataLoader<OnlineLoader> {
        DataLoader::new(
            OnlineLoader {
                state: state.clone(),
                viewer,
            },
            tokio::spawn,
        )
    }
}

impl Loader<UserId> for OnlineLoader {
    type Value = bool;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, bool>, Self::Error> {
        let Some(viewer) = self.viewer else {
            return Ok(HashMap::new());
        };
        let seen = presence::seen_online(&self.state, viewer, keys)
            .await
            .map_err(|e| e.extend())?;
        Ok(keys.iter().copied().zip(seen).collect())
    }
}
