//! Queries on `read_markers`: each participant's read position.

use chrono::{DateTime, Utc};
use entity::read_markers;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};

use crate::model::{ConversationId, UserId, message::Position};

/// `user`'s markers in these conversations (absent where none was set).
pub async fn for_user(
    db: &impl ConnectionTrait,
    user: UserId,
    conversations: &[ConversationId],
) -> Result<Vec<read_markers::Model>, DbErr> {
    read_markers::Entity::find()
        .filter(read_markers::Column::UserId.eq(user.0))
        .filter(read_markers::Column::ConversationId.is_in(conversations.iter().map(|c| c.0)))
        .all(db)
        .await
}

/// Moves the marker to `to` unless it is already there or beyond; true when
/// it moved. Forward-only under concurrency: the update is conditional, and
/// a marker created by a racing call between the update and the insert is
/// caught by updating once more.
pub async fn advance(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
    user: UserId,
    to: Position,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let (ms, seq, count) = (to_i64(to.id.ms)?, to_i64(to.id.seq)?, to_i64(to.count)?);
    let update = || {
        read_markers::Entity::update_many()
            .col_expr(read_markers::Column::LastReadMs, Expr::value(ms))
            .col_expr(read_markers::Column::LastReadSeq, Expr::value(seq))
            .col_expr(read_markers::Column::ReadCount, Expr::value(count))
            .col_expr(read_markers::Column::UpdatedAt, Expr::value(now))
            .filter(read_markers::Column::ConversationId.eq(conversation.0))
            .filter(read_markers::Column::UserId.eq(user.0))
            .filter(read_markers::Column::ReadCount.lt(count))
            .exec(db)
    };
    if update().await?.rows_affected > 0 {
        return Ok(true);
    }
    let row = read_markers::ActiveModel {
        conversation_id: Set(conversation.0),
        user_id: Set(user.0),
        last_read_ms: Set(Some(ms)),
        last_read_seq: Set(Some(seq)),
        read_count: Set(count),
        updated_at: Set(now),
    };
    if insert_if_absent(db, row).await? {
        return Ok(true);
    }
    Ok(update().await?.rows_affected > 0)
}

/// A newcomer's marker: the `count` messages sent before they joined are
/// not unread for them, though they have read nothing yet.
pub async fn start_at(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
    user: UserId,
    count: u64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = read_markers::ActiveModel {
        conversation_id: Set(conversation.0),
        user_id: Set(user.0),
        last_read_ms: Set(None),
        last_read_seq: Set(None),
        read_count: Set(to_i64(count)?),
        updated_at: Set(now),
    };
    insert_if_absent(db, row).await.map(drop)
}

/// Forgets `user`'s marker (they left): rejoining starts afresh.
pub async fn remove(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
    user: UserId,
) -> Result<(), DbErr> {
    read_markers::Entity::delete_many()
        .filter(read_markers::Column::ConversationId.eq(conversation.0))
        .filter(read_markers::Column::UserId.eq(user.0))
        .exec(db)
        .await
        .map(drop)
}

async fn insert_if_absent(
    db: &impl ConnectionTrait,
    row: read_markers::ActiveModel,
) -> Result<bool, DbErr> {
    let inserted = read_markers::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                read_markers::Column::ConversationId,
                read_markers::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

fn to_i64(n: u64) -> Result<i64, DbErr> {
    i64::try_from(n).map_err(|_| DbErr::Custom(format!("read position {n} exceeds i64")))
}
