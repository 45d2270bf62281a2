//! Migrations run by several nodes at once: one at a time per database.

use std::{fs::File, future::Future};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, TransactionTrait};

/// The advisory lock every chatstream node takes around its migrations
/// ("chatstre" in ASCII).
const MIGRATION_LOCK: i64 = 0x6368_6174_7374_7265;

/// Runs `migrate` while holding the database's migration lock: nodes started
/// together on a new database would otherwise all create the same tables
/// and all but one fail.
///
/// PostgreSQL: a transaction-scoped advisory lock on a connection of its
/// own, released when that transaction ends (also when this process dies).
/// SQLite: an exclusive `flock` on the database file, which SQLite's own
/// (`fcntl`) locks do not see; an in-memory database is private anyway.
pub async fn serialized<T>(
    db: &DatabaseConnection,
    url: &str,
    migrate: impl Future<Output = Result<T, DbErr>>,
) -> Result<T, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let lock = db.begin().await?;
            lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
            let migrated = migrate.await;
            lock.commit().await?;
            migrated
        }
        _ => {
            let _lock = match sqlite_file(url) {
                Some(path) => Some(lock_file(path.to_owned()).await?),
                None => None,
            };
            migrate.await
        }
    }
}

/// The file of a `sqlite:` URL, unless the database lives in memory.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.starts_with(":memory:")).then_some(path)
}

/// Waits (off the runtime) for an exclusive lock on `path`, held until the
/// returned file is dropped.
async fn lock_file(path: String) -> Result<File, DbErr> {
    let locked = tokio::task::spawn_blocking(move || {
        let file = File::open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| DbErr::Custom(format!("migration lock task failed: {e}")))?;
    locked.map_err(|e| DbErr::Custom(format!("cannot lock the database file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://chat.db?mode=rwc"), Some("chat.db"));
        assert_eq!(sqlite_file("sqlite:/tmp/c.db"), Some("/tmp/c.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
