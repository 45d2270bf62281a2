//! The embedded message log: messages durable in the `messages` table
//! (SQLite or PostgreSQL), with Redis-format ids assigned in-process.
//! Edits and deletes go to `message_events`, with ids from the same
//! per-conversation sequence (under the same tail lock), and change the
//! message's row, which holds its current state.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::Utc;
use entity::{message_events, messages};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};

use super::{Appended, Changed, EventPage, Head, MessageLog, Note, Page, Position};
use crate::backends::hub::{Hub, LiveFeed};
use crate::{
    domain::{
        ConversationId, StreamId, User, UserId,
        message::{Change, Cursor, Delivery, Event, Happened, Message, NewMessage},
    },
    error::{Error, Result},
    store::is_unique_violation,
};

/// How many times one append re-reads the tail after losing a race to
/// another process writing the same conversation.
const MAX_ATTEMPTS: usize = 5;

/// The last id written to one conversation (a message's or an event's) and
/// the message count: `None` until
/// read from the database, `StreamId::MIN` (an id Redis never assigns) and
/// 0 while it is empty. Holding the lock across the insert is what makes ids
/// and ordinals commit in order.
type Tail = Arc<tokio::sync::Mutex<Option<Position>>>;

/// Every conversation's tail, shared by the log and its live feed.
type Tails = Arc<Mutex<HashMap<ConversationId, Tail>>>;

/// A [`MessageLog`] in the application database; no other service needed.
pub struct EmbeddedLog {
    db: DatabaseConnection,
    /// The in-process live tail: every append is published here.
    hub: Arc<Hub>,
    tails: Tails,
}

impl EmbeddedLog {
    /// A log over the `messages` table of `db` (migrations already applied)
    /// that publishes each append to `hub`.
    pub fn new(db: DatabaseConnection, hub: Arc<Hub>) -> Self {
        Self {
            db,
            hub,
            tails: Tails::default(),
        }
    }

    /// What the hub asks where a conversation's live messages start.
    pub fn feed(&self) -> Arc<dyn LiveFeed> {
        Arc::new(EmbeddedFeed {
            db: self.db.clone(),
            tails: self.tails.clone(),
        })
    }

    fn tail(&self, conversation: ConversationId) -> Tail {
        tail_of(&self.tails, conversation)
    }

    async fn insert(&self, message: &Message, count: u64) -> Result<(), DbErr> {
        let (ms, seq) = (to_i64(message.id.ms)?, to_i64(message.id.seq)?);
        let sender = &message.sender;
        let row = messages::ActiveModel {
            conversation_id: Set(message.conversation_id.0),
            ms: Set(ms),
            seq: Set(seq),
            user_id: Set(sender.id.0),
            username: Set(sender.username.clone()),
            user_email: Set(sender.email.clone()),
            first_name: Set(sender.first_name.clone()),
            last_name: Set(sender.last_name.clone()),
            content: Set(message.content.clone()),
            created_at: Set(message.created_at),
            ordinal: Set(Some(to_i64(count)?)),
            edited_at: Set(None),
            deleted: Set(false),
        };
        messages::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map(drop)
    }
}

