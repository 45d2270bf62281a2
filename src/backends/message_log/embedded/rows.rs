//! The `messages` table's rows as the log's types, and the conditions
//! that page through them: shared by the embedded log and the archived
//! part of a Redis log.

use anyhow::anyhow;
use entity::{message_events, messages};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::backends::message_log::Position;
use crate::{
    error::{Error, Result},
    model::{ConversationId, StreamId, User, UserId, message::Message},
};

/// One row of the log by id.
pub(in crate::backends::message_log) async fn find_message(
    db: &DatabaseConnection,
    conversation: ConversationId,
    id: StreamId,
) -> Result<Option<messages::Model>> {
    let (Ok(ms), Ok(seq)) = (i64::try_from(id.ms), i64::try_from(id.seq)) else {
        return Ok(None);
    };
    Ok(messages::Entity::find_by_id((conversation.0, ms, seq))
        .one(db)
        .await?)
}

/// The last stored message at or before `at`, with its ordinal (the
/// embedded log's, and the archived part of a Redis log's).
pub(in crate::backends::message_log) async fn position_at(
    db: &DatabaseConnection,
    conversation: ConversationId,
    at: StreamId,
) -> Result<Option<Position>> {
    let (ms, seq) = saturating_i64(at);
    let not_after = Condition::any().add(messages::Column::Ms.lt(ms)).add(
        Condition::all()
            .add(messages::Column::Ms.eq(ms))
            .add(messages::Column::Seq.lte(seq)),
    );
    last_position(db, conversation, not_after).await
}

/// The last message of `conversation` matching `filter`, with its ordinal.
pub(super) async fn last_position(
    db: &DatabaseConnection,
    conversation: ConversationId,
    filter: Condition,
) -> Result<Option<Position>> {
    let row: Option<(i64, i64, Option<i64>)> = messages::Entity::find()
        .select_only()
        .column(messages::Column::Ms)
        .column(messages::Column::Seq)
        .column(messages::Column::Ordinal)
        .filter(messages::Column::ConversationId.eq(conversation.0))
        .filter(filter.clone())
        .order_by_desc(messages::Column::Ms)
        .order_by_desc(messages::Column::Seq)
        .into_tuple()
        .one(db)
        .await?;
    let Some((ms, seq, ordinal)) = row else {
        return Ok(None);
    };
    let count = match ordinal {
        Some(n) => to_u64(n)?,
        // Written by a chatstream older than ordinals, after the migration
        // numbered the rows: its place is the number of rows up to it.
        None => {
            messages::Entity::find()
                .filter(messages::Column::ConversationId.eq(conversation.0))
                .filter(filter)
                .count(db)
                .await?
        }
    };
    Ok(Some(Position {
        id: StreamId::new(to_u64(ms)?, to_u64(seq)?),
        count,
    }))
}

/// Rows strictly beyond `id` in the direction of `order`, comparing
/// `(ms, seq)` as a tuple: ids are numbers, and `"10-0" < "9-0"` as text.
pub(in crate::backends::message_log) fn beyond(id: StreamId, order: Order) -> Condition {
    let (ms, seq) = saturating_i64(id);
    let (ms_col, seq_col) = (messages::Column::Ms, messages::Column::Seq);
    let (ms_beyond, seq_beyond) = match order {
        Order::Desc => (ms_col.lt(ms), seq_col.lt(seq)),
        _ => (ms_col.gt(ms), seq_col.gt(seq)),
    };
    Condition::any()
        .add(ms_beyond)
        .add(Condition::all().add(ms_col.eq(ms)).add(seq_beyond))
}

/// Event rows strictly after `id`.
pub(super) fn events_beyond(id: StreamId) -> Condition {
    let (ms, seq) = saturating_i64(id);
    let (ms_col, seq_col) = (message_events::Column::Ms, message_events::Column::Seq);
    Condition::any()
        .add(ms_col.gt(ms))
        .add(Condition::all().add(ms_col.eq(ms)).add(seq_col.gt(seq)))
}

/// A cursor as columns. Stored ids fit in `i64`, so clamping a larger cursor
/// to `i64::MAX` changes no comparison with a row that can exist.
pub(super) fn saturating_i64(id: StreamId) -> (i64, i64) {
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    (clamp(id.ms), clamp(id.seq))
}

pub(in crate::backends::message_log) fn to_i64(n: u64) -> Result<i64, DbErr> {
    i64::try_from(n).map_err(|_| DbErr::Custom(format!("stream id part {n} exceeds i64")))
}

pub(super) fn to_u64(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::Storage(anyhow!("negative stream id part {n} in messages")))
}

pub(in crate::backends::message_log) fn to_message(row: messages::Model) -> Result<Message> {
    Ok(Message {
        id: StreamId::new(to_u64(row.ms)?, to_u64(row.seq)?),
        conversation_id: ConversationId(row.conversation_id),
        sender: User {
            id: UserId(row.user_id),
            email: row.user_email,
            username: row.username,
            first_name: row.first_name,
            last_name: row.last_name,
        },
        content: row.content,
        created_at: row.created_at,
        edited_at: row.edited_at,
        deleted: row.deleted,
    })
}
