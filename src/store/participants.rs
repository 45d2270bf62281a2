//! Queries on `participants`.

use chrono::{DateTime, Utc};
use entity::{participants, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Query},
};

use crate::model::{ConversationId, UserId};

pub async fn insert(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
    user: UserId,
    role: &str,
    now: DateTime<Utc>,
) -> Result<participants::Model, DbErr> {
    participants::ActiveModel {
        conversation_id: Set(conversation.0),
        user_id: Set(user.0),
        role: Set(role.to_owned()),
        joined_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The membership row of `user` in `conversation`, with the user: one query
/// answers "may they?" and "who are they?" for a send.
pub async fn membership(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
    user: UserId,
) -> Result<Option<(participants::Model, users::Model)>, DbErr> {
    let row = participants::Entity::find()
        .filter(participants::Column::ConversationId.eq(conversation.0))
        .filter(participants::Column::UserId.eq(user.0))
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    Ok(row.and_then(|(p, u)| u.map(|u| (p, u))))
}

/// Every participant of the given conversations with their users, in one query.
pub async fn with_users_for(
    db: &impl ConnectionTrait,
    conversations: &[ConversationId],
) -> Result<Vec<(participants::Model, users::Model)>, DbErr> {
    let ids: Vec<_> = conversations.iter().map(|c| c.0).collect();
    let rows = participants::Entity::find()
        .filter(participants::Column::ConversationId.is_in(ids))
        .order_by_asc(participants::Column::Id)
        .find_also_related(users::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, u)| u.map(|u| (p, u)))
        .collect())
}

/// Which of `users` share at least one conversation with `viewer`.
pub async fn sharing_with(
    db: &impl ConnectionTrait,
    viewer: UserId,
    users: &[UserId],
) -> Result<Vec<i64>, DbErr> {
    let viewers_conversations = Query::select()
        .column(participants::Column::ConversationId)
        .from(participants::Entity)
        .and_where(participants::Column::UserId.eq(viewer.0))
        .to_owned();
    participants::Entity::find()
        .select_only()
        .column(participants::Column::UserId)
        .distinct()
        .filter(participants::Column::UserId.is_in(users.iter().map(|u| u.0)))
        .filter(participants::Column::ConversationId.in_subquery(viewers_conversations))
        .into_tuple()
        .all(db)
        .await
}

/// The conversations `user` is in.
pub async fn conversations_of(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<ConversationId>, DbErr> {
    let ids: Vec<uuid::Uuid> = participants::Entity::find()
        .select_only()
        .column(participants::Column::ConversationId)
        .filter(participants::Column::UserId.eq(user.0))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(ConversationId).collect())
}

/// Deletes `user`'s membership; true when there was one.
pub async fn remove(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
    user: UserId,
) -> Result<bool, DbErr> {
    let deleted = participants::Entity::delete_many()
        .filter(participants::Column::ConversationId.eq(conversation.0))
        .filter(participants::Column::UserId.eq(user.0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Whether the conversation still has an admin.
pub async fn has_admin(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
) -> Result<bool, DbErr> {
    let admins = participants::Entity::find()
        .filter(participants::Column::ConversationId.eq(conversation.0))
        .filter(participants::Column::Role.eq("admin"))
        .count(db)
        .await?;
    Ok(admins > 0)
}

/// The participant who joined first (the lower id breaks a tie).
pub async fn longest_standing(
    db: &impl ConnectionTrait,
    conversation: ConversationId,
) -> Result<Option<participants::Model>, DbErr> {
    participants::Entity::find()
        .filter(participants::Column::ConversationId.eq(conversation.0))
        .order_by_asc(participants::Column::JoinedAt)
        .order_by_asc(participants::Column::Id)
        .one(db)
        .await
}

pub async fn set_role(
    db: &impl ConnectionTrait,
    participant: i64,
    role: &str,
) -> Result<(), DbErr> {
    participants::Entity::update_many()
        .col_expr(participants::Column::Role, Expr::value(role))
        .filter(participants::Column::Id.eq(participant))
        .exec(db)
        .await
        .map(drop)
}
