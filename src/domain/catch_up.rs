//! Catch-up reads of the message log, coalesced per node. When many
//! subscribers of one conversation resume from the same id at once (a
//! reconnect storm: every client of a node coming back after it restarted,
//! or after a network blip), one log read serves all of them: the first
//! starts it, the others arriving while it is in flight await the same page.
//!
//! Why a shared page is never too old for a waiter: a subscriber catches up
//! only after arming its live subscription, and needs the log up to its arm
//! position ([`crate::backends::hub::Subscription::armed_after`]); whatever
//! lies after that reaches it live, and the live path drops anything at or
//! before the last id it delivered. A read in flight covers at least its
//! starter's arm position (its starter armed before starting it, and every
//! entry up to an arm position was in the log before the arm), so a waiter
//! joins it only when the waiter's own arm position is not larger. A waiter
//! that armed later, and might need entries appended after the read began,
//! starts a read of its own, which later arrivals join instead.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        Arc, Mutex, PoisonError, Weak,
        atomic::{AtomicU64, Ordering},
    },
};

use futures::{
    FutureExt,
    future::{BoxFuture, Shared},
};

use super::{
    ConversationId, StreamId,
    message::{Cursor, Delivery},
    visibility,
};
use crate::{
    backends::message_log::MessageLog,
    config::EmailVisibility,
    error::{Error, Result},
};

/// How many entries one catch-up read fetches.
const CHUNK: usize = 500;

/// What a catch-up replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Replay {
    /// Messages (`messageAdded`, the legacy protocol).
    Messages,
    /// Messages and every event of the log (`conversationEvents`).
    Events,
}

/// A page of a catch-up, oldest first, shared by every subscriber it
/// serves: each delivery is an `Arc`, so one more waiter costs no copy, and
/// a GraphQL rendering kept on a delivery serves every one of them.
#[derive(Debug, Default)]
pub struct CatchUpPage {
    /// As subscribers are shown them ([`visibility::delivery_as_seen`]).
    pub deliveries: Vec<Arc<Delivery>>,
    /// More lie beyond the page.
    pub has_more: bool,
}

/// One read's identity: two reads with equal keys return the same page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    conversation: ConversationId,
    replay: Replay,
    after: StreamId,
}

/// The node's catch-up reads.
pub struct CatchUps {
    log: Arc<dyn MessageLog>,
    visibility: EmailVisibility,
    in_flight: SingleFlight<Key, Arc<CatchUpPage>>,
}

impl CatchUps {
    pub fn new(log: Arc<dyn MessageLog>, visibility: EmailVisibility) -> Self {
        Self {
            log,
            visibility,
            in_flight: SingleFlight::default(),
        }
    }

    /// The next page of `conversation`'s log after `after`. `needs`: the
    /// position the caller needs the page to reach (its arm position, or
    /// how far its live channel had got when it lagged); `None` when it
    /// cannot say, then it reads alone and nobody joins its read.
    pub async fn read(
        &self,
        conversation: ConversationId,
        replay: Replay,
        after: StreamId,
        needs: Option<StreamId>,
    ) -> Result<Arc<CatchUpPage>> {
        let key = Key {
            conversation,
            replay,
            after,
        };
        let (log, visibility) = (self.log.clone(), self.visibility);
        let (page, took) = self
            .in_flight
            .run(key, needs, move || read_page(log, visibility, key))
            .await;
        took.count();
        page
    }
}

/// One read of the log, made into a page every waiter can share.
async fn read_page(
    log: Arc<dyn MessageLog>,
    visibility: EmailVisibility,
    key: Key,
) -> Result<Arc<CatchUpPage>> {
    let Key {
        conversation,
        replay,
        after,
    } = key;
    let (deliveries, has_more) = match replay {
        Replay::Messages => {
            let page = log.read(conversation, Cursor::After(after), CHUNK).await?;
            let deliveries = page.messages.into_iter().map(Delivery::new).collect();
            (deliveries, page.has_more)
        }
        Replay::Events => {
            let page = log.read_events(conversation, after, CHUNK).await?;
            (page.deliveries, page.has_more)
        }
    };
    // Every subscriber of the node is shown a delivery alike (the rule
    // names no viewer), so it is applied once, before sharing.
    let deliveries = deliveries
        .into_iter()
        .map(|d| Arc::new(visibility::delivery_as_seen(visibility, d)))
        .collect();
    Ok(Arc::new(CatchUpPage {
        deliveries,
        has_more,
    }))
}

