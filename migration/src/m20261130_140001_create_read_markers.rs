//! Read state: `read_markers` (each participant's read position) and
//! `messages.ordinal` (each embedded message's place in its conversation),
//! so an unread count is a subtraction rather than a count of rows.
//!
//! Only new tables and a nullable column: django-chat's tables are not
//! touched, and `messages` is chatstream's own.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;
use crate::m20261125_000002_create_conversations::Conversations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReadMarkers::Table)
                    .if_not_exists()
                    .col(uuid(ReadMarkers::ConversationId))
                    .col(big_integer(ReadMarkers::UserId))
                    .col(big_integer_null(ReadMarkers::LastReadMs))
                    .col(big_integer_null(ReadMarkers::LastReadSeq))
                    .col(big_integer(ReadMarkers::ReadCount).default(0))
                    .col(timestamp_with_time_zone(ReadMarkers::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReadMarkers::ConversationId)
                            .col(ReadMarkers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReadMarkers::Table, ReadMarkers::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReadMarkers::Table, ReadMarkers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(big_integer_null(Messages::Ordinal))
                    .to_owned(),
            )
            .await?;
        // Rows written before this migration get their place: the number of
        // rows of their conversation up to and including them. Quadratic per
        // conversation, once.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE messages SET ordinal = (SELECT COUNT(*) FROM messages m2 \
                 WHERE m2.conversation_id = messages.conversation_id \
                 AND (m2.ms < messages.ms OR (m2.ms = messages.ms AND m2.seq <= messages.seq))) \
                 WHERE ordinal IS NULL",
            )
            .await?;
        // The latest message of a conversation is its largest ordinal: one
        // index probe each, and two writers can never claim the same place.
        manager
            .create_index(
                Index::create()
                    .name("messages_conversation_ordinal_uniq")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::Ordinal)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("messages_conversation_ordinal_uniq")
                    .table(Messages::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::Ordinal)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ReadMarkers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReadMarkers {
    Table,
    ConversationId,
    UserId,
    LastReadMs,
    LastReadSeq,
    ReadCount,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ConversationId,
    Ordinal,
}
