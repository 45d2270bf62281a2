//! The accept loop: HTTP/1.1 connections (and their WebSocket upgrades) with
//! the limits `axum::serve` has no setting for. A connection that has not
//! sent a whole request head within `HTTP_HEADER_TIMEOUT_SECS` is closed,
//! whether it is new or idle between keep-alive requests (hyper's header
//! timer runs in both cases); past `MAX_CONNECTIONS` open connections a new
//! one is answered `503` and closed instead of taking a file descriptor the
//! node may need. Open WebSockets count towards that limit: an upgraded
//! connection leaves hyper, and is then one of `AppState::sockets`.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request},
    response::Response,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
};
use tokio_util::task::TaskTracker;
use tower::{Service, ServiceExt};

use crate::{
    config::ConnectionLimits,
    shutdown::{CancellationToken, OpenSockets},
};

/// What a refused connection reads before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 47\r\n\
\r\n\
{\"detail\":\"Too many connections, retry later.\"}";

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets the
/// requests in flight finish (upgraded WebSockets are tracked elsewhere).
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ConnectionLimits,
    sockets: OpenSockets,
    shutdown: CancellationToken,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let open = Arc::new(AtomicUsize::new(0));
    let connections = TaskTracker::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = Slot::take(&open, limits.max_connections.saturating_sub(sockets.len()))
        else {
            connections.spawn(refuse(stream));
            continue;
        };
        let service = app.clone();
        let builder = builder.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let _slot = slot;
            serve_connection(builder, stream, peer, service, shutdown).await;
        });
    }
    connections.close();
    connections.wait().await;
}

async fn serve_connection<S>(
    builder: http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    app: S,
    shutdown: CancellationToken,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    // Small chat requests and answers: sent at once, not coalesced.
    let _ = stream.set_nodelay(true);
    let service =
        TowerToHyperService::new(app.map_request(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        }));
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        // Timeouts and resets are a client's business, not an error here.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// Answers 503 and closes: the client learns why, and retries later.
async fn refuse(mut stream: TcpStream) {
    metrics::counter!("http_connections_refused_total").increment(1);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await
    })
    .await;
}

/// One of the `MAX_CONNECTIONS` places, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()?;
        metrics::gauge!("http_connections").increment(1.0);
        Some(Self(open.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("http_connections").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_says_how_long_its_body_is() {
        let text = std::str::from_utf8(REFUSAL).expect("ascii");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }

    #[test]
    fn slots_stop_at_the_limit_and_come_back() {
        // The limit passed is what open WebSockets leave of MAX_CONNECTIONS.
        let open = Arc::new(AtomicUsize::new(0));
        let first = Slot::take(&open, 2);
        let second = Slot::take(&open, 2);
        assert!(first.is_some() && second.is_some());
        assert!(Slot::take(&open, 2).is_none());
        drop(first);
        assert!(Slot::take(&open, 2).is_some());
    }
}
