//! Open authenticated WebSockets, per user. This node keeps its own (to end
//! a user's sockets at once, and to know whom to re-check); the count
//! behind `MAX_SOCKETS_PER_USER` lives in-process in embedded mode and in
//! Redis otherwise, so every node shares it.
//!
//! Redis: one sorted set per user, `{prefix}chatstream:sockets:{user}`, of
//! socket ids scored by when they stop counting. A node refreshes its
//! sockets' scores every [`HEARTBEAT`]; a node that dies stops refreshing,
//! and its sockets stop counting within [`EXPIRY`]. Checking and adding is
//! one script, so two nodes cannot both take the last place.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use futures::task::AtomicWaker;
use redis::{Script, aio::ConnectionManager};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::redis_keys::RedisKeys;
use crate::domain::UserId;

/// How often a node refreshes its sockets in Redis.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// How long a socket counts in Redis without a refresh: a dead node's
/// sockets are forgotten this long after its last heartbeat.
const EXPIRY: Duration = Duration::from_secs(30);

/// KEYS[1] the user's set; ARGV the cap, the socket id, [`EXPIRY`] in ms.
/// 1 when counted, 0 when the user holds the cap already. The server's
/// clock scores every entry, so nodes with skewed clocks agree.
const ACQUIRE: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

/// KEYS the users' sets; ARGV[1] [`EXPIRY`] in ms, then one socket id per key.
const HEARTBEAT_SCRIPT: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl)
end
return 0
";

/// Sockets refreshed by one heartbeat script call.
const HEARTBEAT_CHUNK: usize = 500;

/// This node's sockets of one user, each with the signal that ends it
/// (fired when the account is deactivated).
struct Local {
    sockets: HashMap<Uuid, Arc<EndSignal>>,
}

/// Fired once, polled on every event of its socket: a flag and a waker,
/// no lock (a cancellation token's wait showed in the fan-out profile).
#[derive(Default)]
struct EndSignal {
    fired: AtomicBool,
    waker: AtomicWaker,
}

impl EndSignal {
    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.waker.wake();
    }

    fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // Fired between the check and the registration: seen here.
        if self.fired.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct Shared {
    manager: ConnectionManager,
    keys: RedisKeys,
    acquire: Script,
    heartbeat: Script,
    /// [`EXPIRY`], shorter in tests.
    expiry: Duration,
}

/// The node's open authenticated sockets.
pub struct Sockets {
    local: Mutex<HashMap<UserId, Local>>,
    /// Redis mode: where the count shared by every node lives.
    shared: Option<Shared>,
}

/// One counted socket; dropping it stops counting it.
pub struct SocketLease {
    sockets: Arc<Sockets>,
    user: UserId,
    id: Uuid,
    ended: Arc<EndSignal>,
}

impl SocketLease {
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Resolves when the user's sockets are ended ([`Sockets::end_user`]);
    /// cheap to make and poll on every event.
    pub fn ended(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| self.ended.poll_fired(cx))
    }

    pub fn is_ended(&self) -> bool {
        self.ended.fired.load(Ordering::Acquire)
    }
}

impl Drop for SocketLease {
    fn drop(&mut self) {
        self.sockets.release(self.user, self.id);
    }
}

impl Sockets {
    /// Embedded mode: counted on this node alone.
    pub fn local() -> Arc<Self> {
        Arc::new(Self {
            local: Mutex::new(HashMap::new()),
            shared: None,
        })
    }

    /// Redis mode: counted in Redis, refreshed every [`HEARTBEAT`] until
    /// `shutdown`.
    pub fn shared(
        manager: ConnectionManager,
        keys: RedisKeys,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        Self::shared_with(manager, keys, shutdown, HEARTBEAT, EXPIRY)
    }

    fn shared_with(
        manager: ConnectionManager,
        keys: RedisKeys,
        shutdown: CancellationToken,
        heartbeat: Duration,
        expiry: Duration,
    ) -> Arc<Self> {
        let sockets = Arc::new(Self {
            local: Mutex::new(HashMap::new()),
            shared: Some(Shared {
                manager,
                keys,
                acquire: Script::new(ACQUIRE),
                heartbeat: Script::new(HEARTBEAT_SCRIPT),
                expiry,
            }),
        });
        let weak = Arc::downgrade(&sockets);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(heartbeat);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = every.tick() => {}
                }
                let Some(sockets) = weak.upgrade() else {
                    return;
                };
                sockets.heartbeat().await;
            }
        });
        sockets
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Local>> {
        // Never held across an await; a poisoned map is still consistent.
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new socket of `user` unless `max` are open already
    /// (`None`). If Redis fails, the socket is let in (and the failure
    /// logged): a cap that refused every socket during a Redis blip would
    /// turn a degraded dependency into an outage.
    pub async fn acquire(self: &Arc<Self>, user: UserId, max: u32) -> Option<SocketLease> {
        let id = Uuid::new_v4();
        if let Some(shared) = &self.shared
            && !shared.count(user, id, max).await
        {
            return None;
        }
        let mut local = self.lock();
        let entry = local.entry(user).or_insert_with(|| Local {
            sockets: HashMap::new(),
        });
        // Embedded: this node's count is the count.
        if self.shared.is_none() && entry.sockets.len() >= max as usize {
            return None;
        }
        let ended = Arc::new(EndSignal::default());
        entry.sockets.insert(id, ended.clone());
        Some(SocketLease {
            sockets: self.clone(),
            user,
            id,
            ended,
        })
    }

    /// The users with sockets open on this node.
    pub fn users(&self) -> Vec<UserId> {
        self.lock().keys().copied().collect()
    }

    /// Ends every socket `user` holds on this node.
    pub fn end_user(&self, user: UserId) {
        if let Some(local) = self.lock().remove(&user) {
            for signal in local.sockets.values() {
                signal.fire();
            }
        }
    }

    fn release(&self, user: UserId, id: Uuid) {
        {
            let mut local = self.lock();
            if let Some(entry) = local.get_mut(&user) {
                entry.sockets.remove(&id);
                if entry.sockets.is_empty() {
                    local.remove(&user);
                }
            }
        }
        let Some(shared) = &self.shared else { return };
        let mut manager = shared.manager.clone();
        let key = shared.keys.sockets(user);
        // Drop cannot wait; should this fail, the heartbeat stops renewing
        // the entry and it expires.
        tokio::spawn(async move {
            let removed: redis::RedisResult<i64> = redis::cmd("ZREM")
                .arg(key)
                .arg(id.simple().to_string())
                .query_async(&mut manager)
                .await;
            if let Err(e) = removed {
                super::message_log::redis::storage(e).log();
            }
        });
    }

    /// Keeps this node's sockets counted in Redis.
    async fn heartbeat(&self) {
        let Some(shared) = &self.shared else { return };
        let open: Vec<(UserId, Uuid)> = self
            .lock()
            .iter()
            .flat_map(|(user, local)| local.sockets.keys().map(|id| (*user, *id)))
            .collect();
        for chunk in open.chunks(HEARTBEAT_CHUNK) {
            let mut invocation = shared.heartbeat.prepare_invoke();
            invocation.arg(millis(shared.expiry));
            for (user, id) in chunk {
                invocation.key(shared.keys.sockets(*user));
                invocation.arg(id.simple().to_string());
            }
            let refreshed = invocation
                .invoke_async::<i64>(&mut shared.manager.clone())
                .await;
            if let Err(e) = refreshed {
                super::message_log::redis::storage(e).log();
                return;
            }
        }
    }
}

