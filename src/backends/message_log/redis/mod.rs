//! The message log on Redis Streams, one stream per conversation, with
//! django-chat's key and field names so either server reads the other's.
//! Its live side, the node's stream readers, is in [`stream_reader`].

pub mod archiver;
mod changes;
mod entry;
pub mod hot;
mod ordinals;
pub mod senders;
pub mod stream_reader;

use std::collections::HashMap;

use crate::backends::redis_conn::{RedisConn, storage};
use anyhow::anyhow;
use async_trait::async_trait;
use chrono::Utc;
use redis::{Value, streams::StreamRangeReply};

use self::{
    entry::{decode_entry, format_timestamp},
    hot::Hot,
    senders::Senders,
};
use super::{Appended, Changed, EventPage, Head, MessageLog, Note, Page, Position};
use crate::{
    backends::redis_keys::RedisKeys,
    error::{Error, Result},
    model::{
        ConversationId, StreamId, UserId,
        message::{Change, Cursor, Message, NewMessage},
    },
};

/// A [`MessageLog`] shared by every node through Redis.
pub struct RedisLog {
    manager: RedisConn,
    keys: RedisKeys,
    stream_maxlen: Option<u64>,
    senders: Senders,
    /// Present when the archive is on: entries beyond the hot limit move
    /// to the database, and reads continue there.
    hot: Option<Hot>,
}

impl RedisLog {
    /// `stream_maxlen` caps each stream approximately (`MAXLEN ~`); `None`
    /// keeps all history. `senders` completes django-chat's entries.
    pub fn new(
        manager: RedisConn,
        keys: RedisKeys,
        stream_maxlen: Option<u64>,
        senders: Senders,
    ) -> Self {
        Self {
            manager,
            keys,
            stream_maxlen,
            senders,
            hot: None,
        }
    }

    /// Turns the archive on: streams over `hot`'s limit are reported to
    /// the archiver, and reads go on into its database past the stream's
    /// first entry.
    pub fn with_archive(mut self, hot: Hot) -> Self {
        self.hot = Some(hot);
        self
    }

    /// `XRANGE`/`XREVRANGE` of up to `count` entries, decoded, in the
    /// order read, with how many entries were read and whether any message
    /// of the conversation was ever edited or deleted (in the same round
    /// trip: a page of a conversation without changes needs no overlay).
    /// With the archive on, also the stream's first id, read in the same
    /// transaction: the boundary below which entries are in the archive.
    async fn hot_range(
        &self,
        command: &str,
        conversation: ConversationId,
        (start, end): (String, &str),
        count: usize,
    ) -> Result<(Vec<Message>, usize, Option<StreamId>, bool)> {
        let key = self.keys.stream(conversation);
        let mut pipe = redis::pipe();
        if self.hot.is_some() {
            pipe.atomic();
            pipe.cmd("XRANGE")
                .arg(&key)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1);
        }
        pipe.cmd(command)
            .arg(&key)
            .arg(start)
            .arg(end)
            .arg("COUNT")
            .arg(count);
        pipe.cmd("EXISTS").arg(self.keys.changed(conversation));
        let mut replies: Vec<Value> = pipe
            .query_async(&mut self.manager.clone())
            .await
            .map_err(storage)?;
        let changed = match replies.pop() {
            Some(exists) => {
                redis::from_redis_value_ref::<bool>(&exists).map_err(|e| storage(e.into()))?
            }
            None => true,
        };
        let reply = match replies.pop() {
            Some(range) => redis::from_redis_value_ref::<StreamRangeReply>(&range)
                .map_err(|e| storage(e.into()))?,
            None => StreamRangeReply::default(),
        };
        let first = replies.pop().and_then(|first| {
            let first = redis::from_redis_value_ref::<StreamRangeReply>(&first).ok()?;
            first.ids.first().and_then(|e| e.id.parse().ok())
        });
        let messages = reply
            .ids
            .iter()
            .filter_map(|entry| decode_entry(conversation, &entry.id, &entry.map))
            .collect();
        Ok((messages, reply.ids.len(), first, changed))
    }

    /// `run` once per group of `conversations` whose keys share a hash
    /// slot (one group on a single server), the groups concurrently; the
    /// replies in `conversations` order, `None` where a reply fell short.
    async fn per_slot<T, F, Fut>(
        &self,
        conversations: &[ConversationId],
        run: F,
    ) -> Result<Vec<Option<T>>>
    where
        F: Fn(RedisConn, Vec<ConversationId>) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<Vec<T>>>,
    {
        let groups = self.keys.slot_groups(conversations);
        let replies = futures::future::try_join_all(groups.iter().map(|group| {
            let members = group.iter().map(|&i| conversations[i]).collect();
            run(self.manager.clone(), members)
        }))
        .await
        .map_err(storage)?;
        let mut ordered: Vec<Option<T>> = conversations.iter().map(|_| None).collect();
        for (group, reply) in groups.iter().zip(replies) {
            for (&index, value) in group.iter().zip(reply) {
                ordered[index] = Some(value);
            }
        }
        Ok(ordered)
    }

    /// Edits and deletes overlaid (unless the conversation has none),
    /// senders completed: at most one more round trip each per page,
    /// whichever tier its messages came from.
    async fn finish(
        &self,
        conversation: ConversationId,
        messages: &mut [Message],
        changed: bool,
    ) -> Result<()> {
        if changed {
            changes::overlay(
                &mut self.manager.clone(),
                self.keys.changed(conversation),
                messages,
            )
            .await
            .map_err(storage)?;
        }
        self.senders.complete(messages).await;
        Ok(())
    }
}

