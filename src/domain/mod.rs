//! The rules of chatstream, once. Surfaces (REST, GraphQL, legacy WebSocket)
//! call these functions and map their results; nothing in here knows about
//! HTTP, GraphQL or Redis.

pub mod accounts;
pub mod auth_throttle;
pub mod catch_up;
pub mod conversations;
pub mod edits;
pub mod inbox;
pub mod membership;
pub mod messaging;
pub mod paging;
pub mod passwords;
pub mod people;
pub mod presence;
pub mod read_state;
pub mod sessions;
pub mod state;
pub mod tokens;
pub mod typing;
pub mod unread;
pub mod visibility;

// The model's types, where the services' callers have always found them.
pub use crate::model::{ConversationId, StreamId, User, UserId, ids, message, role};

/// Names, emails and other one-line text fields hold no control
/// characters: a NUL cannot even be stored in PostgreSQL text, and the
/// others have no business in a name.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// The field error for text that [`has_control`].
pub const NO_CONTROL: &str = "Control characters are not allowed.";
