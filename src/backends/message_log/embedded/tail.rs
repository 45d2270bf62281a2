//! Each conversation's tail (its last id and message count) and the ids
//! after it. Appends, edits and notes hold a conversation's tail lock from
//! choosing an id until they have committed and published, which is what
//! makes ids commit in order and lets the live feed start exactly where the
//! published messages end.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use chrono::Utc;
use entity::message_events;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::rows::{last_position, to_u64};
use crate::backends::{hub::LiveFeed, message_log::Position};
use crate::{
    error::Result,
    model::{ConversationId, StreamId},
};

/// The last id written to one conversation (a message's or an event's) and
/// the message count: `None` until
/// read from the database, `StreamId::MIN` (an id Redis never assigns) and
/// 0 while it is empty. Holding the lock across the insert is what makes ids
/// and ordinals commit in order.
pub(super) type Tail = Arc<tokio::sync::Mutex<Option<Position>>>;

/// Every conversation's tail, shared by the log and its live feed.
pub(super) type Tails = Arc<Mutex<HashMap<ConversationId, Tail>>>;

/// The embedded log's [`LiveFeed`]: appends publish while holding their
/// conversation's tail lock, so the tail read under that lock is exactly
/// where the published messages end.
pub(super) struct EmbeddedFeed {
    pub(super) db: DatabaseConnection,
    pub(super) tails: Tails,
}

#[async_trait]
impl LiveFeed for EmbeddedFeed {
    async fn register(&self, conversation: ConversationId) -> Result<StreamId> {
        Ok(current_tail(&self.tails, &self.db, conversation).await?.id)
    }
}

/// The conversation's tail, read under its lock: appends hold that lock
/// from choosing an id until they have published, and tokio's mutex is
/// fair, so this is ordered with every append.
pub(super) async fn current_tail(
    tails: &Tails,
    db: &DatabaseConnection,
    conversation: ConversationId,
) -> Result<Position> {
    let tail = tail_of(tails, conversation);
    let mut last = tail.lock().await;
    match *last {
        Some(id) => Ok(id),
        None => {
            let id = load_last(db, conversation).await?;
            *last = Some(id);
            Ok(id)
        }
    }
}

pub(super) fn tail_of(tails: &Tails, conversation: ConversationId) -> Tail {
    // The map is only touched without awaiting, so a panic elsewhere
    // cannot leave it half-updated: a poisoned lock is still usable.
    let mut tails = tails.lock().unwrap_or_else(PoisonError::into_inner);
    tails.entry(conversation).or_default().clone()
}

/// The conversation's last id (a message's or an event's) and its message
/// count (`StreamId::MIN` and 0 when it has neither).
pub(super) async fn load_last(
    db: &DatabaseConnection,
    conversation: ConversationId,
) -> Result<Position> {
    let last = last_position(db, conversation, Condition::all()).await?;
    let mut position = last.unwrap_or(Position {
        id: StreamId::MIN,
        count: 0,
    });
    // An edit or delete may be the latest id of all.
    let event: Option<(i64, i64)> = message_events::Entity::find()
        .select_only()
        .column(message_events::Column::Ms)
        .column(message_events::Column::Seq)
        .filter(message_events::Column::ConversationId.eq(conversation.0))
        .order_by_desc(message_events::Column::Ms)
        .order_by_desc(message_events::Column::Seq)
        .into_tuple()
        .one(db)
        .await?;
    if let Some((ms, seq)) = event {
        position.id = position.id.max(StreamId::new(to_u64(ms)?, to_u64(seq)?));
    }
    Ok(position)
}

/// The id after `last` at wall-clock time `now_ms`, as Redis assigns them:
/// a new millisecond starts at sequence 0; a clock that stands still or
/// steps back keeps the last millisecond and counts up the sequence.
pub(super) fn next_id(last: StreamId, now_ms: u64) -> Option<StreamId> {
    if now_ms > last.ms {
        Some(StreamId::new(now_ms, 0))
    } else {
        last.successor()
    }
}

pub(super) fn now_ms() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}