impl Shared {
    /// Whether `id` found room among `user`'s sockets, and is counted.
    async fn count(&self, user: UserId, id: Uuid, max: u32) -> bool {
        let counted = self
            .acquire
            .key(self.keys.sockets(user))
            .arg(max)
            .arg(id.simple().to_string())
            .arg(millis(self.expiry))
            .invoke_async::<i64>(&mut self.manager.clone())
            .await;
        match counted {
            Ok(counted) => counted == 1,
            Err(e) => {
                super::message_log::redis::storage(e).log();
                true
            }
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_user_holds_at_most_the_cap_and_a_closed_socket_frees_its_place() {
        let sockets = Sockets::local();
        let (ada, grace) = (UserId(1), UserId(2));
        let first = sockets.acquire(ada, 2).await.expect("room");
        let _second = sockets.acquire(ada, 2).await.expect("room");
        assert!(sockets.acquire(ada, 2).await.is_none(), "the cap");
        assert!(sockets.acquire(grace, 2).await.is_some(), "per user");
        drop(first);
        assert!(sockets.acquire(ada, 2).await.is_some(), "a place freed");
    }

    #[tokio::test]
    async fn ending_a_user_ends_each_of_their_sockets_only() {
        let sockets = Sockets::local();
        let ada = sockets.acquire(UserId(1), 5).await.expect("room");
        let grace = sockets.acquire(UserId(2), 5).await.expect("room");
        sockets.end_user(UserId(1));
        tokio::time::timeout(Duration::from_secs(1), ada.ended())
            .await
            .expect("ended");
        assert!(!grace.is_ended());
        assert_eq!(sockets.users(), vec![UserId(2)]);
    }

    #[tokio::test]
    async fn redis_counts_are_shared_and_released() {
        let Some((manager, keys)) = super::super::redis_keys::test_server().await else {
            return;
        };
        let shutdown = CancellationToken::new();
        let a = Sockets::shared(manager.clone(), keys.clone(), shutdown.clone());
        let b = Sockets::shared(manager, keys, shutdown.clone());
        let ada = UserId(1);
        let first = a.acquire(ada, 2).await.expect("room");
        let _second = b.acquire(ada, 2).await.expect("room");
        assert!(a.acquire(ada, 2).await.is_none(), "counted across nodes");
        drop(first);
        let freed = async {
            loop {
                if let Some(lease) = b.acquire(ada, 2).await {
                    return lease;
                }
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), freed)
            .await
            .expect("the released place is free again");
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_dead_nodes_sockets_stop_counting_and_a_live_nodes_stay() {
        let Some((manager, keys)) = super::super::redis_keys::test_server().await else {
            return;
        };
        let (beat, expiry) = (Duration::from_millis(100), Duration::from_millis(400));
        let (alive, dead) = (CancellationToken::new(), CancellationToken::new());
        let node = |shutdown: &CancellationToken| {
            Sockets::shared_with(
                manager.clone(),
                keys.clone(),
                shutdown.clone(),
                beat,
                expiry,
            )
        };
        let (a, b, c) = (node(&alive), node(&dead), node(&alive));
        let kept = a.acquire(UserId(1), 1).await.expect("room");
        // A node that dies: its heartbeat stops and nothing is released.
        std::mem::forget(b.acquire(UserId(2), 1).await.expect("room"));
        dead.cancel();
        let freed = async {
            loop {
                if let Some(lease) = c.acquire(UserId(2), 1).await {
                    return lease;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let started = tokio::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(5), freed)
            .await
            .expect("the dead node's socket stopped counting");
        // By then the live node's socket has outlived several expiries,
        // renewed by its heartbeat: it still counts.
        assert!(started.elapsed() >= expiry / 2);
        tokio::time::sleep(expiry * 2).await;
        assert!(c.acquire(UserId(1), 1).await.is_none(), "still counted");
        drop(kept);
        alive.cancel();
    }
}