#[async_trait]
impl MessageLog for EmbeddedLog {
    async fn append(&self, new: NewMessage) -> Result<Appended> {
        let tail = self.tail(new.conversation_id);
        let mut last = tail.lock().await;
        let mut message = Message {
            id: StreamId::MIN,
            conversation_id: new.conversation_id,
            sender: new.sender,
            content: new.content,
            created_at: new.created_at,
            edited_at: None,
            deleted: false,
        };
        for _ in 0..MAX_ATTEMPTS {
            let previous = match *last {
                Some(id) => id,
                None => load_last(&self.db, message.conversation_id).await?,
            };
            // Until this insert is known to have committed, the tail is
            // unknown: a failure, or this future being dropped mid-insert,
            // makes the next append re-read it from the database.
            *last = None;
            message.id = next_id(previous.id, now_ms())
                .ok_or_else(|| Error::Storage(anyhow!("stream id space exhausted")))?;
            let count = previous.count + 1;
            match self.insert(&message, count).await {
                Ok(()) => {
                    *last = Some(Position {
                        id: message.id,
                        count,
                    });
                    // Published under the tail lock, so live order is id order.
                    self.hub.publish(message.clone());
                    return Ok(Appended { message, count });
                }
                // Another process wrote to this conversation: re-read the tail.
                Err(err) if is_unique_violation(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::Storage(anyhow!(
            "no free stream id in conversation {} after {MAX_ATTEMPTS} attempts",
            message.conversation_id
        )))
    }

    async fn last_id(&self, conversation: ConversationId) -> Result<StreamId> {
        Ok(current_tail(&self.tails, &self.db, conversation).await?.id)
    }

    async fn heads(
        &self,
        conversations: &[ConversationId],
    ) -> Result<HashMap<ConversationId, Head>> {
        if conversations.is_empty() {
            return Ok(HashMap::new());
        }
        // The row with each conversation's largest ordinal: one probe of
        // the (conversation_id, ordinal) index per conversation.
        let rows = messages::Entity::find()
            .filter(messages::Column::ConversationId.is_in(conversations.iter().map(|c| c.0)))
            .filter(Expr::cust(
                "ordinal = (SELECT MAX(m2.ordinal) FROM messages m2 \
                 WHERE m2.conversation_id = messages.conversation_id)",
            ))
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                let count = row.ordinal.map(to_u64).transpose()?.unwrap_or(0);
                let last = to_message(row)?;
                Ok((last.conversation_id, Head { last, count }))
            })
            .collect()
    }

    async fn position_at(
        &self,
        conversation: ConversationId,
        at: StreamId,
    ) -> Result<Option<Position>> {
        position_at(&self.db, conversation, at).await
    }

