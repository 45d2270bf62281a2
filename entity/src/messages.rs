//! `messages`: the embedded message log. One row per stream entry; the
//! primary key `(conversation_id, ms, seq)` is the Redis-format stream id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ms: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub user_id: i64,
    pub username: String,
    pub user_email: String,
    pub first_name: String,
    pub last_name: String,
    pub content: String,
    pub created_at: DateTimeUtc,
    /// The message's place in its conversation (1, 2, ...); null only on
    /// rows written by a chatstream older than read markers.
    pub ordinal: Option<i64>,
    /// When the content was last edited; null unless edited.
    pub edited_at: Option<DateTimeUtc>,
    /// Deleted: the content is empty, the row keeps its id and ordinal.
    pub deleted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
