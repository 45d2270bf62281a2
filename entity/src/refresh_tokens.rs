//! `refresh_tokens`: one row per issued refresh token, so rotation can spend
//! each exactly once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// The token's `jti` claim.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: Uuid,
    pub user_id: i64,
    pub expires_at: DateTimeUtc,
    /// Set when the token is exchanged; a spent token is refused.
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
