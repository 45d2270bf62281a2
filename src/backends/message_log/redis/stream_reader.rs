//! Redis stream readers: the live feed of a node in Redis mode. A fixed
//! number of readers, each on its own connection because `XREAD BLOCK`
//! occupies it, share the node's conversations: on one server
//! `STREAM_READERS` of them by hash; on a cluster one per partition
//! ([`PARTITIONS`]), reader `i` reading partition `i`'s streams, which
//! share one hash slot with its wake-up stream, so each `XREAD` is one
//! slot. Either way the node's connections are bounded by the readers
//! (times the cluster's nodes), whatever the number of conversations.
//! Each entry is read once per node, decoded once and published to the [`Hub`].
//!
//! A newly subscribed conversation must be picked up promptly even while its
//! reader is blocked: registration queues it, then appends to the reader's
//! own wake-up stream, which is always part of its `XREAD`, so the call
//! returns at once. The reader fetches the conversation's current tail id
//! and only then acknowledges, with that id: everything after it will be
//! published, which is what lets a subscriber read history after
//! subscribing without a gap.
//!
//! Each conversation's event stream (edits, deletes) is read beside its
//! message stream, and a batch is published in id order.
//!
//! Entries django-chat appends (a cutover runs both) lack the sender's
//! email and names: a batch's are completed with one query before it is
//! published ([`super::senders`]), still in the order read.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::Arc,
    time::Duration,
};

use anyhow::anyhow;
use async_trait::async_trait;
use redis::{
    AsyncCommands,
    streams::{StreamReadOptions, StreamReadReply},
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{changes::decode_event, entry::decode_entry, senders::Senders, stream_tail};
use crate::backends::{
    hub::{Hub, LiveFeed},
    redis_conn::{RedisConn, RedisTarget, storage},
    redis_keys::{PARTITIONS, RedisKeys},
};
use crate::{
    error::{Error, Result, StorageBackend},
    model::{ConversationId, StreamId, message::Delivery},
};

/// How long one `XREAD` blocks before the reader re-checks its set.
const BLOCK: Duration = Duration::from_secs(5);
/// Entries per `XREAD` call, across all streams of a reader.
const BATCH: usize = 1000;
/// A registration that is not acknowledged by then has failed.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
/// Wake-up streams of dead nodes expire on their own.
const WAKE_TTL_MS: i64 = 3_600_000;

struct Registration {
    conversation: ConversationId,
    ack: oneshot::Sender<Result<StreamId>>,
}

struct Shard {
    registrations: mpsc::UnboundedSender<Registration>,
    wake_key: String,
}

/// The node's stream readers, registered as the hub's [`LiveFeed`].
pub struct StreamReaders {
    shards: Vec<Shard>,
    manager: RedisConn,
    /// Cluster mode: shards are partitions.
    partitioned: bool,
}

impl StreamReaders {
    /// Starts the readers feeding `hub` until `shutdown`: `count` on one
    /// server, one per partition on a cluster.
    pub fn start(
        target: RedisTarget,
        manager: RedisConn,
        keys: RedisKeys,
        hub: Arc<Hub>,
        senders: Senders,
        count: usize,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        // At zero from the start (see `http::metrics`).
        StorageBackend::Redis.register_failures();
        metrics::counter!("stream_reader_errors_total").increment(0);
        let node = uuid::Uuid::new_v4().simple().to_string();
        let partitioned = keys.is_cluster();
        let count = if partitioned {
            PARTITIONS
        } else {
            count.max(1)
        };
        let shards = (0..count)
            .map(|index| {
                let (registrations, queue) = mpsc::unbounded_channel();
                let wake_key = keys.wake(&node, index);
                let reader = Reader {
                    target: target.clone(),
                    manager: manager.clone(),
                    keys: keys.clone(),
                    hub: hub.clone(),
                    senders: senders.clone(),
                    queue,
                    wake_key: wake_key.clone(),
                    wake_last: StreamId::MIN,
                    tails: HashMap::new(),
                    event_tails: HashMap::new(),
                    batch_entries: {
                        let gauge = metrics::gauge!(
                            "stream_reader_batch_entries",
                            "reader" => index.to_string()
                        );
                        gauge.set(0.0);
                        gauge
                    },
                    delivery_lag: metrics::histogram!("stream_reader_delivery_lag_seconds"),
                };
                tokio::spawn(reader.run(shutdown.clone()));
                Shard {
                    registrations,
                    wake_key,
                }
            })
            .collect();
        Arc::new(Self {
            shards,
            manager,
            partitioned,
        })
    }

    fn shard(&self, conversation: ConversationId) -> &Shard {
        if self.partitioned {
            return &self.shards[RedisKeys::partition(conversation) % self.shards.len()];
        }
        let mut hasher = DefaultHasher::new();
        conversation.hash(&mut hasher);
        let index = usize::try_from(hasher.finish() % self.shards.len() as u64).unwrap_or(0);
        &self.shards[index]
    }
}

#[async_trait]
impl LiveFeed for StreamReaders {
    async fn register(&self, conversation: ConversationId) -> Result<StreamId> {
        let shard = self.shard(conversation);
        let (ack, acked) = oneshot::channel();
        shard
            .registrations
            .send(Registration { conversation, ack })
            .map_err(|_| Error::Storage(anyhow!("stream reader stopped")))?;
        let mut conn = self.manager.clone();
        redis::pipe()
            .cmd("XADD")
            .arg(&shard.wake_key)
            .arg("MAXLEN")
            .arg("~")
            .arg(16)
            .arg("*")
            .arg("wake")
            .arg(1)
            .ignore()
            .pexpire(&shard.wake_key, WAKE_TTL_MS)
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(storage)?;
        match tokio::time::timeout(REGISTER_TIMEOUT, acked).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Error::Storage(anyhow!("stream reader stopped"))),
            Err(_) => Err(Error::Storage(anyhow!("stream reader did not answer"))),
        }
    }
}

