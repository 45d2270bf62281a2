//! The one way a connection writes to its socket, for both protocols.
//!
//! Backpressure: a frame is queued, and written by the next flush (or at
//! once when the write buffer fills); a connection awaits its flushes, so a
//! client that stops reading stops its connection from polling the live
//! streams, whose subscriptions then lag and later resume from the log.
//! Shutdown wins over a client that stopped reading: no write outlives it.

use std::{sync::Arc, time::Duration};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::SinkExt;

use super::CloseCode;
use crate::shutdown::{EndSignal, SocketStop};

/// Why a write did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// The client is gone (the socket failed or ended).
    Gone,
    /// The node is shutting down; the connection should close with 1001.
    ShuttingDown,
}

/// A connection's socket and the node's shutdown signal.
pub struct Outbox {
    socket: WebSocket,
    stop: SocketStop,
}

impl Outbox {
    pub fn new(socket: WebSocket, stop: SocketStop) -> Self {
        Self { socket, stop }
    }

    /// Fired when the node shuts down; its own handle, so that a loop can
    /// wait for it while it reads the socket.
    pub fn stop_signal(&self) -> Arc<EndSignal> {
        self.stop.signal()
    }

    /// The next frame from the client (`None` once the socket has ended).
    pub async fn recv(&mut self) -> Option<Result<Message, axum::Error>> {
        self.socket.recv().await
    }

    /// Queues one frame.
    pub async fn feed(&mut self, message: Message) -> Result<(), Interrupted> {
        tokio::select! {
            biased;
            queued = self.socket.feed(message) => queued.map_err(|_| Interrupted::Gone),
            () = self.stop.stopped() => Err(Interrupted::ShuttingDown),
        }
    }

    /// Writes whatever is queued: the backpressure point.
    pub async fn flush(&mut self) -> Result<(), Interrupted> {
        tokio::select! {
            biased;
            flushed = self.socket.flush() => flushed.map_err(|_| Interrupted::Gone),
            () = self.stop.stopped() => Err(Interrupted::ShuttingDown),
        }
    }

    /// Queues one frame and writes it.
    pub async fn send(&mut self, message: Message) -> Result<(), Interrupted> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Sends our close frame, then reads until the client's (or the end of
    /// the socket), for at most `grace`: closing with unread input would
    /// reset the TCP connection, and a reset can discard the close frame
    /// before the client reads it. A client that never answers does not
    /// hold the task.
    pub async fn close(&mut self, code: CloseCode, reason: &str, grace: Duration) {
        tracing::info!(
            close.code = code.number(),
            reason,
            "websocket closed by the server"
        );
        let frame = CloseFrame {
            code: code.number(),
            reason: reason.into(),
        };
        let closing = async {
            if self.socket.send(Message::Close(Some(frame))).await.is_err() {
                return;
            }
            while let Some(Ok(message)) = self.socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(grace, closing).await;
    }

    /// Writes what is queued (the reply to a client's close frame), for at
    /// most `grace`.
    pub async fn finish(&mut self, grace: Duration) {
        let _ = tokio::time::timeout(grace, self.socket.flush()).await;
    }
}
