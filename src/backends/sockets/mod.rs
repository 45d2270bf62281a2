//! Open authenticated WebSockets, per user. This node keeps its own (to end
//! a user's sockets at once, and to know whom to re-check); the count
//! behind `MAX_SOCKETS_PER_USER`, and who is online (at least one socket),
//! live in-process in embedded mode and in Redis otherwise, so every node
//! shares them.
//!
//! Redis: one sorted set per user, `{prefix}chatstream:sockets:{user}`, of
//! socket ids scored by when they stop counting, and one sorted set of
//! online users, `{prefix}chatstream:online`, scored the same way. A node
//! refreshes its sockets' and users' scores every third of
//! `SOCKET_TTL_SECS`; a node that dies stops refreshing, and its sockets
//! stop counting within the TTL. Each change is one script, so two nodes
//! cannot both take the last place, and exactly one node learns that a
//! user went offline — on their last close, or from the sweep every node
//! runs every quarter TTL for users whose every socket expired.
//!
//! Presence changes leave through [`Sockets::transitions`]: the first
//! socket of a user opening, the last one closing (here or on a dead node).

mod scripts;

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use redis::Script;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use self::scripts::{ACQUIRE, HEARTBEAT_SCRIPT, ONLINE, RELEASE, SWEEP};
use super::{redis_conn::RedisConn, redis_keys::RedisKeys};
use crate::{model::UserId, shutdown::EndSignal};

/// Sockets refreshed by one heartbeat script call.
const HEARTBEAT_CHUNK: usize = 500;

/// This node's sockets of one user, each with the signal that ends it
/// (fired when the account is deactivated).
struct Local {
    sockets: HashMap<Uuid, Arc<EndSignal>>,
}

struct Shared {
    manager: RedisConn,
    keys: RedisKeys,
    acquire: Script,
    release: Script,
    heartbeat: Script,
    sweep: Script,
    online: Script,
    /// How long a socket counts without a heartbeat (`SOCKET_TTL_SECS`).
    expiry: Duration,
}

/// A user's first socket opened, or their last one closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub user: UserId,
    pub online: bool,
}

