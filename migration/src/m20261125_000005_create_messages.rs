//! `messages`: the embedded message log, keyed by Redis-format stream id.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(uuid(Messages::ConversationId))
                    .col(big_integer(Messages::Ms))
                    .col(big_integer(Messages::Seq))
                    .col(big_integer(Messages::UserId))
                    .col(string_len(Messages::Username, 150))
                    .col(string_len(Messages::UserEmail, 254))
                    .col(string_len(Messages::FirstName, 150))
                    .col(string_len(Messages::LastName, 150))
                    .col(text(Messages::Content))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Messages::ConversationId)
                            .col(Messages::Ms)
                            .col(Messages::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Messages::Table, Messages::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ConversationId,
    Ms,
    Seq,
    UserId,
    Username,
    UserEmail,
    FirstName,
    LastName,
    Content,
    CreatedAt,
}
