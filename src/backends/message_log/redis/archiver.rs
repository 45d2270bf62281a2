//! The archive of Redis streams (`STREAM_HOT_MESSAGES`): each stream keeps
//! its latest N entries; older ones move to the `messages` table and are
//! then trimmed, so Redis memory stays flat and history stays whole.
//!
//! Who archives: an append that leaves a stream more than a tenth over its
//! limit adds the conversation to a sorted set of due conversations (scored
//! by when), which survives any node's crash. One node at a time, the
//! holder of a lease (`SET NX PX`, renewed while it works, released on
//! shutdown, taken over by another node when it expires), works through
//! that set.
//!
//! Entries younger than `STREAM_ARCHIVE_MIN_AGE_SECS` stay whatever the
//! limit: the node's stream readers `XREAD` the stream itself (only pages
//! and catch-ups read across the boundary), so an entry trimmed before a
//! lagging reader reached it would never be published live.
//!
//! How, in steps that are each safe to repeat after a crash between any
//! two of them: (1) read the oldest entries beyond the limit, with the
//! numbers that give each its ordinal; (2) insert them into the database
//! in one statement, `ON CONFLICT DO NOTHING` on the stream id, so a batch
//! written by a node that died before trimming is not written twice;
//! (3) only then `XTRIM MINID` past the last of them, which never removes
//! an entry that is not committed in the database. The lease only saves
//! work: two nodes running a batch at once (a paused holder whose lease
//! ran out) still write each row once and trim the same entries.
//!
//! Reads across the boundary, and the hints that make a stream due, are
//! in [`super::hot`].

use std::{sync::LazyLock, time::Duration};

use crate::backends::redis_conn::RedisConn;
use anyhow::anyhow;
use chrono::Utc;
use redis::{Script, streams::StreamRangeReply};
use tokio_util::sync::CancellationToken;

use super::{
    entry::decode_entry,
    hot::{Hot, mark_due},
};
use crate::{
    backends::{message_log::archive::Archived, redis_conn::storage},
    error::{Error, Result},
    model::{ConversationId, StreamId},
};

/// Entries per database insert (13 columns each: far below either
/// database's parameter limit).
const BATCH: usize = 500;
/// Conversations taken from the due set per pass.
const CONVERSATIONS_PER_PASS: isize = 100;
/// How long the lease lasts unless renewed; the holder renews it after
/// every batch, so a dead holder delays archiving by at most this.
const LEASE: Duration = Duration::from_secs(10);
/// How often a node looks at the due set without being woken (another
/// node's appends, a lease to take over, the lag gauge).
const TICK: Duration = Duration::from_secs(1);
/// Retries after a failure (a database blip) wait from this, doubling ...
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// ... up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// KEYS[1]: a stream; ARGV[1]: its hot limit; ARGV[2]: the batch size;
/// ARGV[3]: the minimum age in milliseconds. Returns `{entries-added,
/// length, oldest entries beyond the limit and older than the minimum}`.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local len = redis.call('XLEN', KEYS[1])
local excess = len - tonumber(ARGV[1])
if excess <= 0 then return {0, len, {}} end
local t = redis.call('TIME')
local newest = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[3])
if newest < 0 then return {0, len, {}} end
local added = 0
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'entries-added' then added = info[i + 1] end
end
local upto = string.format('%.0f', newest)
return {added, len, redis.call('XRANGE', KEYS[1], '-', upto, 'COUNT', math.min(excess, tonumber(ARGV[2])))}
",
    )
});

/// KEYS[1]: the lease; ARGV[1]: this node; ARGV[2]: milliseconds. Takes
/// the lease when free, renews it when held; 1 when this node holds it.
static LEASE_TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
",
    )
});

/// KEYS[1]: the lease; ARGV[1]: this node. Frees the lease if it holds it.
static LEASE_RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
",
    )
});

/// Starts this node's archiver on `hot`'s streams; it stops (releasing its
/// lease) on `shutdown`.
pub fn start(hot: Hot, shutdown: CancellationToken) {
    metrics::counter!("archive_entries_total").increment(0);
    metrics::counter!("archive_failures_total").increment(0);
    metrics::gauge!("archive_lag_seconds").set(0.0);
    let archiver = Archiver {
        hot,
        node: uuid::Uuid::new_v4().simple().to_string(),
    };
    tokio::spawn(archiver.run(shutdown));
}