#[async_trait]
impl MessageLog for RedisLog {
    async fn append(&self, new: NewMessage) -> Result<Appended> {
        let sender = &new.sender;
        let fields = [
            ("user_id", sender.id.0.to_string()),
            ("username", sender.username.clone()),
            ("content", new.content.clone()),
            ("timestamp", format_timestamp(new.created_at)),
            ("user_email", sender.email.clone()),
            ("first_name", sender.first_name.clone()),
            ("last_name", sender.last_name.clone()),
            ("user_name", sender.full_name()),
        ];
        let keys = (
            self.keys.stream(new.conversation_id),
            self.keys.events(new.conversation_id),
        );
        let (id, count, length) =
            ordinals::append(&mut self.manager.clone(), keys, self.stream_maxlen, &fields)
                .await
                .map_err(storage)?;
        if let Some(tier) = &self.hot {
            tier.appended(new.conversation_id, length).await;
        }
        let id = id
            .parse::<StreamId>()
            .map_err(|_| Error::Storage(anyhow!("XADD returned {id:?}, not a stream id")))?;
        let message = Message {
            id,
            conversation_id: new.conversation_id,
            sender: new.sender,
            content: new.content,
            created_at: new.created_at,
            edited_at: None,
            deleted: false,
        };
        Ok(Appended { message, count })
    }

    async fn heads(
        &self,
        conversations: &[ConversationId],
    ) -> Result<HashMap<ConversationId, Head>> {
        if conversations.is_empty() {
            return Ok(HashMap::new());
        }
        let heads = self
            .per_slot(conversations, |mut conn, group| {
                let keys = group
                    .iter()
                    .map(|c| (self.keys.stream(*c), self.keys.changed(*c)))
                    .collect();
                async move { ordinals::heads(&mut conn, keys).await }
            })
            .await?;
        Ok(conversations
            .iter()
            .zip(heads)
            .filter_map(|(conversation, head)| {
                let (count, last, state) = head?;
                let (id, fields) = last?;
                let mut last = decode_entry(*conversation, &id, &fields)?;
                if let Some(state) = state {
                    changes::apply_state(&mut last, &state);
                }
                Some((*conversation, Head { last, count }))
            })
            .collect())
    }

    async fn position_at(
        &self,
        conversation: ConversationId,
        at: StreamId,
    ) -> Result<Option<Position>> {
        let key = self.keys.stream(conversation);
        let found = ordinals::position(&mut self.manager.clone(), key, at.to_string())
            .await
            .map_err(storage)?;
        let found = found.and_then(|(id, count)| {
            let id = id.parse().ok()?;
            Some(Position { id, count })
        });
        match (found, &self.hot) {
            // Nothing in the stream at or before `at`: it is older than
            // the stream's first entry, so the answer is in the archive.
            (None, Some(tier)) => tier.archive().position_at(conversation, at).await,
            (found, _) => Ok(found),
        }
    }

