//! `participants`: one row per (conversation, user), with a role.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;
use crate::m20261125_000002_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An adopted django-chat table already has its own unique
        // (conversation_id, user_id) constraint and user_id index: a second
        // copy of each would only slow its writes.
        if manager.has_table("participants").await? {
            return Ok(());
        }
        manager
            .create_table(
                Table::create()
                    .table(Participants::Table)
                    .if_not_exists()
                    .col(big_integer(Participants::Id).auto_increment().primary_key())
                    .col(uuid(Participants::ConversationId))
                    .col(big_integer(Participants::UserId))
                    .col(string_len(Participants::Role, 10))
                    .col(timestamp_with_time_zone(Participants::JoinedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Participants::Table, Participants::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Participants::Table, Participants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("participants_conversation_user_uniq")
                    .table(Participants::Table)
                    .col(Participants::ConversationId)
                    .col(Participants::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Listing "my conversations" filters by user first.
        manager
            .create_index(
                Index::create()
                    .name("participants_user_idx")
                    .table(Participants::Table)
                    .col(Participants::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Participants::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Participants {
    Table,
    Id,
    ConversationId,
    UserId,
    Role,
    JoinedAt,
}
