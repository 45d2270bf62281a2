//! The hot tier of a Redis-mode conversation: its stream, holding the
//! latest `STREAM_HOT_MESSAGES` entries, with older ones in the archive
//! (see [`super::archiver`] for how they move).
//!
//! Reads ([`Hot::join`]) take the stream's first id in the same Redis
//! transaction as the hot part of a page: older ids are in the database,
//! that id and newer ones in the stream, so a page across the boundary has
//! no gap and no duplicate, whatever the archiver does meanwhile.

use std::{sync::Arc, time::Duration};

use crate::backends::redis_conn::{RedisConn, storage};
use chrono::Utc;
use tokio::sync::Notify;

use crate::{
    backends::{message_log::archive::Archive, redis_keys::RedisKeys},
    error::Result,
    model::{ConversationId, StreamId, message::Cursor, message::Message},
};

/// While a stream stays over its threshold (its entries too young to
/// move, or the archiver failing), one append in this many marks it due
/// again: one mark would do, were none ever lost.
const REMARK_EVERY: u64 = 64;

/// The hot tier's limit and the archive behind it, shared by the log
/// (reads across the boundary, due hints) and the node's archiver.
#[derive(Clone)]
pub struct Hot {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) archive: Archive,
    /// Entries each stream keeps.
    pub(super) limit: u64,
    /// Entries younger than this stay in the stream whatever the limit:
    /// the node's stream readers `XREAD` the stream itself, and an entry
    /// trimmed before a lagging reader got to it would never be published.
    pub(super) min_age: Duration,
    /// The length past which a stream is due: the limit plus a tenth, so
    /// a batch moves many entries, not one per append.
    pub(super) threshold: u64,
    pub(super) manager: RedisConn,
    pub(super) keys: RedisKeys,
    /// Wakes this node's archiver when its own appends make a stream due.
    pub(super) wake: Notify,
}

impl Hot {
    /// Streams keep `limit` entries (at least one: a stream's last entry
    /// is its tail), and every entry younger than `min_age`; older ones go
    /// to `archive`.
    pub fn new(
        archive: Archive,
        (limit, min_age): (u64, Duration),
        manager: RedisConn,
        keys: RedisKeys,
    ) -> Self {
        let limit = limit.max(1);
        Self {
            inner: Arc::new(Inner {
                archive,
                limit,
                min_age,
                threshold: limit + (limit / 10).max(1),
                manager,
                keys,
                wake: Notify::new(),
            }),
        }
    }

    pub fn archive(&self) -> &Archive {
        &self.inner.archive
    }

    /// After an append left the stream `length` long: marks it due when
    /// it has just gone over the threshold (appends grow a stream one at a
    /// time, so exactly one sees that length; the archiver marks a stream
    /// it leaves over), and again every [`REMARK_EVERY`] appends while it
    /// stays over, in case that mark was lost. A failure is logged, not
    /// returned: the message is stored, and a later append marks it again.
    pub(super) async fn appended(&self, conversation: ConversationId, length: u64) {
        let inner = &self.inner;
        let Some(over) = length.checked_sub(inner.threshold + 1) else {
            return;
        };
        if !over.is_multiple_of(REMARK_EVERY) {
            return;
        }
        if let Err(e) = mark_due(&mut inner.manager.clone(), &inner.keys, conversation).await {
            storage(e).log();
        }
        inner.wake.notify_one();
    }

    /// A page's hot part (`hot`: decoded entries in the order read, how
    /// many were read, and the stream's first id) completed from the
    /// archive up to `fetch` entries, in the same order; returns them and
    /// how many were read in all.
    pub(super) async fn join(
        &self,
        conversation: ConversationId,
        cursor: Cursor,
        (mut hot, read, first): (Vec<Message>, usize, Option<StreamId>),
        fetch: usize,
    ) -> Result<(Vec<Message>, usize)> {
        let archive = &self.inner.archive;
        match cursor {
            Cursor::After(after) => {
                // Everything archived is older than the stream's first id.
                if first.is_some_and(|first| first <= after) {
                    return Ok((hot, read));
                }
                let mut cold = archive.after(conversation, after, first, fetch).await?;
                let read = read + cold.len();
                cold.append(&mut hot);
                Ok((cold, read))
            }
            Cursor::Latest | Cursor::Before(_) => {
                let need = fetch.saturating_sub(read);
                if need == 0 {
                    return Ok((hot, read));
                }
                let before = match cursor {
                    Cursor::Before(before) => Some(before),
                    _ => None,
                };
                let below = match (before, first) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let cold = archive.before(conversation, below, need).await?;
                let read = read + cold.len();
                hot.extend(cold);
                Ok((hot, read))
            }
        }
    }
}

/// Marks a conversation due (keeping the time it first was).
pub(super) async fn mark_due(
    conn: &mut RedisConn,
    keys: &RedisKeys,
    conversation: ConversationId,
) -> redis::RedisResult<()> {
    redis::cmd("ZADD")
        .arg(keys.archive_due())
        .arg("NX")
        .arg(Utc::now().timestamp_millis())
        .arg(conversation.to_string())
        .query_async(conn)
        .await
}
