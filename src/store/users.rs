//! Queries on `users`.

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::domain::UserId;

/// A user row about to be inserted.
pub struct NewUser {
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    pub is_staff: bool,
    pub is_superuser: bool,
}

pub async fn find_by_id(
    db: &impl ConnectionTrait,
    id: UserId,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(id.0).one(db).await
}

/// `email` must already be normalized (lower-cased).
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await
}

/// Whether the email and the username are already in use, in one query.
/// Whether the email and the username (those given) are in use.
pub async fn taken(
    db: &impl ConnectionTrait,
    email: Option<&str>,
    username: Option<&str>,
) -> Result<(bool, bool), DbErr> {
    if email.is_none() && username.is_none() {
        return Ok((false, false));
    }
    let clashes = users::Entity::find()
        .filter(
            Condition::any()
                .add_option(email.map(|email| users::Column::Email.eq(email)))
                .add_option(username.map(|name| users::Column::Username.eq(name))),
        )
        .all(db)
        .await?;
    Ok((
        clashes.iter().any(|u| Some(u.email.as_str()) == email),
        clashes
            .iter()
            .any(|u| Some(u.username.as_str()) == username),
    ))
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<users::Model, DbErr> {
    users::ActiveModel {
        email: Set(new.email),
        username: Set(new.username),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        password: Set(new.password),
        is_active: Set(true),
        is_staff: Set(new.is_staff),
        is_superuser: Set(new.is_superuser),
        date_joined: Set(now),
        last_login: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn touch_last_login(
    db: &impl ConnectionTrait,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(
            users::Column::LastLogin,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Users with the given ids (unknown ids are simply absent).
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[UserId],
) -> Result<Vec<users::Model>, DbErr> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await
}
