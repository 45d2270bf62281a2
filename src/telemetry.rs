//! Logging: one JSON object per line (or a human format), filtered by
//! `RUST_LOG`; and the per-request span that carries the request id.

use std::time::Duration;

use axum::{
    extract::MatchedPath,
    http::{Request, Response},
};
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `filter` was validated by `Config`.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.pretty().try_init(),
    };
    if let Err(e) = result {
        eprintln!("logging was already initialised: {e}");
    }
}

/// The span every request runs in. `user.id` and `conversation.id` are
/// filled in by the extractors that learn them.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = %request.uri().path(),
        route,
        user.id = tracing::field::Empty,
        conversation.id = tracing::field::Empty,
    )
}

/// One line per finished request, with status and latency.
pub fn on_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        // Hundredths of a millisecond: finer digits are noise, and long.
        latency_ms = (latency.as_secs_f64() * 100_000.0).round() / 100.0,
        "request finished"
    );
}

/// Records the authenticated user on the current request span.
pub fn record_user(id: i64) {
    Span::current().record("user.id", id);
}
