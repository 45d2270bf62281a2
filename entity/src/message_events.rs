//! `message_events`: changes to messages of the embedded log (edits,
//! deletes). The primary key `(conversation_id, ms, seq)` is an id from the
//! same sequence as the conversation's messages.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ms: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// `edited` or `deleted`.
    pub kind: String,
    pub message_ms: i64,
    pub message_seq: i64,
    /// Who made the change.
    pub user_id: i64,
    /// The content after the change (empty for a delete).
    pub content: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
