//! Schema migrations, run at start-up and by `chatstream migrate`. The same
//! migrations serve SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users;
mod m20261125_000002_create_conversations;
mod m20261125_000003_create_participants;
mod m20261125_000004_create_refresh_tokens;
mod m20261125_000005_create_messages;
mod m20261130_140001_create_read_markers;
mod m20261130_190001_create_message_events;

/// Applies chatstream's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_conversations::Migration),
            Box::new(m20261125_000003_create_participants::Migration),
            Box::new(m20261125_000004_create_refresh_tokens::Migration),
            Box::new(m20261125_000005_create_messages::Migration),
            Box::new(m20261130_140001_create_read_markers::Migration),
            Box::new(m20261130_190001_create_message_events::Migration),
        ]
    }
}
