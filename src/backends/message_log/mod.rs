//! The message log: an append-only, ordered stream of messages per
//! conversation, addressed by Redis-format stream ids.

pub mod embedded;
pub mod redis;

use async_trait::async_trait;

use crate::{
    domain::{
        ConversationId, StreamId,
        message::{Cursor, Message, NewMessage},
    },
    error::Result,
};

/// A page read from the log, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub messages: Vec<Message>,
    /// More messages exist beyond this page in the direction read.
    pub has_more: bool,
}

/// Storage for messages. Implementations: embedded (SQL via sea-orm) and
/// Redis Streams. Failures are `Error::Storage`.
#[async_trait]
pub trait MessageLog: Send + Sync {
    /// Appends a message and returns it with its new id. Ids are strictly
    /// increasing per conversation. Nothing is reported as stored unless it is.
    async fn append(&self, message: NewMessage) -> Result<Message>;

    /// The id of the conversation's latest message (`StreamId::MIN` when it
    /// has none), in order with appends: one that has not begun when this
    /// call is first polled gets a larger id. That order is what lets a
    /// subscriber take its start position before its other I/O.
    async fn last_id(&self, conversation: ConversationId) -> Result<StreamId>;

    /// Up to `limit` messages from `cursor` on, returned oldest first:
    /// `After` reads forwards, `Latest` and `Before` backwards.
    async fn read(
        &self,
        conversation: ConversationId,
        cursor: Cursor,
        limit: usize,
    ) -> Result<Page>;
}
