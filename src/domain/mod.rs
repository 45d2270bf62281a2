//! The rules of chatstream, once. Surfaces (REST, GraphQL, legacy WebSocket)
//! call these functions and map their results; nothing in here knows about
//! HTTP, GraphQL or Redis.

pub mod accounts;
pub mod auth_throttle;
pub mod catch_up;
pub mod conversations;
pub mod edits;
pub mod ids;
pub mod inbox;
pub mod membership;
pub mod message;
pub mod messaging;
pub mod paging;
pub mod passwords;
pub mod people;
pub mod presence;
pub mod read_state;
pub mod role;
pub mod sessions;
pub mod tokens;
pub mod typing;
pub mod unread;
pub mod visibility;

pub use ids::{ConversationId, StreamId, UserId};

/// Names, emails and other one-line text fields hold no control
/// characters: a NUL cannot even be stored in PostgreSQL text, and the
/// others have no business in a name.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// The field error for text that [`has_control`].
pub const NO_CONTROL: &str = "Control characters are not allowed.";

/// A user as every surface shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

impl User {
    /// "First Last", trimmed, as django-chat's `get_full_name`.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

impl From<entity::users::Model> for User {
    fn from(model: entity::users::Model) -> Self {
        Self {
            id: UserId(model.id),
            email: model.email,
            username: model.username,
            first_name: model.first_name,
            last_name: model.last_name,
        }
    }
}
