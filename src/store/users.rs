//! Queries on `users`.

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};

use crate::model::UserId;

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

/// Which of `ids` name an active account (by primary key: one indexed
/// lookup per id).
pub async fn active_among(db: &impl ConnectionTrait, ids: &[UserId]) -> Result<Vec<UserId>, DbErr> {
    let active: Vec<i64> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .filter(users::Column::IsActive.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    Ok(active.into_iter().map(UserId).collect())
}

/// `email` must already be normalized (lower-cased). chatstream stores
/// emails that way, so the indexed exact match finds its users; Django
/// lower-cases only the domain, so an adopted account may need the
/// case-insensitive scan.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    let exact = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?;
    if exact.is_some() {
        return Ok(exact);
    }
    users::Entity::find()
        .filter(email_ignoring_case(email))
        .one(db)
        .await
}

/// `lower(email) = email` (`email` already lower-cased).
fn email_ignoring_case(email: &str) -> Expr {
    ExprTrait::eq(
        Expr::expr(Func::lower(Expr::col(users::Column::Email))),
        email,
    )
}

/// Whether the email (in any case) and the username, those given, are
/// already in use, in one query.
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
                .add_option(email.map(email_ignoring_case))
                .add_option(username.map(|name| users::Column::Username.eq(name))),
        )
        .all(db)
        .await?;
    Ok((
        clashes
            .iter()
            .any(|u| email.is_some_and(|email| u.email.to_lowercase() == email)),
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

/// Replaces a password hash if it is still `old`; false when it was
/// changed meanwhile.
pub async fn replace_password(
    db: &impl ConnectionTrait,
    id: UserId,
    old: &str,
    new: String,
) -> Result<bool, DbErr> {
    let result = users::Entity::update_many()
        .col_expr(
            users::Column::Password,
            sea_orm::sea_query::Expr::value(new),
        )
        .filter(users::Column::Id.eq(id.0))
        .filter(users::Column::Password.eq(old))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
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

/// Active users whose username starts with `prefix` or whose email is
/// `email`, both compared lower-cased (callers pass them lower-cased): the
/// exact email first, then by lower-cased username. `%`, `_` and `\` in the prefix are
/// literal.
pub async fn search(
    db: &impl ConnectionTrait,
    prefix: &str,
    email: &str,
    limit: u64,
) -> Result<Vec<users::Model>, DbErr> {
    let escaped: String = prefix
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let lower = |column: users::Column| Expr::expr(Func::lower(Expr::col(column)));
    let email_matches = lower(users::Column::Email).eq(email);
    users::Entity::find()
        .filter(users::Column::IsActive.eq(true))
        .filter(
            Condition::any()
                .add(
                    lower(users::Column::Username)
                        .like(LikeExpr::new(format!("{escaped}%")).escape('\\')),
                )
                .add(email_matches.clone()),
        )
        // true after false on both databases: the exact email first.
        .order_by(email_matches, sea_orm::Order::Desc)
        .order_by(lower(users::Column::Username), sea_orm::Order::Asc)
        .limit(limit)
        .all(db)
        .await
}
