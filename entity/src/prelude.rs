//! Short names for the entities, for `use entity::prelude::*`.

pub use super::conversations::Entity as Conversations;
pub use super::message_events::Entity as MessageEvents;
pub use super::messages::Entity as Messages;
pub use super::participants::Entity as Participants;
pub use super::read_markers::Entity as ReadMarkers;
pub use super::refresh_tokens::Entity as RefreshTokens;
pub use super::users::Entity as Users;
