//! Shutdown: the OS signals that stop the server, the token that stops
//! background tasks, and the signals that tell long-lived sockets to close.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use futures::task::AtomicWaker;
pub use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TrackedFuture};

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Fired once, polled on every wake of its socket: a flag and a waker, no
/// lock. A cancellation token takes a process-wide lock on every poll (and
/// its wait two more), which showed in the fan-out profiles once every
/// socket polled one on every message.
#[derive(Debug, Default)]
pub struct EndSignal {
    fired: AtomicBool,
    waker: AtomicWaker,
}

impl EndSignal {
    pub fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.waker.wake();
    }

    pub fn is_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }

    /// Resolves once fired; cheap to make and poll on every event.
    pub fn fired(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| self.poll_fired(cx))
    }

    fn poll_fired(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_fired() {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // Fired between the check and the registration: seen here.
        if self.is_fired() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The node's open WebSockets, as shutdown sees them: each one's task,
/// which shutdown waits on to send its close frame (axum stops tracking a
/// connection once it is upgraded), and each one's [`EndSignal`], all fired
/// when the shutdown token is cancelled.
#[derive(Clone)]
pub struct OpenSockets {
    tasks: TaskTracker,
    stops: Arc<Stops>,
}

struct Stops {
    /// Set, under the lock, when every signal was fired: a socket that
    /// opens later is stopped from the start.
    stopped: AtomicBool,
    waiting: Mutex<HashMap<u64, Arc<EndSignal>>>,
    next_key: AtomicU64,
}

impl Stops {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<EndSignal>>> {
        // Never held across an await; a poisoned map is still consistent.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new socket's stop; dropping it forgets the socket.
    fn register(self: &Arc<Self>) -> SocketStop {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let signal = Arc::new(EndSignal::default());
        let mut waiting = self.lock();
        if self.stopped.load(Ordering::Acquire) {
            signal.fire();
        } else {
            waiting.insert(key, signal.clone());
        }
        SocketStop {
            stops: self.clone(),
            key,
            signal,
        }
    }

    fn stop_all(&self) {
        let mut waiting = self.lock();
        self.stopped.store(true, Ordering::Release);
        for (_, signal) in waiting.drain() {
            signal.fire();
        }
    }
}

impl OpenSockets {
    /// Stops every socket once `shutdown` is cancelled.
    pub fn new(shutdown: &CancellationToken) -> Self {
        let stops = Arc::new(Stops {
            stopped: AtomicBool::new(false),
            waiting: Mutex::new(HashMap::new()),
            next_key: AtomicU64::new(0),
        });
        let firing = stops.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            firing.stop_all();
        });
        Self {
            tasks: TaskTracker::new(),
            stops,
        }
    }

    /// Runs an upgraded connection: `serve` gets the stop it must heed,
    /// and the connection counts as open until its future ends.
    pub fn open<F: Future>(&self, serve: impl FnOnce(SocketStop) -> F) -> TrackedFuture<F> {
        self.tasks.track_future(serve(self.stops.register()))
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits until every socket has closed (after the token is cancelled).
    pub async fn closed(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// One socket's view of the node's shutdown.
pub struct SocketStop {
    stops: Arc<Stops>,
    key: u64,
    signal: Arc<EndSignal>,
}

impl SocketStop {
    /// The signal itself, for a loop that also lends the socket out.
    pub fn signal(&self) -> Arc<EndSignal> {
        self.signal.clone()
    }

    /// Resolves once the node shuts down.
    pub fn stopped(&self) -> impl Future<Output = ()> + '_ {
        self.signal.fired()
    }
}

impl Drop for SocketStop {
    fn drop(&mut self) {
        self.stops.lock().remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const LIMIT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn cancelling_the_token_stops_every_socket_even_one_that_opens_after() {
        let shutdown = CancellationToken::new();
        let sockets = OpenSockets::new(&shutdown);
        let open = sockets.stops.register();
        drop(sockets.stops.register());
        assert_eq!(
            sockets.stops.lock().len(),
            1,
            "a closed socket is forgotten"
        );
        assert!(!open.signal().is_fired());

        shutdown.cancel();
        tokio::time::timeout(LIMIT, open.stopped())
            .await
            .expect("an open socket is stopped");
        let late = sockets.stops.register();
        assert!(late.signal().is_fired(), "a socket opened after is stopped");
        assert!(sockets.stops.lock().is_empty());
    }

    #[tokio::test]
    async fn shutdown_waits_for_the_sockets_it_stops() {
        let shutdown = CancellationToken::new();
        let sockets = OpenSockets::new(&shutdown);
        let serving = tokio::spawn(sockets.open(|stop| async move { stop.stopped().await }));
        assert_eq!(sockets.len(), 1);
        shutdown.cancel();
        tokio::time::timeout(LIMIT, sockets.closed())
            .await
            .expect("the socket closed once stopped");
        assert!(sockets.is_empty());
        serving.await.expect("the socket's task ran");
    }

    #[tokio::test]
    async fn an_end_signal_wakes_its_waiter_once_fired() {
        let signal = Arc::new(EndSignal::default());
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.fired().await }
        });
        tokio::task::yield_now().await;
        assert!(!signal.is_fired());
        signal.fire();
        tokio::time::timeout(LIMIT, waiter)
            .await
            .expect("woken")
            .expect("the waiter ran");
        assert!(signal.is_fired());
    }
}