/// How a pass ended.
enum Pass {
    /// Nothing more due now (or the lease is another node's).
    Done,
    /// A full pass: more may be due at once.
    More,
    /// Every conversation tried failed: back off.
    Stalled,
}

/// How one conversation's archiving ended.
enum Caught {
    /// Within its limit: no longer due.
    Up,
    /// Over its limit, but its oldest entries are too young to move.
    Waiting,
    /// Another node holds the lease now.
    LeaseLost,
}

/// One node's archiving task.
struct Archiver {
    hot: Hot,
    node: String,
}

impl Archiver {
    async fn run(self, shutdown: CancellationToken) {
        let mut backoff: Option<Duration> = None;
        loop {
            let wake = self.hot.inner.wake.notified();
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = wake, if backoff.is_none() => {}
                () = tokio::time::sleep(backoff.unwrap_or(TICK)) => {}
            }
            // A failure is retried after a pause, from wherever it stopped:
            // the node stays healthy, and `archive_lag_seconds` shows it.
            let stalled = match self.pass().await {
                Ok(Pass::Done) => false,
                Ok(Pass::More) => {
                    self.hot.inner.wake.notify_one();
                    false
                }
                Ok(Pass::Stalled) => true,
                Err(e) => {
                    e.log();
                    metrics::counter!("archive_failures_total").increment(1);
                    true
                }
            };
            backoff = stalled.then(|| backoff.map_or(FIRST_BACKOFF, |b| (b * 2).min(MAX_BACKOFF)));
        }
        let inner = &self.hot.inner;
        let released: redis::RedisResult<i64> = LEASE_RELEASE
            .key(inner.keys.archive_lease())
            .arg(&self.node)
            .invoke_async(&mut inner.manager.clone())
            .await;
        if let Err(e) = released {
            storage(e).log();
        }
    }

    /// Archives the due conversations of one pass when this node holds
    /// the lease. A conversation's failure is logged and counted here.
    async fn pass(&self) -> Result<Pass> {
        let inner = &self.hot.inner;
        let mut conn = inner.manager.clone();
        let mut more = false;
        if self.lease(&mut conn).await? {
            let due: Vec<String> = redis::cmd("ZRANGE")
                .arg(inner.keys.archive_due())
                .arg(0)
                .arg(CONVERSATIONS_PER_PASS - 1)
                .query_async(&mut conn)
                .await
                .map_err(storage)?;
            more = due.len() >= usize::try_from(CONVERSATIONS_PER_PASS).unwrap_or(usize::MAX);
            let (mut archived, mut waiting, mut failed) = (0, 0, false);
            for member in due {
                let conversation = member.parse().ok().map(ConversationId);
                let outcome = match conversation {
                    Some(conversation) => self.archive(&mut conn, conversation).await,
                    // Not ours to archive: drop the hint.
                    None => self.forget(&mut conn, &member).await.map(|()| Caught::Up),
                };
                match outcome {
                    Ok(Caught::Up) => archived += 1,
                    Ok(Caught::Waiting) => waiting += 1,
                    Ok(Caught::LeaseLost) => {
                        more = false;
                        break;
                    }
                    // One conversation that cannot be archived (a row the
                    // database refuses) must not hold up the others: it
                    // stays due, is retried next pass, and shows in the lag.
                    Err(e) => {
                        e.log();
                        metrics::counter!("archive_failures_total").increment(1);
                        failed = true;
                    }
                }
            }
            // Nothing got through: the database or Redis is down; back off.
            if failed && archived == 0 && waiting == 0 {
                self.measure_lag(&mut conn).await?;
                return Ok(Pass::Stalled);
            }
            // Streams only waiting for their entries to age are for the
            // next tick, not for a pass at once.
            more = more && archived > 0;
        }
        self.measure_lag(&mut conn).await?;
        Ok(if more { Pass::More } else { Pass::Done })
    }

    /// Takes or renews the lease; true when this node holds it.
    async fn lease(&self, conn: &mut RedisConn) -> Result<bool> {
        let held: i64 = LEASE_TAKE
            .key(self.hot.inner.keys.archive_lease())
            .arg(&self.node)
            .arg(u64::try_from(LEASE.as_millis()).unwrap_or(u64::MAX))
            .invoke_async(conn)
            .await
            .map_err(storage)?;
        Ok(held == 1)
    }

    /// Moves one conversation's entries beyond the limit to the archive,
    /// batch by batch.
    async fn archive(&self, conn: &mut RedisConn, conversation: ConversationId) -> Result<Caught> {
        let inner = &self.hot.inner;
        let key = inner.keys.stream(conversation);
        let mut moved = false;
        loop {
            let (added, length, batch): (u64, u64, StreamRangeReply) = TAKE
                .key(&key)
                .arg(inner.limit)
                .arg(BATCH)
                .arg(u64::try_from(inner.min_age.as_millis()).unwrap_or(u64::MAX))
                .invoke_async(conn)
                .await
                .map_err(storage)?;
            let Some(last) = batch.ids.last() else {
                // Over the limit with nothing old enough to move: it stays
                // due, and the next tick looks again. Its wait counts from
                // the last batch moved (a busy stream is always over).
                if length > inner.limit {
                    if moved {
                        redis::cmd("ZADD")
                            .arg(inner.keys.archive_due())
                            .arg("XX")
                            .arg(Utc::now().timestamp_millis())
                            .arg(conversation.to_string())
                            .query_async::<i64>(conn)
                            .await
                            .map_err(storage)?;
                    }
                    return Ok(Caught::Waiting);
                }
                break;
            };
            let last: StreamId = last
                .id
                .parse()
                .map_err(|_| Error::Storage(anyhow!("stream entry id {:?}", last.id)))?;
            // The ordinal of the stream's first entry, for entries written
            // without one (django-chat's): the count of entries ever added,
            // less those still in the stream after it.
            let first_ordinal = (added + 1).saturating_sub(length);
            let rows: Vec<Archived> = batch
                .ids
                .iter()
                .zip(first_ordinal..)
                .filter_map(|(entry, counted)| {
                    let message = decode_entry(conversation, &entry.id, &entry.map)?;
                    let ordinal = entry
                        .get::<String>("ordinal")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(counted);
                    Some(Archived { message, ordinal })
                })
                .collect();
            let inserted = inner.archive.insert(&rows).await?;
            metrics::counter!("archive_entries_total").increment(inserted);
            // Only now, with the rows committed, may the entries go.
            let Some(keep_from) = last.successor() else {
                break;
            };
            let _: i64 = redis::cmd("XTRIM")
                .arg(&key)
                .arg("MINID")
                .arg(keep_from.to_string())
                .query_async(conn)
                .await
                .map_err(storage)?;
            moved = true;
            tracing::debug!(conversation.id = %conversation, archived = rows.len(), inserted, up_to = %last, "archived");
            if !self.lease(conn).await? {
                return Ok(Caught::LeaseLost);
            }
        }
        self.forget(conn, &conversation.to_string()).await?;
        // An append between the last batch and the removal may have found
        // the stream due and seen the hint still there: look once more.
        let length: u64 = redis::cmd("XLEN")
            .arg(&key)
            .query_async(conn)
            .await
            .map_err(storage)?;
        if length > inner.threshold {
            mark_due(conn, &inner.keys, conversation)
                .await
                .map_err(storage)?;
        }
        Ok(Caught::Up)
    }

    async fn forget(&self, conn: &mut RedisConn, member: &str) -> Result<()> {
        redis::cmd("ZREM")
            .arg(self.hot.inner.keys.archive_due())
            .arg(member)
            .query_async::<i64>(conn)
            .await
            .map(drop)
            .map_err(storage)
    }

    /// `archive_lag_seconds`: how long the longest-waiting due stream has
    /// been over its limit (0 when none is), on every node.
    async fn measure_lag(&self, conn: &mut RedisConn) -> Result<()> {
        let oldest: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(self.hot.inner.keys.archive_due())
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(conn)
            .await
            .map_err(storage)?;
        #[expect(
            clippy::cast_precision_loss,
            reason = "milliseconds since 1970 fit an f64"
        )]
        let now = Utc::now().timestamp_millis() as f64;
        let lag = oldest
            .first()
            .map_or(0.0, |(_, since)| ((now - since) / 1000.0).max(0.0));
        metrics::gauge!("archive_lag_seconds").set(lag);
        Ok(())
    }
}