    async fn read(
        &self,
        conversation: ConversationId,
        cursor: Cursor,
        limit: usize,
    ) -> Result<Page> {
        let (order, beyond) = match cursor {
            Cursor::Latest => (Order::Desc, Condition::all()),
            Cursor::Before(id) => (Order::Desc, beyond(id, Order::Desc)),
            Cursor::After(id) => (Order::Asc, beyond(id, Order::Asc)),
        };
        // One row more than asked tells whether more lie beyond the page.
        let fetch = u64::try_from(limit.saturating_add(1)).unwrap_or(u64::MAX);
        let rows = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation.0))
            .filter(beyond)
            .order_by(messages::Column::Ms, order.clone())
            .order_by(messages::Column::Seq, order.clone())
            .limit(fetch)
            .all(&self.db)
            .await?;
        let has_more = rows.len() > limit;
        let mut messages = rows
            .into_iter()
            .take(limit)
            .map(to_message)
            .collect::<Result<Vec<_>>>()?;
        if matches!(order, Order::Desc) {
            messages.reverse();
        }
        Ok(Page { messages, has_more })
    }

    async fn read_events(
        &self,
        conversation: ConversationId,
        after: StreamId,
        limit: usize,
    ) -> Result<EventPage> {
        let messages = self.read(conversation, Cursor::After(after), limit).await?;
        let fetch = u64::try_from(limit.saturating_add(1)).unwrap_or(u64::MAX);
        let events = message_events::Entity::find()
            .filter(message_events::Column::ConversationId.eq(conversation.0))
            .filter(events_beyond(after))
            .order_by_asc(message_events::Column::Ms)
            .order_by_asc(message_events::Column::Seq)
            .limit(fetch)
            .all(&self.db)
            .await?;
        let more = events.len() > limit;
        let events: Vec<_> = events.into_iter().take(limit).collect();
        // The messages the changes are about (for their senders and times)
        // and the users the other events name: one query each.
        let is_change = |e: &message_events::Model| e.kind == "edited" || e.kind == "deleted";
        let about = events
            .iter()
            .filter(|e| is_change(e))
            .fold(Condition::any(), |any, e| {
                any.add(
                    Condition::all()
                        .add(messages::Column::Ms.eq(e.message_ms))
                        .add(messages::Column::Seq.eq(e.message_seq)),
                )
            });
        let rows: HashMap<(i64, i64), messages::Model> = if events.iter().any(is_change) {
            messages::Entity::find()
                .filter(messages::Column::ConversationId.eq(conversation.0))
                .filter(about)
                .all(&self.db)
                .await?
                .into_iter()
                .map(|row| ((row.ms, row.seq), row))
                .collect()
        } else {
            HashMap::new()
        };
        let user_ids: Vec<i64> = events
            .iter()
            .filter(|e| !is_change(e))
            .map(|e| e.user_id)
            .collect();
        let users: HashMap<i64, User> = if user_ids.is_empty() {
            HashMap::new()
        } else {
            entity::users::Entity::find()
                .filter(entity::users::Column::Id.is_in(user_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|u| (u.id, User::from(u)))
                .collect()
        };
        let mut changes = Vec::with_capacity(events.len());
        for event in events {
            let id = StreamId::new(to_u64(event.ms)?, to_u64(event.seq)?);
            let user = || {
                users.get(&event.user_id).cloned().unwrap_or_else(|| User {
                    id: UserId(event.user_id),
                    email: String::new(),
                    username: String::new(),
                    first_name: String::new(),
                    last_name: String::new(),
                })
            };
            let noted = match event.kind.as_str() {
                "read" => Some(Event::ReadMarkerMoved {
                    id,
                    user: user(),
                    up_to: StreamId::new(to_u64(event.message_ms)?, to_u64(event.message_seq)?),
                }),
                "joined" => Some(Event::ParticipantJoined { id, user: user() }),
                "left" => Some(Event::ParticipantLeft { id, user: user() }),
                _ => None,
            };
            if let Some(noted) = noted {
                changes.push(Delivery::event(conversation, noted));
                continue;
            }
            let Some(row) = rows.get(&(event.message_ms, event.message_seq)) else {
                continue;
            };
            let mut message = to_message(row.clone())?;
            let happened = if event.kind == "deleted" {
                message.content.clear();
                message.deleted = true;
                Happened::Deleted(id)
            } else {
                message.content = event.content;
                message.edited_at = Some(event.created_at);
                message.deleted = false;
                Happened::Edited(id)
            };
            changes.push(Delivery::of(message, happened));
        }
        Ok(EventPage::merge(messages, changes, more))
    }

    async fn get(&self, conversation: ConversationId, id: StreamId) -> Result<Option<Message>> {
        find_message(&self.db, conversation, id)
            .await?
            .map(to_message)
            .transpose()
    }

    async fn change(&self, from: &Message, by: UserId, change: Change) -> Result<Changed> {
        let conversation = from.conversation_id;
        let tail = self.tail(conversation);
        let mut last = tail.lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let Some(row) = find_message(&self.db, conversation, from.id).await? else {
                return Ok(Changed::Missing);
            };
            if row.deleted {
                return Ok(Changed::AlreadyDeleted(to_message(row)?));
            }
            let previous = match *last {
                Some(id) => id,
                None => load_last(&self.db, conversation).await?,
            };
            *last = None;
            let event = next_id(previous.id, now_ms())
                .ok_or_else(|| Error::Storage(anyhow!("stream id space exhausted")))?;
            let message = from.clone().changed(&change);
            match self.record(&message, event, by).await {
                Ok(()) => {
                    *last = Some(Position {
                        id: event,
                        count: previous.count,
                    });
                    let happened = match change {
                        Change::Edit { .. } => Happened::Edited(event),
                        Change::Delete => Happened::Deleted(event),
                    };
                    // Under the tail lock, like appends: live order is id order.
                    self.hub.deliver(Delivery::of(message.clone(), happened));
                    return Ok(Changed::Applied { message, event });
                }
                Err(err) if is_unique_violation(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::Storage(anyhow!(
            "no free stream id in conversation {conversation} after {MAX_ATTEMPTS} attempts"
        )))
    }

    async fn note(&self, conversation: ConversationId, note: Note) -> Result<StreamId> {
        let tail = self.tail(conversation);
        let mut last = tail.lock().await;
        let up_to = match &note {
            Note::ReadMarkerMoved { up_to, .. } => *up_to,
            _ => StreamId::MIN,
        };
        for _ in 0..MAX_ATTEMPTS {
            let previous = match *last {
                Some(id) => id,
                None => load_last(&self.db, conversation).await?,
            };
            *last = None;
            let id = next_id(previous.id, now_ms())
                .ok_or_else(|| Error::Storage(anyhow!("stream id space exhausted")))?;
            let row = message_events::ActiveModel {
                conversation_id: Set(conversation.0),
                ms: Set(to_i64(id.ms)?),
                seq: Set(to_i64(id.seq)?),
                kind: Set(note.kind().to_owned()),
                message_ms: Set(to_i64(up_to.ms)?),
                message_seq: Set(to_i64(up_to.seq)?),
                user_id: Set(note.user().id.0),
                content: Set(String::new()),
                created_at: Set(Utc::now()),
            };
            match message_events::Entity::insert(row)
                .exec_without_returning(&self.db)
                .await
            {
                Ok(_) => {
                    *last = Some(Position {
                        id,
                        count: previous.count,
                    });
                    let event = note.into_event(id);
                    self.hub.deliver(Delivery::event(conversation, event));
                    return Ok(id);
                }
                Err(err) if is_unique_violation(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::Storage(anyhow!(
            "no free stream id in conversation {conversation} after {MAX_ATTEMPTS} attempts"
        )))
    }

    async fn deleted_after(
        &self,
        after: &[(ConversationId, u64)],
    ) -> Result<HashMap<ConversationId, u64>> {
        if after.is_empty() {
            return Ok(HashMap::new());
        }
        let beyond = after.iter().fold(Condition::any(), |any, (c, n)| {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            any.add(
                Condition::all()
                    .add(messages::Column::ConversationId.eq(c.0))
                    .add(messages::Column::Ordinal.gt(n)),
            )
        });
        let rows: Vec<(uuid::Uuid, i64)> = messages::Entity::find()
            .select_only()
            .column(messages::Column::ConversationId)
            .column_as(messages::Column::Ms.count(), "deleted")
            .filter(messages::Column::Deleted.eq(true))
            .filter(beyond)
            .group_by(messages::Column::ConversationId)
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(c, n)| Ok((ConversationId(c), to_u64(n)?)))
            .collect()
    }
}

impl EmbeddedLog {
    /// Writes the event and the message's new state together.
    async fn record(&self, message: &Message, event: StreamId, by: UserId) -> Result<(), DbErr> {
        let conversation = message.conversation_id.0;
        let (message_ms, message_seq) = (to_i64(message.id.ms)?, to_i64(message.id.seq)?);
        let kind = if message.deleted { "deleted" } else { "edited" };
        let row = message_events::ActiveModel {
            conversation_id: Set(conversation),
            ms: Set(to_i64(event.ms)?),
            seq: Set(to_i64(event.seq)?),
            kind: Set(kind.to_owned()),
            message_ms: Set(message_ms),
            message_seq: Set(message_seq),
            user_id: Set(by.0),
            content: Set(message.content.clone()),
            created_at: Set(match message.edited_at {
                Some(at) if !message.deleted => at,
                _ => Utc::now(),
            }),
        };
        let txn = self.db.begin().await?;
        message_events::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        messages::Entity::update_many()
            .col_expr(
                messages::Column::Content,
                Expr::value(message.content.clone()),
            )
            .col_expr(messages::Column::EditedAt, Expr::value(message.edited_at))
            .col_expr(messages::Column::Deleted, Expr::value(message.deleted))
            .filter(messages::Column::ConversationId.eq(conversation))
            .filter(messages::Column::Ms.eq(message_ms))
            .filter(messages::Column::Seq.eq(message_seq))
            .exec(&txn)
            .await?;
        txn.commit().await
    }
}

/// One row of the log by id.
pub(super) async fn find_message(
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

/// The embedded log's [`LiveFeed`]: appends publish while holding their
/// conversation's tail lock, so the tail read under that lock is exactly
/// where the published messages end.
struct EmbeddedFeed {
    db: DatabaseConnection,
    tails: Tails,
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
async fn current_tail(
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

fn tail_of(tails: &Tails, conversation: ConversationId) -> Tail {
    // The map is only touched without awaiting, so a panic elsewhere
    // cannot leave it half-updated: a poisoned lock is still usable.
    let mut tails = tails.lock().unwrap_or_else(PoisonError::into_inner);
    tails.entry(conversation).or_default().clone()
}

/// The conversation's last id (a message's or an event's) and its message
/// count (`StreamId::MIN` and 0 when it has neither).
async fn load_last(db: &DatabaseConnection, conversation: ConversationId) -> Result<Position> {
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

/// The last message of `conversation` matching `filter`, with its ordinal.
/// The last stored message at or before `at`, with its ordinal (the
/// embedded log's, and the archived part of a Redis log's).
pub(super) async fn position_at(
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
pub(super) fn beyond(id: StreamId, order: Order) -> Condition {
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
fn events_beyond(id: StreamId) -> Condition {
    let (ms, seq) = saturating_i64(id);
    let (ms_col, seq_col) = (message_events::Column::Ms, message_events::Column::Seq);
    Condition::any()
        .add(ms_col.gt(ms))
        .add(Condition::all().add(ms_col.eq(ms)).add(seq_col.gt(seq)))
}

/// The id after `last` at wall-clock time `now_ms`, as Redis assigns them:
/// a new millisecond starts at sequence 0; a clock that stands still or
/// steps back keeps the last millisecond and counts up the sequence.
fn next_id(last: StreamId, now_ms: u64) -> Option<StreamId> {
    if now_ms > last.ms {
        Some(StreamId::new(now_ms, 0))
    } else {
        last.successor()
    }
}

fn now_ms() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

/// A cursor as columns. Stored ids fit in `i64`, so clamping a larger cursor
/// to `i64::MAX` changes no comparison with a row that can exist.
pub(super) fn saturating_i64(id: StreamId) -> (i64, i64) {
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    (clamp(id.ms), clamp(id.seq))
}

pub(super) fn to_i64(n: u64) -> Result<i64, DbErr> {
    i64::try_from(n).map_err(|_| DbErr::Custom(format!("stream id part {n} exceeds i64")))
}

pub(super) fn to_u64(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::Storage(anyhow!("negative stream id part {n} in messages")))
}

pub(super) fn to_message(row: messages::Model) -> Result<Message> {
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

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ActiveModelTrait;
    use uuid::Uuid;

    use super::*;

    /// A migrated SQLite database in a temporary directory, with one user
    /// and one conversation to write to.
    async fn fixture() -> (tempfile::TempDir, DatabaseConnection, NewMessage) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("log.db").display());
        let db = crate::store::connect(&url).await.expect("connect");
        Migrator::up(&db, None).await.expect("migrate");
        let user = entity::users::ActiveModel {
            email: Set("ada@example.com".into()),
            username: Set("ada".into()),
            first_name: Set("Ada".into()),
            last_name: Set("Lovelace".into()),
            password: Set("unused".into()),
            is_active: Set(true),
            is_staff: Set(false),
            is_superuser: Set(false),
            date_joined: Set(Utc::now()),
            last_login: Set(None),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("user");
        let conversation = entity::conversations::ActiveModel {
            id: Set(Uuid::new_v4()),
            name: Set("General".into()),
            slug: Set("general".into()),
            created_by_id: Set(user.id),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
        }
        .insert(&db)
        .await
        .expect("conversation");
        let template = NewMessage {
            conversation_id: ConversationId(conversation.id),
            sender: User::from(user),
            content: String::new(),
            created_at: Utc::now(),
        };
        (dir, db, template)
    }

    fn numbered(template: &NewMessage, n: usize) -> NewMessage {
        NewMessage {
            content: format!("message {n}"),
            ..template.clone()
        }
    }

    #[test]
    fn next_id_never_goes_back() {
        let last = StreamId::new(1_000, 4);
        assert_eq!(next_id(last, 1_001), Some(StreamId::new(1_001, 0)));
        assert_eq!(next_id(last, 1_000), Some(StreamId::new(1_000, 5)));
        // The wall clock stepped back: keep counting in the last millisecond.
        assert_eq!(next_id(last, 400), Some(StreamId::new(1_000, 5)));
        assert_eq!(next_id(StreamId::MIN, 7), Some(StreamId::new(7, 0)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends_get_distinct_increasing_ids() {
        let (_dir, db, template) = fixture().await;
        let log = Arc::new(EmbeddedLog::new(db, Hub::new(64)));
        let tasks: Vec<_> = (0..20)
            .map(|task| {
                let (log, template) = (log.clone(), template.clone());
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for n in 0..50 {
                        let message = numbered(&template, task * 50 + n);
                        ids.push(log.append(message).await.expect("append").message.id);
                    }
                    ids
                })
            })
            .collect();
        for task in tasks {
            let ids = task.await.expect("task");
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "per-task order");
        }
        let page = log
            .read(template.conversation_id, Cursor::After(StreamId::MIN), 1000)
            .await
            .expect("read");
        assert_eq!(page.messages.len(), 1000);
        assert!(!page.has_more);
        let ids: Vec<_> = page.messages.iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    }

    #[tokio::test]
    async fn pages_forward_and_backward_without_gap_or_duplicate() {
        let (_dir, db, template) = fixture().await;
        let log = EmbeddedLog::new(db, Hub::new(64));
        let conversation = template.conversation_id;
        let mut written = Vec::new();
        for n in 0..120 {
            written.push(
                log.append(numbered(&template, n))
                    .await
                    .expect("append")
                    .message,
            );
        }

        let (mut forward, mut cursor) = (Vec::new(), Cursor::After(StreamId::MIN));
        loop {
            let page = log.read(conversation, cursor, 50).await.expect("read");
            cursor = page.messages.last().map_or(cursor, |m| Cursor::After(m.id));
            forward.extend(page.messages);
            if !page.has_more {
                break;
            }
        }
        assert_eq!(forward, written);

        let (mut backward, mut cursor) = (Vec::new(), Cursor::Latest);
        loop {
            let page = log.read(conversation, cursor, 50).await.expect("read");
            cursor = page
                .messages
                .first()
                .map_or(cursor, |m| Cursor::Before(m.id));
            backward.splice(0..0, page.messages);
            if !page.has_more {
                break;
            }
        }
        assert_eq!(backward, written);
    }

    #[tokio::test]
    async fn a_clash_with_another_writer_rereads_the_tail() {
        let (_dir, db, template) = fixture().await;
        let (log, other) = (
            EmbeddedLog::new(db.clone(), Hub::new(64)),
            EmbeddedLog::new(db, Hub::new(64)),
        );
        // Another process wrote two ids in a future millisecond, so the
        // clock cannot step past them; `log` has only seen the first.
        let far = StreamId::new(now_ms() + 3_600_000, 0);
        for (n, id) in [far, StreamId::new(far.ms, 1)].into_iter().enumerate() {
            let new = numbered(&template, n);
            let message = Message {
                id,
                conversation_id: new.conversation_id,
                sender: new.sender,
                content: new.content,
                created_at: new.created_at,
                edited_at: None,
                deleted: false,
            };
            other.insert(&message, n as u64 + 1).await.expect("insert");
        }
        *log.tail(template.conversation_id).lock().await = Some(Position { id: far, count: 1 });
        let appended = log.append(numbered(&template, 2)).await.expect("append");
        assert_eq!(appended.message.id, StreamId::new(far.ms, 2));
        assert_eq!(appended.count, 3);
    }

    #[tokio::test]
    async fn ordinals_count_messages_and_place_positions() {
        let (_dir, db, template) = fixture().await;
        let log = EmbeddedLog::new(db, Hub::new(64));
        let conversation = template.conversation_id;
        assert!(log.heads(&[conversation]).await.expect("heads").is_empty());
        let mut written = Vec::new();
        for n in 0..5 {
            written.push(log.append(numbered(&template, n)).await.expect("append"));
        }
        assert_eq!(
            written.iter().map(|a| a.count).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        let heads = log.heads(&[conversation]).await.expect("heads");
        let head = heads.get(&conversation).expect("a head");
        assert_eq!((head.count, &head.last), (5, &written[4].message));

        let third = written[2].message.id;
        let at = |id| log.position_at(conversation, id);
        assert_eq!(
            at(third).await.expect("position"),
            Some(Position {
                id: third,
                count: 3
            })
        );
        // Between two messages: the earlier one.
        let between = StreamId::new(third.ms, third.seq)
            .successor()
            .expect("successor");
        if between < written[3].message.id {
            assert_eq!(
                at(between).await.expect("position").map(|p| p.count),
                Some(3)
            );
        }
        assert_eq!(at(StreamId::new(1, 0)).await.expect("position"), None);
        assert_eq!(
            at(StreamId::new(u64::MAX, 0))
                .await
                .expect("position")
                .map(|p| p.count),
            Some(5)
        );
    }
}
