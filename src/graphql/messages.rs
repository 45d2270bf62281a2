//! Messages in GraphQL: history, send, and the live `messageAdded` feed.

use async_graphql::{Context, ErrorExtensions, ID, Object, Subscription};
use std::sync::Arc;

use futures::{StreamExt, future::BoxFuture, stream::BoxStream};

use super::{
    auth::ContextExt,
    live_message::{LiveMessage, RequestShape},
    types::{self, MessagePage, MessageType, StreamIdScalar},
    ws::SlowConsumer,
};
use crate::{
    domain::{
        ConversationId, StreamId, UserId, edits,
        message::Delivery,
        messaging::{self, Cursor, LiveEnd, LiveStream},
        paging::PageSize,
        state::AppState,
    },
    error::{Denied, Error},
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
        // An explicit null (or an unset variable) means the default.
        let limit = limit
            .map_or(Ok(PageSize::DEFAULT), |n| PageSize::strict(n.into()))
            .map_err(|e| e.extend())?;
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

    /// Edits a message (its sender only; the send rules and rate limit
    /// apply). A deleted message cannot be edited (`VALIDATION_ERROR`).
    async fn edit_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        message_id: StreamIdScalar,
        content: String,
    ) -> async_graphql::Result<MessageType> {
        let viewer = ctx.viewer()?;
        let conversation =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let id = edits::parse_message_id("message_id", &message_id.0).map_err(|e| e.extend())?;
        let message = edits::edit(ctx.state()?, viewer, conversation, id, &content)
            .await
            .map_err(|e| e.extend())?;
        Ok(message.into())
    }

    /// Deletes a message (its sender, or an admin of the conversation): it
    /// keeps its id, its content becomes "" and `deleted` true.
    async fn delete_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        message_id: StreamIdScalar,
    ) -> async_graphql::Result<MessageType> {
        let viewer = ctx.viewer()?;
        let conversation =
            types::conversation_id(&conversation_id, "conversationId").map_err(|e| e.extend())?;
        let id = edits::parse_message_id("message_id", &message_id.0).map_err(|e| e.extend())?;
        let message = edits::delete(ctx.state()?, viewer, conversation, id)
            .await
            .map_err(|e| e.extend())?;
        Ok(message.into())
    }
}

#[derive(Default)]
pub struct MessagesSubscription;

#[Subscription]
impl MessagesSubscription {
    /// New messages of a conversation (participants only). With `since`:
    /// first every message after it, in order, then live ones, with no gap
    /// and no duplicate. A subscriber that stays too far behind is closed
    /// with 4008; reconnecting with `since` resumes it.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        since: Option<StreamIdScalar>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<LiveMessage>>> {
        let shape = ctx.data_opt::<RequestShape>().cloned();
        subscribe_live(
            ctx,
            &conversation_id,
            since.as_ref(),
            messaging::live,
            move |delivery| LiveMessage {
                delivery,
                shape: shape.clone(),
            },
        )
        .await
    }
}

/// How a live feed is opened (`messaging::live`, `messaging::live_events`).
pub(super) type OpenLive = for<'a> fn(
    &'a AppState,
    UserId,
    ConversationId,
    Option<StreamId>,
) -> BoxFuture<'a, crate::error::Result<LiveStream>>;

/// A live subscription as async-graphql wants it.
type LiveField<T> = async_graphql::Result<BoxStream<'static, async_graphql::Result<T>>>;

/// What every live subscription does: parse its arguments, open the feed,
/// render each delivery, and map the feed's end.
///
/// Boxed: async-graphql keeps a subscription resolver's future inside the
/// subscription's stream for as long as it runs, so whatever this awaits
/// inline would be held by every idle subscriber.
pub(super) fn subscribe_live<'a, T: Send + 'static>(
    ctx: &'a Context<'_>,
    conversation_id: &'a ID,
    since: Option<&'a StreamIdScalar>,
    open: OpenLive,
    render: impl Fn(Arc<Delivery>) -> T + Send + 'static,
) -> BoxFuture<'a, LiveField<T>> {
    Box::pin(open_subscription(ctx, conversation_id, since, open, render))
}

async fn open_subscription<T: Send + 'static>(
    ctx: &Context<'_>,
    conversation_id: &ID,
    since: Option<&StreamIdScalar>,
    open: OpenLive,
    render: impl Fn(Arc<Delivery>) -> T + Send + 'static,
) -> LiveField<T> {
    let viewer = ctx.viewer()?;
    let conversation =
        types::conversation_id(conversation_id, "conversationId").map_err(|e| e.extend())?;
    let since = messaging::parse_since(since.map(|s| s.0.as_str())).map_err(|e| e.extend())?;
    // Only WebSocket connections carry the signal; elsewhere a slow
    // consumer's stream just ends.
    let slow = ctx.data_opt::<SlowConsumer>().cloned();
    let live = open(ctx.state()?, viewer, conversation, since)
        .await
        .map_err(|e| e.extend())?;
    // The feed ends after yielding an `Err`, so neither arm needs to stop it.
    Ok(live
        .filter_map(move |item| {
            futures::future::ready(match item {
                Ok(delivery) => Some(Ok(render(delivery))),
                Err(end) => ended(end, slow.as_ref()).map(Err),
            })
        })
        .boxed())
}

/// How a live stream's end reaches the client: a `FORBIDDEN` or storage
/// error on the operation, or (a slow consumer) no error but the socket
/// closed with 4008, where the transport can.
fn ended(end: LiveEnd, slow: Option<&SlowConsumer>) -> Option<async_graphql::Error> {
    match end {
        LiveEnd::SlowConsumer => {
            if let Some(slow) = slow {
                slow.trigger();
            }
            None
        }
        LiveEnd::Failed(e) => Some(e.extend()),
        LiveEnd::Revoked => Some(Error::Forbidden(Denied::NotParticipant).extend()),
    }
}
