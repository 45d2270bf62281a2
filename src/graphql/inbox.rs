//! `inbox`: one subscription for every conversation the viewer is in.

use async_graphql::{Context, ErrorExtensions, ID, SimpleObject, Subscription, Union};
use futures::{StreamExt, stream::BoxStream};

use super::{auth::ContextExt, types::ConversationType};
use crate::domain::inbox::{self, InboxEvent as DomainEvent};

/// One of my conversations changed: its latest message, my unread count or
/// its participants.
#[derive(SimpleObject, Clone)]
pub struct ConversationChanged {
    pub conversation: ConversationType,
}

/// I was added to a conversation (or created it).
#[derive(SimpleObject, Clone)]
pub struct AddedToConversation {
    pub conversation: ConversationType,
}

/// I left or was removed from a conversation.
#[derive(SimpleObject, Clone)]
pub struct RemovedFromConversation {
    pub conversation_id: ID,
}

/// What the inbox tells.
#[derive(Union, Clone)]
pub enum InboxEvent {
    ConversationChanged(ConversationChanged),
    AddedToConversation(AddedToConversation),
    RemovedFromConversation(RemovedFromConversation),
}

impl From<DomainEvent> for InboxEvent {
    fn from(event: DomainEvent) -> Self {
        match event {
            DomainEvent::Changed(c) => Self::ConversationChanged(ConversationChanged {
                conversation: (*c).into(),
            }),
            DomainEvent::Added(c) => Self::AddedToConversation(AddedToConversation {
                conversation: (*c).into(),
            }),
            DomainEvent::Removed(id) => Self::RemovedFromConversation(RemovedFromConversation {
                conversation_id: ID(id.to_string()),
            }),
        }
    }
}

#[derive(Default)]
pub struct InboxSubscription;

#[Subscription]
impl InboxSubscription {
    /// Every conversation I am in, joined ones included: a
    /// `ConversationChanged` when its latest message, my unread count or its
    /// participants change (at most one per conversation per 100 ms),
    /// `AddedToConversation`, `RemovedFromConversation`.
    async fn inbox(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<InboxEvent>>> {
        let viewer = ctx.viewer()?;
        let live = inbox::live(ctx.state()?, viewer)
            .await
            .map_err(|e| e.extend())?;
        Ok(live
            .map(|item| item.map(InboxEvent::from).map_err(|e| e.extend()))
            .boxed())
    }
}
