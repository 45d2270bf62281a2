//! Conversations in GraphQL.

use async_graphql::{Context, ErrorExtensions, ID, Object};

use super::{
    auth::ContextExt,
    types::{self, ConversationPage, ConversationType, CreateConversationInput, StreamIdScalar},
};
use crate::{
    domain::{
        conversations::{self, NewConversation, UserRef},
        membership,
        paging::PageSize,
        read_state,
    },
    error::Error,
};

#[derive(Default)]
pub struct ConversationsQuery;

#[Object]
impl ConversationsQuery {
    /// The caller's conversations by latest activity (the latest message,
    /// else `updatedAt`), newest first.
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] limit: Option<i32>,
        #[graphql(default = 0)] offset: Option<i32>,
    ) -> async_graphql::Result<ConversationPage> {
        let viewer = ctx.viewer()?;
        // An explicit null (or an unset variable) means the default.
        let limit = limit
            .map_or(Ok(PageSize::DEFAULT), |n| PageSize::strict(n.into()))
            .map_err(|e| e.extend())?;
        let offset = u64::try_from(offset.unwrap_or(0))
            .map_err(|_| Error::field("offset", "Must not be negative.").extend())?;
        let page = conversations::list(ctx.state()?, viewer, limit, offset)
            .await
            .map_err(|e| e.extend())?;
        Ok(page.into())
    }

    /// One conversation; null when absent or when the caller is not in it.
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ConversationType>> {
        let viewer = ctx.viewer()?;
        let id = types::conversation_id(&id, "id").map_err(|e| e.extend())?;
        match conversations::get(ctx.state()?, viewer, id).await {
            Ok(conversation) => Ok(Some(conversation.into())),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }
}

#[derive(Default)]
pub struct ConversationsMutation;

#[Object]
impl ConversationsMutation {
    /// Creates a conversation; the caller becomes its admin.
    async fn create_conversation(
        &self,
        ctx: &Context<'_>,
        input: CreateConversationInput,
    ) -> async_graphql::Result<ConversationType> {
        let viewer = ctx.viewer()?;
        let participant_ids = input
            .participant_ids
            .unwrap_or_default()
            .iter()
            .map(|id| types::user_id(id, "participantIds"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.extend())?;
        let input = NewConversation {
            name: input.name,
            participant_ids,
        };
        let conversation = conversations::create(ctx.state()?, viewer, input)
            .await
            .map_err(|e| e.extend())?;
        Ok(conversation.into())
    }

    /// Adds a user, by id or by email, as a member (admins only; idempotent).
    async fn add_participant(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        user_id: Option<ID>,
        email: Option<String>,
    ) -> async_graphql::Result<ConversationType> {
        let viewer = ctx.viewer()?;
        let id =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let user_id = user_id
            .map(|user| types::user_id(&user, "userId"))
            .transpose()
            .map_err(|e| e.extend())?;
        let target = UserRef::from_either(user_id, email).map_err(|e| e.extend())?;
        let conversation = conversations::add_participant(ctx.state()?, viewer, id, target)
            .await
            .map_err(|e| e.extend())?;
        Ok(conversation.into())
    }

    /// Marks the conversation read up to `upTo` (the last message at or
    /// before it). Moves forward only: an earlier position is a no-op.
    async fn mark_read(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        up_to: StreamIdScalar,
    ) -> async_graphql::Result<ConversationType> {
        let viewer = ctx.viewer()?;
        let id =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let up_to = read_state::parse_up_to("upTo", &up_to.0).map_err(|e| e.extend())?;
        let conversation = read_state::mark_read(ctx.state()?, viewer, id, up_to)
            .await
            .map_err(|e| e.extend())?;
        Ok(conversation.into())
    }

    /// Leaves the conversation; when the caller was its last admin, the
    /// longest-standing member becomes admin. Their live subscriptions end.
    async fn leave_conversation(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer()?;
        let id =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        membership::leave(ctx.state()?, viewer, id)
            .await
            .map_err(|e| e.extend())?;
        Ok(true)
    }

    /// Removes a participant (admins only); their live subscriptions end
    /// with FORBIDDEN on every node.
    async fn remove_participant(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer()?;
        let id =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let user = types::user_id(&user_id, "userId").map_err(|e| e.extend())?;
        membership::remove_participant(ctx.state()?, viewer, id, user)
            .await
            .map_err(|e| e.extend())?;
        Ok(true)
    }
}
