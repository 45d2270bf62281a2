//! WebSocket plumbing both socket protocols share (the legacy django-chat
//! protocol in `http::legacy_ws`, graphql-ws in `graphql::ws`): how an
//! upgrade is configured and checked, the close codes, the open-socket
//! gauge, the [`Outbox`] every connection writes through and the
//! [`session::run`] loop every connection runs. Neither
//! surface owns it, so neither depends on the other.

pub mod close;
mod origin;
mod outbox;
pub mod session;

use axum::{extract::WebSocketUpgrade, http::HeaderMap};

use crate::{config::Config, error::Error};

pub use close::CloseCode;
pub use outbox::{Interrupted, Outbox};
pub use session::{End, Session, Step};

/// WebSocket buffers per connection. tungstenite's defaults (128 KiB each,
/// the read one allocated up front) cost ~145 KiB per idle subscription.
/// Client frames here are small and rare, and the whole read buffer is
/// zero-filled on every poll of the socket, so it is kept tiny: a larger
/// frame is read in several steps, and the buffer grows to hold it and
/// keeps that size (a graphql-ws socket, after a `connection_init` with a
/// token, ~0.5 KiB; it was 1 KiB when the buffer started at 512 bytes).
/// The write buffer only ever holds one batch of live frames (see
/// [`MAX_BATCH`]); it grows on first use and keeps the size of the largest
/// batch written (a few hundred bytes on an idle subscription).
const READ_BUFFER: usize = 256;
const WRITE_BUFFER: usize = 16 * 1024;

/// Live frames queued on one socket before a flush. A subscriber that is
/// behind has several messages waiting: writing them together costs one
/// system call and one TCP segment instead of one each, so a node under load
/// catches up instead of falling further behind.
pub const MAX_BATCH: usize = 32;

/// Every upgrade's first step, on either protocol: a page from an origin
/// not in `ALLOWED_ORIGINS` is refused; otherwise the upgrade gets this
/// server's buffers, and client frames above `MAX_BODY_BYTES` are refused
/// by the socket (client frames are small: a message is at most 2,000
/// characters, and a megabyte frame would only make us buffer it).
pub fn accept(
    upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    config: &Config,
) -> Result<WebSocketUpgrade, Error> {
    origin::check(headers, &config.allowed_origins).inspect_err(|_| {
        tracing::info!("WebSocket upgrade refused: origin not allowed");
    })?;
    Ok(upgrade
        .max_message_size(config.max_body_bytes)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER))
}

/// An open WebSocket, counted in `websocket_connections{protocol}` for as
/// long as this guard lives (however the connection ends).
pub struct OpenSocket(metrics::Gauge);

impl OpenSocket {
    /// `protocol`: `graphql-transport-ws`, `graphql-ws` or `legacy`.
    pub fn new(protocol: &'static str) -> Self {
        let gauge = metrics::gauge!("websocket_connections", "protocol" => protocol);
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