/// The node's open authenticated sockets.
pub struct Sockets {
    local: Mutex<HashMap<UserId, Local>>,
    /// Redis mode: where the count shared by every node lives.
    shared: Option<Shared>,
    transitions: mpsc::UnboundedSender<Transition>,
    /// Until [`Sockets::transitions`] takes it.
    receiver: Mutex<Option<mpsc::UnboundedReceiver<Transition>>>,
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
        self.ended.fired()
    }

    pub fn is_ended(&self) -> bool {
        self.ended.is_fired()
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
        Arc::new(Self::new(None))
    }

    fn new(shared: Option<Shared>) -> Self {
        let (transitions, receiver) = mpsc::unbounded_channel();
        Self {
            local: Mutex::new(HashMap::new()),
            shared,
            transitions,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// Redis mode: counted in Redis for `ttl` at a time, refreshed every
    /// third of it, and swept for dead nodes' users every quarter, until
    /// `shutdown`.
    pub fn shared(
        manager: RedisConn,
        keys: RedisKeys,
        ttl: Duration,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let sockets = Arc::new(Self::new(Some(Shared {
            manager,
            keys,
            acquire: Script::new(ACQUIRE),
            release: Script::new(RELEASE),
            heartbeat: Script::new(HEARTBEAT_SCRIPT),
            sweep: Script::new(SWEEP),
            online: Script::new(ONLINE),
            expiry: ttl,
        })));
        sockets.every(ttl / 3, shutdown.clone(), |sockets| {
            Box::pin(async move { sockets.heartbeat().await })
        });
        sockets.every(ttl / 4, shutdown, |sockets| {
            Box::pin(async move { sockets.sweep().await })
        });
        sockets
    }

    /// Runs `task` every `period` while the sockets exist, until `shutdown`.
    fn every(
        self: &Arc<Self>,
        period: Duration,
        shutdown: CancellationToken,
        task: fn(Arc<Self>) -> futures::future::BoxFuture<'static, ()>,
    ) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period.max(Duration::from_millis(10)));
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = every.tick() => {}
                }
                let Some(sockets) = weak.upgrade() else {
                    return;
                };
                task(sockets).await;
            }
        });
    }

    /// The users whose first socket opened or last socket closed, in the
    /// order this node learnt it; `None` once taken.
    pub fn transitions(&self) -> Option<mpsc::UnboundedReceiver<Transition>> {
        self.receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn announce(&self, user: UserId, online: bool) {
        // Nobody listening (a command that serves nothing) is fine.
        let _ = self.transitions.send(Transition { user, online });
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
        let mut first = false;
        if let Some(shared) = &self.shared {
            match shared.count(user, id, max).await {
                Counted::Refused => return None,
                Counted::First => first = true,
                Counted::Yes => {}
            }
        }
        let mut local = self.lock();
        let entry = local.entry(user).or_insert_with(|| Local {
            sockets: HashMap::new(),
        });
        // Embedded: this node's count is the count.
        if self.shared.is_none() {
            if entry.sockets.len() >= max as usize {
                return None;
            }
            first = entry.sockets.is_empty();
        }
        let ended = Arc::new(EndSignal::default());
        entry.sockets.insert(id, ended.clone());
        if first {
            self.announce(user, true);
        }
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

    /// Ends every socket `user` holds on this node. Their places are freed
    /// as each socket closes.
    pub fn end_user(&self, user: UserId) {
        let ended = self.lock().remove(&user);
        if let Some(local) = ended {
            for signal in local.sockets.values() {
                signal.fire();
            }
            if self.shared.is_none() {
                self.announce(user, false);
            }
        }
    }

    /// Which of `users` are online (hold a socket on any node), in order.
    pub async fn online(&self, users: &[UserId]) -> crate::error::Result<Vec<bool>> {
        let Some(shared) = &self.shared else {
            let local = self.lock();
            return Ok(users.iter().map(|u| local.contains_key(u)).collect());
        };
        let mut online = Vec::with_capacity(users.len());
        for chunk in users.chunks(HEARTBEAT_CHUNK) {
            let flags: Vec<i64> = shared
                .online
                .key(shared.keys.online())
                .arg(chunk.iter().map(|u| u.0).collect::<Vec<_>>())
                .invoke_async(&mut shared.manager.clone())
                .await
                .map_err(super::redis_conn::storage)?;
            online.extend(flags.into_iter().map(|flag| flag == 1));
        }
        Ok(online)
    }

    fn release(self: &Arc<Self>, user: UserId, id: Uuid) {
        let offline = {
            let mut local = self.lock();
            match local.get_mut(&user) {
                Some(entry) => {
                    entry.sockets.remove(&id);
                    let last = entry.sockets.is_empty();
                    if last {
                        local.remove(&user);
                    }
                    last
                }
                // Ended already (and announced, embedded).
                None => false,
            }
        };
        let Some(shared) = &self.shared else {
            if offline {
                self.announce(user, false);
            }
            return;
        };
        let (script, keys) = (shared.release.clone(), shared.keys.clone());
        let (mut manager, sockets) = (shared.manager.clone(), self.clone());
        // Drop cannot wait; should this fail, the heartbeat stops renewing
        // the entry, it expires, and the sweep finds the user offline.
        tokio::spawn(async move {
            let released = script
                .key(keys.sockets(user))
                .key(keys.online())
                .arg(id.simple().to_string())
                .arg(user.0)
                .invoke_async::<i64>(&mut manager)
                .await;
            match released {
                Ok(1) => sockets.announce(user, false),
                Ok(_) => {}
                Err(e) => super::redis_conn::storage(e).log(),
            }
        });
    }

    /// Finds the users whose every socket expired (their node died) and
    /// announces them offline; each is found by exactly one node.
    async fn sweep(&self) {
        let Some(shared) = &self.shared else { return };
        let gone = shared
            .sweep
            .key(shared.keys.online())
            .arg(shared.keys.sockets_prefix())
            .arg(millis(shared.expiry * 10))
            .invoke_async::<Vec<i64>>(&mut shared.manager.clone())
            .await;
        match gone {
            Ok(gone) => {
                for user in gone {
                    self.announce(UserId(user), false);
                }
            }
            Err(e) => super::redis_conn::storage(e).log(),
        }
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
            invocation.key(shared.keys.online());
            invocation.arg(millis(shared.expiry));
            for (user, id) in chunk {
                invocation.key(shared.keys.sockets(*user));
                invocation.arg(id.simple().to_string());
                invocation.arg(user.0);
            }
            let refreshed = invocation
                .invoke_async::<i64>(&mut shared.manager.clone())
                .await;
            if let Err(e) = refreshed {
                super::redis_conn::storage(e).log();
                return;
            }
        }
    }
}