    async fn last_id(&self, conversation: ConversationId) -> Result<StreamId> {
        // Commands on one connection run in the order sent, and this is
        // sent on the first poll.
        // Both streams in one pipeline: the later of their tails.
        let (messages, events): (StreamRangeReply, StreamRangeReply) = redis::pipe()
            .cmd("XREVRANGE")
            .arg(self.keys.stream(conversation))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .cmd("XREVRANGE")
            .arg(self.keys.events(conversation))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.manager.clone())
            .await
            .map_err(storage)?;
        let last = |reply: &StreamRangeReply| {
            reply
                .ids
                .first()
                .and_then(|entry| entry.id.parse().ok())
                .unwrap_or(StreamId::MIN)
        };
        Ok(last(&messages).max(last(&events)))
    }

    async fn read(
        &self,
        conversation: ConversationId,
        cursor: Cursor,
        limit: usize,
    ) -> Result<Page> {
        // One entry more than asked tells whether more lie beyond the page.
        // Exclusive bounds are given as the neighbouring ids: nothing lies
        // after the largest id or before `0-0`, and Redis refuses `(` there.
        let fetch = limit.saturating_add(1);
        let (command, bounds) = match cursor {
            Cursor::After(id) => match id.successor() {
                Some(start) => ("XRANGE", (start.to_string(), "+")),
                None => return Ok(Page::default()),
            },
            Cursor::Latest => ("XREVRANGE", ("+".to_owned(), "-")),
            Cursor::Before(id) => match id.predecessor() {
                Some(end) => ("XREVRANGE", (end.to_string(), "-")),
                None => return Ok(Page::default()),
            },
        };
        let (hot, read, first, changed) =
            self.hot_range(command, conversation, bounds, fetch).await?;
        let (mut messages, read) = match &self.hot {
            Some(tier) => {
                tier.join(conversation, cursor, (hot, read, first), fetch)
                    .await?
            }
            None => (hot, read),
        };
        let has_more = read > limit;
        messages.truncate(limit);
        if command == "XREVRANGE" {
            messages.reverse();
        }
        self.finish(conversation, &mut messages, changed).await?;
        Ok(Page { messages, has_more })
    }

    async fn read_events(
        &self,
        conversation: ConversationId,
        after: StreamId,
        limit: usize,
    ) -> Result<EventPage> {
        let Some(start) = after.successor() else {
            return Ok(EventPage::default());
        };
        let messages = self.read(conversation, Cursor::After(after), limit).await?;
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.keys.events(conversation))
            .arg(start.to_string())
            .arg("+")
            .arg("COUNT")
            .arg(limit.saturating_add(1))
            .query_async(&mut self.manager.clone())
            .await
            .map_err(storage)?;
        let more = reply.ids.len() > limit;
        let changes = reply
            .ids
            .iter()
            .take(limit)
            .filter_map(|entry| changes::decode_event(conversation, &entry.id, &entry.map))
            .collect();
        Ok(EventPage::merge(messages, changes, more))
    }

    async fn get(&self, conversation: ConversationId, id: StreamId) -> Result<Option<Message>> {
        let (found, state): (StreamRangeReply, Option<String>) = redis::pipe()
            .cmd("XRANGE")
            .arg(self.keys.stream(conversation))
            .arg(id.to_string())
            .arg(id.to_string())
            .cmd("HGET")
            .arg(self.keys.changed(conversation))
            .arg(id.to_string())
            .query_async(&mut self.manager.clone())
            .await
            .map_err(storage)?;
        let mut messages: Vec<Message> = found
            .ids
            .iter()
            .filter_map(|entry| decode_entry(conversation, &entry.id, &entry.map))
            .collect();
        if messages.is_empty()
            && let Some(tier) = &self.hot
            && let Some(archived) = tier.archive().get(conversation, id).await?
        {
            messages.push(archived.message);
        }
        if let (Some(message), Some(state)) = (messages.first_mut(), state) {
            changes::apply_state(message, &state);
        }
        self.senders.complete(&mut messages).await;
        Ok(messages.pop())
    }

    async fn change(&self, from: &Message, by: UserId, change: Change) -> Result<Changed> {
        let conversation = from.conversation_id;
        let keys = changes::ChangeKeys {
            stream: self.keys.stream(conversation),
            events: self.keys.events(conversation),
            changed: self.keys.changed(conversation),
            deleted: self.keys.deleted(conversation),
        };
        let message = from.clone().changed(&change);
        let timestamp = format_timestamp(Utc::now());
        let record = |archived: Option<u64>| {
            let mut conn = self.manager.clone();
            let (keys, message, change) = (&keys, &message, &change);
            let by = (by.0, timestamp.clone());
            async move { changes::change(&mut conn, keys, message, change, by, archived).await }
        };
        let mut outcome = record(None).await.map_err(storage)?;
        // Not in the stream: archived (and trimmed) since it was read, or
        // long before. The archive is durable, so its row is proof enough.
        if matches!(outcome, changes::Outcome::Missing)
            && let Some(tier) = &self.hot
            && let Some(archived) = tier.archive().get(conversation, from.id).await?
        {
            outcome = record(Some(archived.ordinal)).await.map_err(storage)?;
        }
        Ok(match outcome {
            changes::Outcome::Missing => Changed::Missing,
            changes::Outcome::Deleted(state) => {
                let mut current = from.clone();
                changes::apply_state(&mut current, &state);
                Changed::AlreadyDeleted(current)
            }
            changes::Outcome::Changed(event) => Changed::Applied {
                message,
                event: event.parse().map_err(|_| {
                    Error::Storage(anyhow!("XADD returned {event:?}, not a stream id"))
                })?,
            },
        })
    }

    async fn note(&self, conversation: ConversationId, note: Note) -> Result<StreamId> {
        let keys = (
            self.keys.stream(conversation),
            self.keys.events(conversation),
        );
        let id = changes::note(&mut self.manager.clone(), keys, &note)
            .await
            .map_err(storage)?;
        id.parse()
            .map_err(|_| Error::Storage(anyhow!("XADD returned {id:?}, not a stream id")))
    }

    async fn deleted_after(
        &self,
        after: &[(ConversationId, u64)],
    ) -> Result<HashMap<ConversationId, u64>> {
        if after.is_empty() {
            return Ok(HashMap::new());
        }
        let conversations: Vec<ConversationId> = after.iter().map(|(c, _)| *c).collect();
        let ordinals: HashMap<ConversationId, u64> = after.iter().copied().collect();
        let counts = self
            .per_slot(&conversations, |mut conn, group| {
                let keys = group
                    .iter()
                    .map(|c| (self.keys.deleted(*c), ordinals.get(c).copied().unwrap_or(0)))
                    .collect();
                async move { changes::deleted_after(&mut conn, keys).await }
            })
            .await?;
        Ok(after
            .iter()
            .zip(counts)
            .filter_map(|((c, _), n)| Some((*c, n?)))
            .filter(|(_, n)| *n > 0)
            .collect())
    }
}

