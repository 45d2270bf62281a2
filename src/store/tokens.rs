//! Queries on `refresh_tokens`.

use chrono::{DateTime, Utc};
use entity::refresh_tokens;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::model::UserId;

pub async fn insert(
    db: &impl ConnectionTrait,
    jti: Uuid,
    user: UserId,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::ActiveModel {
        jti: Set(jti),
        user_id: Set(user.0),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Marks an unspent, unexpired token as spent. Returns false when it was
/// already spent, expired or never issued; the conditional update makes two
/// concurrent exchanges of one token succeed at most once.
pub async fn spend(
    db: &impl ConnectionTrait,
    jti: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Jti.eq(jti))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records a token that was never issued here (django-chat's, during a
/// cutover) as spent now. Returns false when its `jti` is already recorded:
/// it was issued here or used before. The insert that loses a race of two
/// exchanges does nothing, so one of them succeeds.
pub async fn spend_unrecorded(
    db: &impl ConnectionTrait,
    jti: Uuid,
    user: UserId,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = refresh_tokens::ActiveModel {
        jti: Set(jti),
        user_id: Set(user.0),
        expires_at: Set(expires_at),
        used_at: Set(Some(now)),
        created_at: Set(now),
    };
    let inserted = refresh_tokens::Entity::insert(row)
        .on_conflict(
            OnConflict::column(refresh_tokens::Column::Jti)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}
