//! Messaging: send (validate -> authorize -> throttle -> append) and history.

use chrono::{DateTime, Utc};

use super::{ConversationId, StreamId, User};

/// A stored message. The sender is captured at send time, so showing a
/// message never needs another lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: StreamId,
    pub conversation_id: ConversationId,
    pub sender: User,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A message about to be appended to the log.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub conversation_id: ConversationId,
    pub sender: User,
    pub content: String,
    pub created_at: DateTime<Utc>,
}
