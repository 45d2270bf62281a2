//! Messages in GraphQL: history and send.

use async_graphql::{Context, ErrorExtensions, ID, Object};

use super::{
    auth::ContextExt,
    types::{self, MessagePage, MessageType, StreamIdScalar},
};
use crate::{
    domain::messaging::{self, Cursor},
    error::Error,
};

#[derive(Default)]
pub struct MessagesQuery;

#[Object]
impl MessagesQuery {
    /// History: the latest `limit` messages, or strictly after `from`, or
    /// strictly before `before`; always oldest first. `limit` is 1..100.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        from: Option<StreamIdScalar>,
        before: Option<StreamIdScalar>,
        #[graphql(default = 50)] limit: Option<i32>,
    ) -> async_graphql::Result<MessagePage> {
        let viewer = ctx.viewer()?;
        let conversation =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let cursor = Cursor::parse(
            from.as_ref().map(|s| s.0.as_str()),
            before.as_ref().map(|s| s.0.as_str()),
        )
        .map_err(|e| e.extend())?;
        let limit = usize::try_from(limit.unwrap_or(50)).map_err(|_| {
            Error::field("limit", "Ensure this value is between 1 and 100.").extend()
        })?;
        let page = messaging::history(ctx.state()?, viewer, conversation, cursor, limit)
            .await
            .map_err(|e| e.extend())?;
        Ok(page.into())
    }
}

#[derive(Default)]
pub struct MessagesMutation;

#[Object]
impl MessagesMutation {
    /// Sends a message (1..2000 characters after trimming; rate limited).
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        content: String,
    ) -> async_graphql::Result<MessageType> {
        let viewer = ctx.viewer()?;
        let conversation =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let message = messaging::send(ctx.state()?, viewer, conversation, &content)
            .await
            .map_err(|e| e.extend())?;
        Ok(message.into())
    }
}
