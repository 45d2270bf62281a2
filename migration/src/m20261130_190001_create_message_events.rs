//! Edits and deletes: `message_events` (each change to a message, with an
//! id from the same sequence as its conversation's messages) and the
//! current state of each message in `messages` (`edited_at`, `deleted`).
//!
//! Only a new table and new columns of `messages`, chatstream's own table:
//! django-chat's tables are not touched.

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
                    .table(MessageEvents::Table)
                    .if_not_exists()
                    .col(uuid(MessageEvents::ConversationId))
                    .col(big_integer(MessageEvents::Ms))
                    .col(big_integer(MessageEvents::Seq))
                    .col(string_len(MessageEvents::Kind, 32))
                    .col(big_integer(MessageEvents::MessageMs))
                    .col(big_integer(MessageEvents::MessageSeq))
                    .col(big_integer(MessageEvents::UserId))
                    .col(text(MessageEvents::Content))
                    .col(timestamp_with_time_zone(MessageEvents::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(MessageEvents::ConversationId)
                            .col(MessageEvents::Ms)
                            .col(MessageEvents::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MessageEvents::Table, MessageEvents::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(timestamp_with_time_zone_null(Messages::EditedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(boolean(Messages::Deleted).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Messages::Deleted, Messages::EditedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(MessageEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MessageEvents {
    Table,
    ConversationId,
    Ms,
    Seq,
    Kind,
    MessageMs,
    MessageSeq,
    UserId,
    Content,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    EditedAt,
    Deleted,
}
