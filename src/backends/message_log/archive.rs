//! The archive: the cold part of a Redis-mode conversation, in the same
//! `messages` table the embedded log writes (so one schema serves both).
//! Rows hold a message as it was sent; its edited or deleted state stays
//! in Redis beside the stream (`chatstream:changed:`), which reads overlay
//! on archived and hot messages alike, so a change never has two homes.
//!
//! Every read here is bounded above by the stream's first id (`below`) as
//! read in the same Redis snapshot as the hot part of the page: rows the
//! archiver has written but not yet trimmed are still in Redis, and are
//! read from there, never twice.

use entity::messages;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::OnConflict,
};

use super::Position;
use super::embedded::{beyond, find_message, position_at, to_i64, to_message};
use crate::{
    error::Result,
    model::{ConversationId, StreamId, message::Message},
};

/// One message on its way to the archive, with its ordinal.
#[derive(Debug, Clone)]
pub struct Archived {
    pub message: Message,
    pub ordinal: u64,
}

/// The archive of every conversation, in the application database.
#[derive(Clone)]
pub struct Archive {
    db: DatabaseConnection,
}

impl Archive {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Writes `rows` in one statement; a row already there (an earlier run
    /// that stopped before trimming) is left as it is. Returns how many
    /// rows are new, so a resumed run counts nothing twice.
    pub async fn insert(&self, rows: &[Archived]) -> Result<u64> {
        let models = rows
            .iter()
            .map(|row| {
                let m = &row.message;
                Ok(messages::ActiveModel {
                    conversation_id: Set(m.conversation_id.0),
                    ms: Set(to_i64(m.id.ms)?),
                    seq: Set(to_i64(m.id.seq)?),
                    user_id: Set(m.sender.id.0),
                    username: Set(m.sender.username.clone()),
                    user_email: Set(m.sender.email.clone()),
                    first_name: Set(m.sender.first_name.clone()),
                    last_name: Set(m.sender.last_name.clone()),
                    content: Set(m.content.clone()),
                    created_at: Set(m.created_at),
                    ordinal: Set(Some(to_i64(row.ordinal)?)),
                    edited_at: Set(None),
                    deleted: Set(false),
                })
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        if models.is_empty() {
            return Ok(0);
        }
        let key = OnConflict::columns([
            messages::Column::ConversationId,
            messages::Column::Ms,
            messages::Column::Seq,
        ])
        .do_nothing()
        .to_owned();
        Ok(messages::Entity::insert_many(models)
            .on_conflict(key)
            .exec_without_returning(&self.db)
            .await?)
    }

    /// Up to `limit` archived messages strictly after `after` and before
    /// `below` (none: no upper bound), oldest first.
    pub async fn after(
        &self,
        conversation: ConversationId,
        after: StreamId,
        below: Option<StreamId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        self.range(
            conversation,
            beyond(after, Order::Asc),
            below,
            Order::Asc,
            limit,
        )
        .await
    }

    /// Up to `limit` archived messages strictly before `before` (none: the
    /// latest), newest first.
    pub async fn before(
        &self,
        conversation: ConversationId,
        before: Option<StreamId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        self.range(conversation, Condition::all(), before, Order::Desc, limit)
            .await
    }

    async fn range(
        &self,
        conversation: ConversationId,
        from: Condition,
        below: Option<StreamId>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Message>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let below = below.map_or_else(Condition::all, |id| beyond(id, Order::Desc));
        let rows = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation.0))
            .filter(from)
            .filter(below)
            .order_by(messages::Column::Ms, order.clone())
            .order_by(messages::Column::Seq, order)
            .limit(u64::try_from(limit).unwrap_or(u64::MAX))
            .all(&self.db)
            .await?;
        rows.into_iter().map(to_message).collect()
    }

    /// One archived message, as sent.
    pub async fn get(
        &self,
        conversation: ConversationId,
        id: StreamId,
    ) -> Result<Option<Archived>> {
        let Some(row) = find_message(&self.db, conversation, id).await? else {
            return Ok(None);
        };
        let ordinal = row.ordinal.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        Ok(Some(Archived {
            message: to_message(row)?,
            ordinal,
        }))
    }

    /// The last archived message at or before `at`, with its ordinal.
    pub async fn position_at(
        &self,
        conversation: ConversationId,
        at: StreamId,
    ) -> Result<Option<Position>> {
        position_at(&self.db, conversation, at).await
    }
}
