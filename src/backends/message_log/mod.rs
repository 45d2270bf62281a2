//! The message log: an append-only, ordered stream of messages per
//! conversation, addressed by Redis-format stream ids.

pub mod embedded;
pub mod redis;

use async_trait::async_trait;

use crate::{
    domain::{
        ConversationId, StreamId,
        messaging::{Message, NewMessage},
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

    /// Up to `limit` messages strictly after `after` (from the start when
    /// `None`), oldest first.
    async fn read_after(
        &self,
        conversation: ConversationId,
        after: Option<StreamId>,
        limit: usize,
    ) -> Result<Page>;

    /// Up to `limit` messages strictly before `before` (the latest when
    /// `None`), returned oldest first.
    async fn read_before(
        &self,
        conversation: ConversationId,
        before: Option<StreamId>,
        limit: usize,
    ) -> Result<Page>;
}
