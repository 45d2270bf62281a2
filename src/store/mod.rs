//! Every sea-orm query, one module per aggregate. Functions take any
//! `ConnectionTrait`, so the domain decides what runs in a transaction.

pub mod adoption;
pub mod conversations;
pub mod migrations;
pub mod participants;
pub mod read_markers;
pub mod tokens;
pub mod users;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::config::Config;

/// True when the error is a unique-constraint violation (a lost race).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Opens the pool for a `sqlite:` or `postgres://` URL.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 16 })
        .min_connections(1)
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(5))
        .sqlx_logging(false)
        // WAL lets readers run beside the writer, and NORMAL sync is durable
        // across process crashes (only an OS crash may lose the last commits):
        // the usual production settings for SQLite, several times faster
        // than the defaults for a write-heavy chat log.
        .map_sqlx_sqlite_opts(|opts| {
            // A missing file is created, as `?mode=rwc` asks, also when the
            // URL does not say so (`?mode=ro` still opens read-only).
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(5))
        });
    Database::connect(options).await
}

/// Opens the database and brings its schema up to date.
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(config.database_url.expose())
        .await
        .with_context(|| format!("cannot connect to the {} database", config.database_kind()))?;
    let migrate = async {
        let found = adoption::inspect(&db).await?;
        Migrator::up(&db, None).await?;
        Ok(found)
    };
    let found = migrations::serialized(&db, config.database_url.expose(), migrate)
        .await
        .context("database migrations failed")?;
    if found == adoption::Found::DjangoChat {
        tracing::info!(
            "adopted an existing django-chat schema: its tables and rows are kept as they are; \
             chatstream's own tables were added beside them"
        );
    }
    Ok(db)
}
