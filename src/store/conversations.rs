//! Queries on `conversations`.

use chrono::{DateTime, Utc};
use entity::{conversations, participants};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType,
    QueryFilter, QuerySelect, RelationTrait, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::model::{ConversationId, UserId};

pub async fn find(
    db: &impl ConnectionTrait,
    id: ConversationId,
) -> Result<Option<conversations::Model>, DbErr> {
    conversations::Entity::find_by_id(id.0).one(db).await
}

/// Slugs equal to `base` or starting with `base-`, to pick the next free one.
pub async fn slugs_like(db: &impl ConnectionTrait, base: &str) -> Result<Vec<String>, DbErr> {
    let rows = conversations::Entity::find()
        .select_only()
        .column(conversations::Column::Slug)
        .filter(
            Condition::any()
                .add(conversations::Column::Slug.eq(base))
                .add(conversations::Column::Slug.starts_with(format!("{base}-"))),
        )
        .into_tuple::<String>()
        .all(db)
        .await?;
    Ok(rows)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    name: &str,
    slug: &str,
    created_by: UserId,
    now: DateTime<Utc>,
) -> Result<conversations::Model, DbErr> {
    conversations::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        slug: Set(slug.to_owned()),
        created_by_id: Set(created_by.0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn touch(
    db: &impl ConnectionTrait,
    id: ConversationId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    conversations::Entity::update_many()
        .col_expr(conversations::Column::UpdatedAt, Expr::value(now))
        .filter(conversations::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Every conversation `user` takes part in, with its `updated_at`: two
/// columns per row, what ordering by latest activity needs before a page
/// can be chosen.
pub async fn updated_for_user(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbErr> {
    conversations::Entity::find()
        .select_only()
        .column(conversations::Column::Id)
        .column(conversations::Column::UpdatedAt)
        .join(
            JoinType::InnerJoin,
            conversations::Relation::Participants.def(),
        )
        .filter(participants::Column::UserId.eq(user.0))
        .into_tuple()
        .all(db)
        .await
}

/// These conversations, in no particular order.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[ConversationId],
) -> Result<Vec<conversations::Model>, DbErr> {
    conversations::Entity::find()
        .filter(conversations::Column::Id.is_in(ids.iter().map(|c| c.0)))
        .all(db)
        .await
}

/// Locks the conversation's row until the transaction ends (PostgreSQL;
/// SQLite serializes writers anyway).
pub async fn lock(db: &impl ConnectionTrait, id: ConversationId) -> Result<(), DbErr> {
    conversations::Entity::find_by_id(id.0)
        .lock_exclusive()
        .one(db)
        .await
        .map(drop)
}
