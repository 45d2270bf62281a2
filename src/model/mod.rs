//! The data every layer speaks in: ids, users, messages and their events,
//! participant roles. A leaf: it knows nothing of the services in `domain`,
//! the stores or the backends, so all of them can depend on it (the
//! backends store and fan out messages; the services decide what may be
//! stored) without depending on each other in a circle.

pub mod ids;
pub mod message;
pub mod role;
mod user;

pub use ids::{ConversationId, StreamId, UserId};
pub use user::User;
