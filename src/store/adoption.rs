//! Taking over a django-chat database in place. django-chat's `users`,
//! `conversations` and `participants` are the tables chatstream's first
//! migrations describe (they create them only if absent), so adopting them
//! means: recognise them, check they have every column chatstream reads,
//! and let the migrations add chatstream's own tables beside them. Nothing
//! of django-chat's is altered: its `manage.py migrate --check` reads only
//! `django_migrations`, which chatstream never writes.

use migration::SchemaManager;
use sea_orm::{DatabaseConnection, DbErr};

/// The columns chatstream reads from each table it shares with django-chat.
const SHARED: [(&str, &[&str]); 3] = [
    (
        "users",
        &[
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "password",
            "is_active",
            "is_staff",
            "is_superuser",
            "date_joined",
            "last_login",
        ],
    ),
    (
        "conversations",
        &[
            "id",
            "name",
            "slug",
            "created_by_id",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "participants",
        &["id", "conversation_id", "user_id", "role", "joined_at"],
    ),
];

/// What chatstream's migrations are about to run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// An empty database, or one chatstream has already migrated.
    Own,
    /// django-chat's tables without chatstream's: adopt them.
    DjangoChat,
}

/// Looks at the database before migrating. A django-chat schema that lacks
/// a column chatstream reads is refused here, before anything is created.
pub async fn inspect(db: &DatabaseConnection) -> Result<Found, DbErr> {
    let schema = SchemaManager::new(db);
    let django = schema.has_table("django_migrations").await? && schema.has_table("users").await?;
    if !django || schema.has_table("seaql_migrations").await? {
        return Ok(Found::Own);
    }
    let mut missing = Vec::new();
    for (table, columns) in SHARED {
        if !schema.has_table(table).await? {
            missing.push(table.to_owned());
            continue;
        }
        for column in columns {
            if !schema.has_column(table, column).await? {
                missing.push(format!("{table}.{column}"));
            }
        }
    }
    if !missing.is_empty() {
        return Err(DbErr::Custom(format!(
            "this database holds a django-chat schema chatstream cannot adopt: missing {}",
            missing.join(", ")
        )));
    }
    Ok(Found::DjangoChat)
}
