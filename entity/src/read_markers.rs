//! `read_markers`: how far each participant has read in a conversation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "read_markers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The stream id of the last message read; null before reading anything.
    pub last_read_ms: Option<i64>,
    pub last_read_seq: Option<i64>,
    /// How many of the conversation's messages lie at or before the marker
    /// (its ordinal); on joining, the count of messages that existed then.
    pub read_count: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
