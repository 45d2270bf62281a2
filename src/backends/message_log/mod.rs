//! The message log: an append-only, ordered stream of messages per
//! conversation, addressed by Redis-format stream ids. Every message also
//! has an ordinal, its place in the conversation (1, 2, ...), so "how many
//! messages after this one" is a subtraction, never a count of entries.
//!
//! Edits and deletes are events in the same order as the messages: each
//! gets an id from the same sequence, larger than every message and event
//! before it, so a reader resuming after any id misses none of either. The
//! log also keeps each message's current state, which reads return.

pub mod archive;
pub mod embedded;
pub mod redis;

use std::collections::HashMap;

pub use crate::model::message::Position;

use async_trait::async_trait;

use crate::{
    error::Result,
    model::{
        ConversationId, StreamId, User, UserId,
        message::{Change, Cursor, Delivery, Event, Message, NewMessage},
    },
};

/// A page read from the log, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub messages: Vec<Message>,
    /// More messages exist beyond this page in the direction read.
    pub has_more: bool,
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

/// Messages and events after an id, in id order.
#[derive(Debug, Default)]
pub struct EventPage {
    pub deliveries: Vec<Delivery>,
    /// More lie beyond the page.
    pub has_more: bool,
}

impl EventPage {
    /// Merges the messages and the changes read after the same id (each
    /// oldest first) into one page in id order. When either read was cut
    /// short, nothing beyond its last id is kept: the next read, after the
    /// last id kept, returns it in its place.
    pub fn merge(messages: Page, changes: Vec<Delivery>, changes_more: bool) -> Self {
        let cut = [
            messages
                .has_more
                .then(|| messages.messages.last().map(|m| m.id)),
            changes_more.then(|| changes.last().map(Delivery::position)),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .min();
        let mut deliveries: Vec<Delivery> = messages
            .messages
            .into_iter()
            .map(Delivery::new)
            .chain(changes)
            .filter(|d| cut.is_none_or(|cut| d.position() <= cut))
            .collect();
        deliveries.sort_by_key(Delivery::position);
        Self {
            deliveries,
            has_more: messages.has_more || changes_more,
        }
    }
}

/// An event of a conversation that is not about a message, to record in
/// its log.
#[derive(Clone, Debug)]
pub enum Note {
    /// `user`'s read marker moved to `up_to`.
    ReadMarkerMoved { user: User, up_to: StreamId },
    /// `user` was added.
    ParticipantJoined(User),
    /// `user` left or was removed.
    ParticipantLeft(User),
}

impl Note {
    /// The event as delivered, once it has its id.
    pub fn into_event(self, id: StreamId) -> Event {
        match self {
            Note::ReadMarkerMoved { user, up_to } => Event::ReadMarkerMoved { id, user, up_to },
            Note::ParticipantJoined(user) => Event::ParticipantJoined { id, user },
            Note::ParticipantLeft(user) => Event::ParticipantLeft { id, user },
        }
    }

    /// Its kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::ReadMarkerMoved { .. } => "read",
            Note::ParticipantJoined(_) => "joined",
            Note::ParticipantLeft(_) => "left",
        }
    }

    pub fn user(&self) -> &User {
        match self {
            Note::ReadMarkerMoved { user, .. }
            | Note::ParticipantJoined(user)
            | Note::ParticipantLeft(user) => user,
        }
    }
}

/// What became of a change to a message.
#[derive(Debug, Clone)]
pub enum Changed {
    /// Recorded as the event `event`; `message` is the message after it.
    Applied { message: Message, event: StreamId },
    /// The message was deleted before this change could apply; nothing was
    /// recorded.
    AlreadyDeleted(Message),
    /// No such message in the conversation.
    Missing,
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
    /// `After` reads forwards, `Latest` and `Before` backwards. Each in its
    /// current state (edited content, or deleted).
    async fn read(
        &self,
        conversation: ConversationId,
        cursor: Cursor,
        limit: usize,
    ) -> Result<Page>;

    /// Up to about `limit` messages and events (edits, deletes) after
    /// `after`, in id order: what a subscriber to every event replays.
    async fn read_events(
        &self,
        conversation: ConversationId,
        after: StreamId,
        limit: usize,
    ) -> Result<EventPage>;

    /// One message in its current state.
    async fn get(&self, conversation: ConversationId, id: StreamId) -> Result<Option<Message>>;

    /// Records `change` (by `by`) to message `id` as an event, in order with
    /// the messages, and applies it to the message's current state. `from`
    /// is the message as the caller read it, which the result is made from.
    async fn change(&self, from: &Message, by: UserId, change: Change) -> Result<Changed>;

    /// Records an event that is not about a message, in order with the
    /// messages and events, and returns its id.
    async fn note(&self, conversation: ConversationId, note: Note) -> Result<StreamId>;

    /// For each `(conversation, ordinal)`: how many deleted messages lie
    /// after that ordinal (absent when none), in one round trip.
    async fn deleted_after(
        &self,
        after: &[(ConversationId, u64)],
    ) -> Result<HashMap<ConversationId, u64>>;
}

/// Records a note after the change it reports has been committed: a
/// failure is logged, not returned, since the caller's request succeeded
/// (the event is missing from `conversationEvents`, nothing else).
pub async fn note_committed(log: &dyn MessageLog, conversation: ConversationId, note: Note) {
    if let Err(e) = log.note(conversation, note).await {
        e.log();
    }
}
