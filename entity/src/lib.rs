//! sea-orm entities for chatstream's tables. Column names follow django-chat so
//! both services can share a database; finders live in the server's `store/`.

pub mod conversations;
pub mod message_events;
pub mod messages;
pub mod participants;
pub mod prelude;
pub mod read_markers;
pub mod refresh_tokens;
pub mod users;