/// One reader: a dedicated connection, its conversations and their tails.
struct Reader {
    target: RedisTarget,
    manager: RedisConn,
    keys: RedisKeys,
    hub: Arc<Hub>,
    /// Completes django-chat's entries, once per batch.
    senders: Senders,
    queue: mpsc::UnboundedReceiver<Registration>,
    wake_key: String,
    wake_last: StreamId,
    /// Last id published per conversation; kept across reconnects, so an
    /// outage delays messages but never loses them.
    tails: HashMap<ConversationId, StreamId>,
    /// The same for each conversation's event stream (edits, deletes).
    event_tails: HashMap<ConversationId, StreamId>,
    /// Messages the last `XREAD` returned: near `BATCH` means this reader
    /// is falling behind.
    batch_entries: metrics::Gauge,
    /// From append (the entry id's time) to publication on this node.
    delivery_lag: metrics::Histogram,
}

impl Reader {
    async fn run(mut self, shutdown: CancellationToken) {
        let mut conn: Option<RedisConn> = None;
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_cancelled() {
            let step = async {
                let connection = match conn.as_mut() {
                    Some(c) => c,
                    None => conn.insert(self.connect().await?),
                };
                self.accept_registrations().await;
                self.tails.retain(|c, _| self.hub.is_active(*c));
                self.event_tails.retain(|c, _| self.hub.is_active(*c));
                self.read_once(connection).await
            };
            let outcome = tokio::select! {
                () = shutdown.cancelled() => return,
                outcome = step => outcome,
            };
            match outcome {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => {
                    StorageBackend::Redis.count_failure();
                    metrics::counter!("stream_reader_errors_total").increment(1);
                    tracing::warn!(error = %e, "stream reader failed; reconnecting");
                    conn = None;
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn connect(&self) -> redis::RedisResult<RedisConn> {
        // Responses to XREAD BLOCK legitimately take up to BLOCK.
        self.target.blocking(BLOCK).await
    }

    /// Adds queued conversations, each from its current tail, then
    /// acknowledges them with the id published up to: from here on every
    /// later entry will be published.
    async fn accept_registrations(&mut self) {
        while let Ok(Registration { conversation, ack }) = self.queue.try_recv() {
            let known = (
                self.tails.get(&conversation),
                self.event_tails.get(&conversation),
            );
            let result = match known {
                (Some(tail), Some(events)) => Ok(*tail.max(events)),
                _ => match self.current_tails(conversation).await {
                    Ok((tail, events)) => {
                        self.tails.insert(conversation, tail);
                        self.event_tails.insert(conversation, events);
                        // Both streams are read from their own tails, so
                        // everything after the larger one is published.
                        Ok(tail.max(events))
                    }
                    Err(e) => Err(storage(e)),
                },
            };
            // The subscriber may have given up; nothing to do then.
            let _ = ack.send(result);
        }
    }

    /// The last ids of the conversation's message and event streams.
    async fn current_tails(
        &self,
        conversation: ConversationId,
    ) -> redis::RedisResult<(StreamId, StreamId)> {
        let mut conn = self.manager.clone();
        let messages = stream_tail(&mut conn, self.keys.stream(conversation));
        let mut conn = self.manager.clone();
        let events = stream_tail(&mut conn, self.keys.events(conversation));
        futures::try_join!(messages, events)
    }

    /// One blocking `XREAD` over the wake-up stream and every conversation.
    async fn read_once(&mut self, conn: &mut RedisConn) -> redis::RedisResult<()> {
        let mut keys = vec![self.wake_key.clone()];
        let mut ids = vec![self.wake_last.to_string()];
        let mut by_key = HashMap::with_capacity(self.tails.len() * 2);
        for (conversation, tail) in &self.tails {
            let key = self.keys.stream(*conversation);
            keys.push(key.clone());
            ids.push(tail.to_string());
            by_key.insert(key, (*conversation, false));
        }
        for (conversation, tail) in &self.event_tails {
            let key = self.keys.events(*conversation);
            keys.push(key.clone());
            ids.push(tail.to_string());
            by_key.insert(key, (*conversation, true));
        }
        let options = StreamReadOptions::default()
            .block(usize::try_from(BLOCK.as_millis()).unwrap_or(5000))
            .count(BATCH);
        let reply: Option<StreamReadReply> = conn.xread_options(&keys, &ids, &options).await?;
        // Entry ids carry Redis's clock at append; a skewed node clock
        // shifts the lag by the skew, and a negative one reads as zero.
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        let streams = reply.map(|r| r.keys).unwrap_or_default();
        // A stream cut short by COUNT may hold, beyond what was returned,
        // entries older than what its conversation's other stream returned:
        // nothing of that conversation past the cut is taken this time.
        let mut cuts: HashMap<ConversationId, StreamId> = HashMap::new();
        for stream in &streams {
            if let (Some((conversation, _)), true) =
                (by_key.get(&stream.key), stream.ids.len() >= BATCH)
                && let Some(last) = stream.ids.last().and_then(|e| e.id.parse().ok())
            {
                let cut = cuts.entry(*conversation).or_insert(last);
                *cut = (*cut).min(last);
            }
        }
        let mut entries = 0usize;
        let mut messages = Vec::new();
        let mut changes = Vec::new();
        for stream in streams {
            let Some((conversation, events)) = by_key.get(&stream.key).copied() else {
                if let Some(last) = stream.ids.last().and_then(|e| e.id.parse().ok()) {
                    self.wake_last = last;
                }
                continue;
            };
            let cut = cuts
                .get(&conversation)
                .copied()
                .unwrap_or(StreamId::new(u64::MAX, u64::MAX));
            for entry in &stream.ids {
                let Ok(id) = entry.id.parse::<StreamId>() else {
                    continue;
                };
                if id > cut {
                    break;
                }
                entries += 1;
                self.delivery_lag
                    .record(Duration::from_millis(now_ms.saturating_sub(id.ms)).as_secs_f64());
                if events {
                    self.event_tails.insert(conversation, id);
                    changes.extend(decode_event(conversation, &entry.id, &entry.map));
                } else {
                    self.tails.insert(conversation, id);
                    messages.extend(decode_entry(conversation, &entry.id, &entry.map));
                }
            }
        }
        // One sender lookup for the batch, then published in id order: the
        // two streams of a conversation come back side by side, and (with
        // the cuts above) every entry a later read returns has a larger id.
        self.senders.complete(&mut messages).await;
        let mut deliveries: Vec<Delivery> = messages.into_iter().map(Delivery::new).collect();
        deliveries.extend(changes);
        deliveries.sort_by_key(Delivery::position);
        for delivery in deliveries {
            self.hub.deliver(delivery);
        }
        self.batch_entries.set(entries as f64);
        Ok(())
    }
}
