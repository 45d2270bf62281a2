//! Prometheus metrics: the process's recorder, `GET /metrics` (optionally
//! behind `METRICS_TOKEN`), the middleware that counts every HTTP request by
//! route, and the gauge of open WebSockets.
//!
//! Everything else records through the `metrics` macros wherever it happens
//! (domain, backends, GraphQL); this module only installs and renders.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{
    domain::state::AppState,
    domain::tokens::Credentials,
    error::{Error, NoCredentials, StorageBackend},
};

/// Request latencies: Prometheus's default buckets, up to 10 s.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Append-to-publish lag of the Redis stream readers: normally a few
/// milliseconds; seconds mean a reader is behind or was reconnecting.
const LAG_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Histogram samples wait in the recorder until drained; a scrape drains
/// them too, but memory must stay bounded when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, installed as the global `metrics`
/// recorder on the first call.
///
/// Metrics are per process, not per server: several servers in one process
/// (the integration tests) share every counter, so a test must assert on
/// increases, never on absolute values.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let bucketed = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                HTTP_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("stream_reader_delivery_lag_seconds".into()),
                    LAG_BUCKETS,
                )
            });
        // Only an empty bucket list is refused, and these are constants:
        // summaries instead of histograms would still be metrics.
        let recorder = bucketed
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "histogram buckets refused; using summaries");
                PrometheusBuilder::new()
            })
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no metrics upkeep thread; only scrapes drain histograms");
        }
        describe();
        register_at_zero();
        handle
    })
}

/// Families that exist from the first scrape, at zero: alert rules then
/// see `0`, not "no data". Labelled families get their usual series (the
/// liveness probe's requests stand in for all HTTP traffic). Redis-only
/// families are registered when the stream readers start.
fn register_at_zero() {
    metrics::counter!("http_requests_total", "method" => "GET", "route" => "/livez", "status" => "200")
        .increment(0);
    let _registered = metrics::histogram!("http_request_duration_seconds", "method" => "GET", "route" => "/livez");
    metrics::counter!("graphql_operations_total", "operation" => "anonymous", "type" => "query", "outcome" => "ok")
        .increment(0);
    for protocol in ["graphql-transport-ws", "graphql-ws", "legacy"] {
        metrics::gauge!("websocket_connections", "protocol" => protocol).increment(0.0);
    }
    metrics::gauge!("http_connections").increment(0.0);
    metrics::counter!("http_connections_refused_total").increment(0);
    metrics::counter!("websocket_refused_total", "reason" => "too_many_sockets").increment(0);
    metrics::gauge!("graphql_ws_operation_bytes").increment(0.0);
    for name in [
        "messages_sent_total",
        "messages_throttled_total",
        "live_deliveries_total",
        "live_slow_consumers_total",
        "password_hashes_refused_total",
        "membership_changes_throttled_total",
        "presence_changes_total",
        "typing_signals_total",
    ] {
        metrics::counter!(name).increment(0);
    }
    for (action, limit) in [
        ("login", "address"),
        ("login", "account"),
        ("signup", "address"),
    ] {
        metrics::counter!("auth_throttled_total", "action" => action, "limit" => limit)
            .increment(0);
    }
    for reason in ["since", "lagged"] {
        metrics::counter!("live_catch_ups_total", "reason" => reason).increment(0);
    }
    for shared in ["false", "true"] {
        metrics::counter!("live_catch_up_reads_total", "shared" => shared).increment(0);
    }
    for result in ["hit", "miss"] {
        metrics::counter!("membership_cache_total", "result" => result).increment(0);
    }
    StorageBackend::Database.register_failures();
}

/// `# HELP` lines for the scrape output.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests by method, matched route and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        "HTTP request latency by method and matched route"
    );
    describe_counter!(
        "graphql_operations_total",
        "GraphQL operations by name, type and outcome"
    );
    describe_gauge!(
        "websocket_connections",
        "Open WebSocket connections by protocol"
    );
    describe_gauge!(
        "http_connections",
        "Open HTTP connections (upgraded ones count as WebSockets)"
    );
    describe_counter!(
        "http_connections_refused_total",
        "Connections answered 503 because MAX_CONNECTIONS were open"
    );
    describe_counter!(
        "websocket_refused_total",
        "Authenticated WebSockets refused, by reason (too_many_sockets: MAX_SOCKETS_PER_USER)"
    );
    describe_gauge!(
        "graphql_ws_operation_bytes",
        "Bytes of the operations (query, variables, name) running on graphql-ws sockets"
    );
    describe_counter!("messages_sent_total", "Messages stored, from every surface");
    describe_counter!(
        "presence_changes_total",
        "Presence changes this node announced (first socket opened, last closed or expired)"
    );
    describe_counter!(
        "typing_signals_total",
        "Typing signals this node sent, after coalescing"
    );
    describe_counter!(
        "messages_throttled_total",
        "Sends refused by the rate limiter"
    );
    describe_counter!(
        "auth_throttled_total",
        "Logins and signups refused before hashing, by action and limit (address, account)"
    );
    describe_counter!(
        "password_hashes_refused_total",
        "Signups and logins answered 503: every password-hash slot stayed busy"
    );
    describe_counter!(
        "membership_changes_throttled_total",
        "Conversation creations and participant additions refused by MEMBERSHIP_CHANGES_PER_HOUR"
    );
    describe_counter!(
        "live_deliveries_total",
        "Messages handed to live subscribers, one per subscriber"
    );
    describe_counter!(
        "membership_cache_total",
        "Membership checks answered from the node's cache (hit) or the database (miss)"
    );
    describe_counter!(
        "live_catch_ups_total",
        "Subscribers reading the log, by reason (since, lagged)"
    );
    describe_counter!(
        "live_catch_up_reads_total",
        "Catch-up pages: log reads (shared=false) and subscribers served by another's read in flight (shared=true)"
    );
    describe_counter!(
        "live_slow_consumers_total",
        "Subscribers closed for falling too far behind"
    );
    describe_gauge!(
        "stream_reader_batch_entries",
        "Messages returned by each stream reader's last XREAD"
    );
    describe_histogram!(
        "stream_reader_delivery_lag_seconds",
        "Time from append in Redis to publication on this node"
    );
    describe_counter!(
        "stream_reader_errors_total",
        "Stream reader failures (each followed by a reconnect)"
    );
    describe_counter!(
        "storage_errors_total",
        "Failed database or Redis operations by backend"
    );
}

/// `GET /metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let header = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let presented = match Credentials::parse(header) {
            Credentials::Token(presented) => token.matches(presented),
            Credentials::Missing | Credentials::Malformed => false,
        };
        if !presented {
            return Error::Unauthenticated(NoCredentials::MetricsToken).into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
        .into_response()
}

/// Methods outside this list share the label `OTHER`: the method is
/// client-chosen, and each label value is a series kept forever.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Middleware: counts and times every request by its matched route.
pub async fn track(request: Request, next: Next) -> Response {
    let method = METHODS
        .into_iter()
        .find(|m| *m == request.method().as_str())
        .unwrap_or("OTHER");
    // The route pattern, never the path: ids would make a series each.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}
