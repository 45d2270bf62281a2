//! Infrastructure behind small traits, chosen once from configuration:
//! embedded implementations (no setup) and Redis ones (several nodes).

pub mod hub;
pub mod inbox;
pub mod member_cache;
pub mod message_log;
pub mod rate_limit;
pub mod redis_conn;
pub mod redis_keys;
pub mod revocations;
pub mod signals;
pub mod sockets;

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::{
    config::Config,
    model::{ConversationId, UserId},
    shutdown::CancellationToken,
};
use hub::{Hub, Revocation};
use inbox::{Inbox, Notice};
use member_cache::MemberCache;
use message_log::MessageLog;
use rate_limit::{Limiter, Rules};

/// The backends one node uses.
#[derive(Clone)]
pub struct Backends {
    pub message_log: Arc<dyn MessageLog>,
    /// Every rate limit (sends, searches, logins, membership changes).
    pub limiter: Limiter,
    /// The node's live fan-out to subscribers.
    pub hub: Arc<Hub>,
    /// Open authenticated WebSockets per user (`MAX_SOCKETS_PER_USER`).
    pub sockets: Arc<sockets::Sockets>,
    /// The node's inbox subscribers.
    pub inbox: Arc<Inbox>,
    /// Who is in which conversation, as this node last read it.
    pub members: Arc<MemberCache>,
    /// Present when `REDIS_URL` is set; used for health checks.
    pub redis: Option<redis_conn::RedisConn>,
    /// Where revocations are published to the other nodes (Redis mode).
    revocation_channel: Option<String>,
}

impl Backends {
    /// Embedded when `REDIS_URL` is unset, Redis otherwise.
    /// Redis mode also starts the node's stream readers, which stop on `shutdown`.
    pub async fn from_config(
        config: &Config,
        db: &DatabaseConnection,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Self> {
        let rules = Rules::from_config(config);
        let hub = Hub::new(config.live_buffer);
        let inbox = Arc::new(Inbox::default());
        let (ttl, entries) = config.membership_cache;
        // Redis mode: off until the revocation channel is subscribed.
        let members = Arc::new(MemberCache::new(ttl, entries, config.redis_url.is_none()));
        match &config.redis_url {
            None => {
                let log = message_log::embedded::EmbeddedLog::new(db.clone(), hub.clone());
                hub.set_feed(log.feed());
                Ok(Self {
                    message_log: Arc::new(log),
                    limiter: Limiter::new(
                        Arc::new(rate_limit::memory::MemoryLimiter::new()),
                        rules,
                    ),
                    hub,
                    sockets: sockets::Sockets::local(),
                    inbox,
                    members,
                    redis: None,
                    revocation_channel: None,
                })
            }
            Some(url) => {
                let target = redis_conn::RedisTarget::open(url.expose())?;
                if target.is_cluster() && config.redis_key_prefix.contains(['{', '}']) {
                    anyhow::bail!(
                        "REDIS_KEY_PREFIX must not hold {{ or }} on a cluster (hash tags)"
                    );
                }
                let manager = target.shared().await.context("cannot connect to Redis")?;
                let keys =
                    redis_keys::RedisKeys::new(&config.redis_key_prefix, target.is_cluster());
                let senders = message_log::redis::senders::Senders::new(db.clone());
                revocations::start(
                    target.pubsub_clients(),
                    keys.revocations(),
                    (hub.clone(), inbox.clone(), members.clone()),
                    shutdown.clone(),
                );
                hub.set_feed(message_log::redis::stream_reader::StreamReaders::start(
                    target,
                    manager.clone(),
                    keys.clone(),
                    hub.clone(),
                    senders.clone(),
                    config.stream_readers,
                    shutdown.clone(),
                ));
                let mut log = message_log::redis::RedisLog::new(
                    manager.clone(),
                    keys.clone(),
                    config.stream_maxlen,
                    senders,
                );
                if let Some(limit) = config.stream_hot_messages {
                    let hot = message_log::redis::hot::Hot::new(
                        message_log::archive::Archive::new(db.clone()),
                        (limit, config.stream_archive_min_age),
                        manager.clone(),
                        keys.clone(),
                    );
                    message_log::redis::archiver::start(hot.clone(), shutdown.clone());
                    log = log.with_archive(hot);
                }
                Ok(Self {
                    message_log: Arc::new(log),
                    limiter: Limiter::new(
                        Arc::new(rate_limit::redis::RedisLimiter::new(
                            manager.clone(),
                            keys.clone(),
                        )),
                        rules,
                    ),
                    hub,
                    sockets: sockets::Sockets::shared(
                        manager.clone(),
                        keys.clone(),
                        config.sockets.ttl,
                        shutdown.clone(),
                    ),
                    inbox,
                    members,
                    redis: Some(manager),
                    revocation_channel: Some(keys.revocations()),
                })
            }
        }
    }

    /// Ends `user`'s live streams of `conversation` and forgets the
    /// conversation's cached memberships on every node: at once on this
    /// one, through Redis Pub/Sub on the others. A failed publish is
    /// logged: the other nodes' caches then heal with their entries' age
    /// (`MEMBERSHIP_CACHE_SECS`).
    pub async fn revoke(&self, conversation: ConversationId, user: UserId) {
        self.members.forget_conversation(conversation);
        self.hub.revoke(Revocation::Member(conversation, user));
        let (Some(manager), Some(channel)) = (&self.redis, &self.revocation_channel) else {
            return;
        };
        let published: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(revocations::encode(conversation, user))
            .query_async(&mut manager.clone())
            .await;
        if let Err(e) = published {
            redis_conn::storage(e).log();
        }
    }

    /// Tells inbox subscribers on every node what changed: embedded, at
    /// once; in Redis mode through the same Pub/Sub channel as revocations,
    /// which brings it back to this node too (so it is dispatched once
    /// everywhere). A failed publish is logged: the change itself is
    /// committed, and a client's list query shows it.
    pub async fn notify(&self, notices: &[Notice]) {
        let (Some(manager), Some(channel)) = (&self.redis, &self.revocation_channel) else {
            for notice in notices {
                self.inbox.dispatch(*notice);
            }
            return;
        };
        let mut pipe = redis::pipe();
        for notice in notices {
            pipe.cmd("PUBLISH")
                .arg(channel)
                .arg(notice.encode())
                .ignore();
        }
        let published: redis::RedisResult<()> = pipe.query_async(&mut manager.clone()).await;
        if let Err(e) = published {
            redis_conn::storage(e).log();
        }
    }

    /// Hands a typing or presence signal to its subscribers on every node:
    /// embedded, at once; in Redis mode on the Pub/Sub channel, which
    /// brings it back here too. Signals are not stored: a failed publish is
    /// logged, and the signal is lost as if nobody had been listening.
    pub async fn broadcast(&self, broadcast: signals::Broadcast) {
        let (Some(manager), Some(channel)) = (&self.redis, &self.revocation_channel) else {
            broadcast.deliver(&self.hub);
            return;
        };
        let published: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(broadcast.encode())
            .query_async(&mut manager.clone())
            .await;
        if let Err(e) = published {
            redis_conn::storage(e).log();
        }
    }

    /// PING Redis (None when Redis is not in use).
    pub async fn redis_healthy(&self) -> Option<bool> {
        let mut conn = self.redis.clone()?;
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        Some(matches!(
            tokio::time::timeout(std::time::Duration::from_secs(2), ping).await,
            Ok(Ok(_))
        ))
    }
}
