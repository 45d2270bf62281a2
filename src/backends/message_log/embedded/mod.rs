//! The embedded message log: messages durable in the `messages` table
//! (SQLite or PostgreSQL), with Redis-format ids assigned in-process.
//! Edits and deletes go to `message_events`, with ids from the same
//! per-conversation sequence (under the same tail lock), and change the
//! message's row, which holds its current state.

mod rows;
mod tail;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, sync::Arc};

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::Utc;
use entity::{message_events, messages};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait, sea_query::Expr,
};

pub(super) use rows::{beyond, find_message, position_at, to_i64, to_message};

use super::{Appended, Changed, EventPage, Head, MessageLog, Note, Page, Position};
use crate::backends::hub::{Hub, LiveFeed};
use crate::{
    error::{Error, Result},
    model::{
        ConversationId, StreamId, User, UserId,
        message::{Change, Cursor, Delivery, Event, Happened, Message, NewMessage},
    },
    store::is_unique_violation,
};
use rows::{events_beyond, to_u64};
use tail::{EmbeddedFeed, Tail, Tails, current_tail, load_last, next_id, now_ms, tail_of};

/// How many times one append re-reads the tail after losing a race to
/// another process writing the same conversation.
const MAX_ATTEMPTS: usize = 5;

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