/// The id of the stream's last entry (`StreamId::MIN` when it has none).
pub(crate) async fn stream_tail(conn: &mut RedisConn, key: String) -> redis::RedisResult<StreamId> {
    let reply: StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    Ok(reply
        .ids
        .first()
        .and_then(|entry| entry.id.parse().ok())
        .unwrap_or(StreamId::MIN))
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use uuid::Uuid;

    use super::*;
    use crate::model::User;

    fn conversation() -> ConversationId {
        ConversationId(Uuid::nil())
    }

    /// Runs against the server in `TEST_REDIS_URL`; skipped when unset.
    #[tokio::test]
    async fn appends_and_pages_on_a_real_server() {
        let Some((mut manager, keys)) = crate::backends::redis_keys::test_server().await else {
            return;
        };
        let db = sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("sqlite");
        let log = RedisLog::new(manager.clone(), keys.clone(), None, Senders::new(db));
        let sender = User {
            id: UserId(7),
            email: "ada@example.com".into(),
            username: "ada".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
        };
        let mut written = Vec::new();
        for n in 0..5 {
            let new = NewMessage {
                conversation_id: conversation(),
                sender: sender.clone(),
                content: format!("message {n}"),
                created_at: DateTime::from_timestamp_micros(1_714_564_800_000_000 + n)
                    .expect("valid"),
            };
            written.push(log.append(new).await.expect("append").message);
        }
        let after = log
            .read(conversation(), Cursor::After(written[1].id), 2)
            .await
            .expect("read");
        assert_eq!(after.messages, written[2..4]);
        assert!(after.has_more);
        let before = log
            .read(conversation(), Cursor::Latest, 3)
            .await
            .expect("read");
        assert_eq!(before.messages, written[2..]);
        assert!(before.has_more);
        let _: i64 = redis::cmd("DEL")
            .arg(keys.stream(conversation()))
            .query_async(&mut manager)
            .await
            .expect("cleanup");
    }
}