/// What counting a new socket in Redis found.
enum Counted {
    Refused,
    Yes,
    /// Counted, as the user's first socket.
    First,
}

impl Shared {
    /// Whether `id` found room among `user`'s sockets, and is counted.
    async fn count(&self, user: UserId, id: Uuid, max: u32) -> Counted {
        let counted = self
            .acquire
            .key(self.keys.sockets(user))
            .key(self.keys.online())
            .arg(max)
            .arg(id.simple().to_string())
            .arg(millis(self.expiry))
            .arg(user.0)
            .invoke_async::<i64>(&mut self.manager.clone())
            .await;
        match counted {
            Ok(0) => Counted::Refused,
            Ok(2) => Counted::First,
            Ok(_) => Counted::Yes,
            Err(e) => {
                super::redis_conn::storage(e).log();
                Counted::Yes
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

    async fn next(transitions: &mut mpsc::UnboundedReceiver<Transition>) -> Transition {
        tokio::time::timeout(Duration::from_secs(5), transitions.recv())
            .await
            .expect("a transition")
            .expect("open")
    }

    /// Only the first socket opening and the last closing are news, on
    /// either backend; a dead node's last sockets are found by the sweep.
    async fn transitions_of(sockets: &Arc<Sockets>, dead: Option<&Arc<Sockets>>) {
        let mut transitions = sockets.transitions().expect("not taken yet");
        let ada = UserId(1);
        let first = sockets.acquire(ada, 5).await.expect("room");
        let second = sockets.acquire(ada, 5).await.expect("room");
        assert_eq!(
            next(&mut transitions).await,
            Transition {
                user: ada,
                online: true
            }
        );
        assert_eq!(
            sockets.online(&[ada, UserId(2)]).await.ok(),
            Some(vec![true, false])
        );
        drop(first);
        drop(second);
        assert_eq!(
            next(&mut transitions).await,
            Transition {
                user: ada,
                online: false
            }
        );
        assert_eq!(sockets.online(&[ada]).await.ok(), Some(vec![false]));
        assert!(transitions.try_recv().is_err(), "nothing else");
        if let Some(dead) = dead {
            std::mem::forget(dead.acquire(UserId(3), 5).await.expect("room"));
            assert_eq!(sockets.online(&[UserId(3)]).await.ok(), Some(vec![true]));
            // Its node stops heartbeating (the test cancels it): the sweep
            // of a live node announces the user offline.
            assert_eq!(
                next(&mut transitions).await,
                Transition {
                    user: UserId(3),
                    online: false
                }
            );
        }
    }

    #[tokio::test]
    async fn presence_changes_on_the_first_open_and_the_last_close() {
        transitions_of(&Sockets::local(), None).await;
        let Some((manager, keys)) = super::super::redis_keys::test_server().await else {
            return;
        };
        let (alive, dead) = (CancellationToken::new(), CancellationToken::new());
        let ttl = Duration::from_millis(1200);
        let node = Sockets::shared(manager.clone(), keys.clone(), ttl, alive.clone());
        let doomed = Sockets::shared(manager, keys, ttl, dead.clone());
        dead.cancel();
        transitions_of(&node, Some(&doomed)).await;
        alive.cancel();
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
        let ttl = Duration::from_secs(30);
        let a = Sockets::shared(manager.clone(), keys.clone(), ttl, shutdown.clone());
        let b = Sockets::shared(manager, keys, ttl, shutdown.clone());
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
        let expiry = Duration::from_millis(1200);
        let (alive, dead) = (CancellationToken::new(), CancellationToken::new());
        let node = |shutdown: &CancellationToken| {
            Sockets::shared(manager.clone(), keys.clone(), expiry, shutdown.clone())
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
