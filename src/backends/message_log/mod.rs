//! The message log: an append-only, ordered stream of messages per
//! conversation, addressed by Redis-format stream ids. Every message also
//! has an ordinal, its place in the conversation (1, 2, ...), so "how many
//! messages after this one" is a subtraction, never a count of entries.

pub mod embedded;
pub mod redis;

use std::collections::HashMap;

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

/// A place in a conversation: a message and how many messages the
/// conversation had up to and including it (its ordinal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub id: StreamId,
    pub count: u64,
}

/// A message just appended, with its ordinal.
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    pub count: u64,
}

/// A conversation's latest message and how many it has had in all.
#[derive(Debug, Clone)]
pub struct Head {
    pub last: Message,
    pub count: u64,
}

/// Storage for messages. Implementations: embedded (SQL via sea-orm) and
/// Redis Streams. Failures are `Error::Storage`.
#[async_trait]
pub trait MessageLog: Send + Sync {
    /// Appends a message and returns it with its new id and ordinal. Ids
    /// and ordinals are strictly increasing per conversation. Nothing is
    /// reported as stored unless it is.
    async fn append(&self, message: NewMessage) -> Result<Appended>;

    /// The latest message and message count of each of these conversations
    /// (absent when one has no message), in one round trip whatever their
    /// number.
    async fn heads(
        &self,
        conversations: &[ConversationId],
    ) -> Result<HashMap<ConversationId, Head>>;

    /// The last message at or before `at` and its ordinal; `None` when the
    /// conversation has none there.
    async fn position_at(
        &self,
        conversation: ConversationId,
        at: StreamId,
    ) -> Result<Option<Position>>;

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