/// Whether a caller's page came from a read of its own or one it joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Took {
    OwnRead,
    Joined,
}

impl Took {
    /// `live_catch_up_reads_total{shared}`: real log reads (`false`) and
    /// callers served by another's read (`true`).
    fn count(self) {
        let shared = match self {
            Took::OwnRead => "false",
            Took::Joined => "true",
        };
        metrics::counter!("live_catch_up_reads_total", "shared" => shared).increment(1);
    }
}

/// A result every waiter can clone; the error is shared as it happened.
type Outcome<V> = Result<V, Arc<Error>>;

/// A read in flight: what it covers at least, and its result to come.
struct Flight<V> {
    /// Tells this flight from a later one under the same key.
    id: u64,
    covers: StreamId,
    result: Shared<BoxFuture<'static, Outcome<V>>>,
}

/// Calls with equal keys share one underlying call while it is in flight;
/// its key is forgotten once it completes, so the next call reads again.
/// Each call runs as a task of its own: it finishes (and forgets its key)
/// even when every waiter has gone.
struct SingleFlight<K, V> {
    flights: Arc<Mutex<HashMap<K, Flight<V>>>>,
    next_id: AtomicU64,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: Arc::default(),
            next_id: AtomicU64::new(0),
        }
    }
}

impl<K, V> SingleFlight<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// `call`'s result, or that of a call in flight under `key` that
    /// covers `needs` (see the module's docs); a shared failure comes back
    /// as a storage error.
    async fn run<F, Fut>(&self, key: K, needs: Option<StreamId>, call: F) -> (Result<V>, Took)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V>> + Send + 'static,
    {
        let (result, took) = self.join_or_start(key, needs, call);
        let result = result
            .await
            .map_err(|shared| Error::Storage(anyhow::Error::new(shared)));
        (result, took)
    }

    fn join_or_start<F, Fut>(
        &self,
        key: K,
        needs: Option<StreamId>,
        call: F,
    ) -> (Shared<BoxFuture<'static, Outcome<V>>>, Took)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V>> + Send + 'static,
    {
        let mut flights = lock(&self.flights);
        if let Some(needs) = needs
            && let Some(flight) = flights.get(&key)
            && needs <= flight.covers
        {
            return (flight.result.clone(), Took::Joined);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let landing = Landing {
            flights: Arc::downgrade(&self.flights),
            key: key.clone(),
            id,
        };
        let call = call();
        // The task cannot forget its key before it is recorded: forgetting
        // takes the lock held here.
        let task = tokio::spawn(async move {
            let _landing = landing;
            call.await.map_err(Arc::new)
        });
        let result = async move {
            task.await
                .unwrap_or_else(|failed| Err(Arc::new(Error::Internal(failed.into()))))
        }
        .boxed()
        .shared();
        if let Some(covers) = needs {
            // Replaces a flight that covers less: later callers join this one.
            let flight = Flight {
                id,
                covers,
                result: result.clone(),
            };
            flights.insert(key, flight);
        }
        (result, Took::OwnRead)
    }
}

/// Forgets its flight's key when the call ends, however it ends (a panic
/// or the runtime shutting down included), unless a later flight has
/// taken the key since.
struct Landing<K: Hash + Eq, V> {
    flights: Weak<Mutex<HashMap<K, Flight<V>>>>,
    key: K,
    id: u64,
}

impl<K: Hash + Eq, V> Drop for Landing<K, V> {
    fn drop(&mut self) {
        let Some(flights) = self.flights.upgrade() else {
            return;
        };
        let mut flights = lock(&flights);
        if flights.get(&self.key).is_some_and(|f| f.id == self.id) {
            flights.remove(&self.key);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Never held across an await; a poisoned map is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use tokio::sync::watch;

    use super::*;

    const KEY: &str = "conversation";
    const AT: StreamId = StreamId { ms: 5, seq: 0 };

    /// Holds calls until opened; counts the calls made.
    struct Gate {
        open: watch::Sender<bool>,
        calls: Arc<AtomicUsize>,
    }

    impl Gate {
        fn new() -> Self {
            Self {
                open: watch::channel(false).0,
                calls: Arc::default(),
            }
        }

        /// A call that counts itself and ends with `outcome` once the gate
        /// opens.
        fn call(&self, outcome: Result<u32>) -> impl FnOnce() -> BoxFuture<'static, Result<u32>> {
            let (calls, mut open) = (self.calls.clone(), self.open.subscribe());
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    let _ = open.wait_for(|open| *open).await;
                    outcome
                }
                .boxed()
            }
        }

        /// Opens the gate. Polled after every caller of a `join!` started.
        async fn open(&self) {
            let _ = self.open.send(true);
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    /// `callers` calls under one key, each needing `AT`, all started while
    /// the first is held; the results once it is released.
    async fn concurrent(
        flights: &SingleFlight<&'static str, u32>,
        callers: usize,
        outcome: fn() -> Result<u32>,
    ) -> (Vec<(Result<u32>, Took)>, usize) {
        let gate = Gate::new();
        let runs: Vec<_> = (0..callers)
            .map(|_| flights.run(KEY, Some(AT), gate.call(outcome())))
            .collect();
        // `join_all` starts every call in its first poll, before the gate.
        let (results, ()) = tokio::join!(futures::future::join_all(runs), gate.open());
        (results, gate.calls())
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_call() {
        let flights = SingleFlight::default();
        let (results, calls) = concurrent(&flights, 10, || Ok(7)).await;
        assert_eq!(calls, 1, "one underlying call");
        assert!(results.iter().all(|(r, _)| matches!(r, Ok(7))));
        let joined = results.iter().filter(|(_, t)| *t == Took::Joined).count();
        assert_eq!(joined, 9, "every caller but the first joined");
    }

    #[tokio::test]
    async fn a_failure_reaches_every_waiter_as_a_storage_error() {
        let flights = SingleFlight::default();
        let failing = || Err(Error::Storage(anyhow::anyhow!("log down")));
        let (results, calls) = concurrent(&flights, 5, failing).await;
        assert_eq!(calls, 1);
        assert!(
            results
                .iter()
                .all(|(r, _)| matches!(r, Err(Error::Storage(_))))
        );
    }

    #[tokio::test]
    async fn a_completed_call_is_forgotten_so_the_next_calls_again() {
        let flights = SingleFlight::default();
        let (first, calls) = concurrent(&flights, 3, || Ok(1)).await;
        assert_eq!((first.len(), calls), (3, 1));
        assert!(lock(&flights.flights).is_empty(), "the key is forgotten");
        let (second, calls) = concurrent(&flights, 1, || Ok(2)).await;
        assert_eq!(calls, 1, "a later call calls again");
        assert!(matches!(second[0], (Ok(2), Took::OwnRead)));
    }

    #[tokio::test]
    async fn a_caller_needing_more_than_the_flight_covers_calls_alone() {
        let flights: SingleFlight<&str, u32> = SingleFlight::default();
        let gate = Gate::new();
        let later = StreamId { ms: 6, seq: 0 };
        let early = flights.run(KEY, Some(AT), gate.call(Ok(1)));
        let late = flights.run(KEY, Some(later), gate.call(Ok(2)));
        let unknown = flights.run(KEY, None, gate.call(Ok(3)));
        let covered = flights.run(KEY, Some(AT), gate.call(Ok(4)));
        let (early, late, unknown, covered, ()) =
            tokio::join!(early, late, unknown, covered, gate.open());
        assert_eq!(gate.calls(), 3);
        assert!(matches!(early, (Ok(1), Took::OwnRead)));
        assert!(matches!(late, (Ok(2), Took::OwnRead)));
        assert!(matches!(unknown, (Ok(3), Took::OwnRead)));
        // The flight that covers most is the one later callers join.
        assert!(matches!(covered, (Ok(2), Took::Joined)));
    }
}
