//! The one connection loop both socket protocols run: race shutdown, read
//! the client's frames, take the session's own next event (live streams,
//! operations, timers), and write it with every other event already waiting
//! (up to [`MAX_BATCH`]) in one flush. What a frame or an event means, and
//! how a connection ends, is the protocol's: it is a [`Session`].
//!
//! Memory: a connection's task lives as long as the connection, so its size
//! is paid by every idle subscriber. Client frames are rare next to idling:
//! their handler is boxed, so its state is allocated only while it runs.
//! So is the writing of a batch: one small allocation per batch (not per
//! frame) instead of ~400 bytes more in every idle connection's task.

use std::{borrow::Cow, future::Future};

use axum::extract::ws::Message;

use super::{CloseCode, Interrupted, MAX_BATCH, Outbox};

/// The client's next frame as the socket reads it (`None` once it ended).
pub type Incoming = Option<Result<Message, axum::Error>>;

/// What woke a connection: a client frame or one of the session's events.
pub enum Wake<E> {
    Frame(Incoming),
    Event(E),
}

/// How a connection ends.
#[derive(Debug)]
pub enum End {
    /// The server closes, with this code and reason.
    Close(CloseCode, Cow<'static, str>),
    /// The client closed, with its code if it gave one.
    Peer(Option<u16>),
    /// The socket ended without a close frame, or failed.
    Gone,
}

impl End {
    /// 1001: the node is shutting down.
    pub fn shutting_down() -> Self {
        End::Close(CloseCode::GoingAway, Cow::Borrowed("server shutting down"))
    }
}

/// One step of a connection: `Err` ends it.
pub type Step = Result<(), End>;

/// One protocol's side of a connection; [`run`] drives it.
pub trait Session: Send {
    /// What the session's own sources yield.
    type Event: Send;

    /// Waits for the client's next frame (`frame`) or the session's next
    /// event, whichever comes first, in the session's order of priority.
    /// Cancelled when the node shuts down, so it must be cancel-safe.
    fn next_event<F>(&mut self, frame: F) -> impl Future<Output = Wake<Self::Event>> + Send
    where
        F: Future<Output = Incoming> + Send;

    /// An event that is ready now, to write in the same batch.
    fn ready_event(&mut self) -> Option<Self::Event>;

    /// A client frame other than a close (which ends the connection before
    /// it gets here). Flushes what it writes.
    fn on_frame(
        &mut self,
        message: Message,
        outbox: &mut Outbox,
    ) -> impl Future<Output = Step> + Send;

    /// Queues what an event calls for; [`run`] flushes the batch.
    fn on_event(
        &mut self,
        event: Self::Event,
        outbox: &mut Outbox,
    ) -> impl Future<Output = Step> + Send;

    /// A batch of events was written.
    fn on_flushed(&mut self) {}

    /// How the connection ends when a write did not happen.
    fn on_interrupted(&self, interrupted: Interrupted) -> End;
}

/// Serves a connection until either side ends it. Each write is awaited
/// here, so a client that stops reading stops its session from being polled
/// (see [`Outbox`]).
pub async fn run<S: Session>(outbox: &mut Outbox, session: &mut S) -> End {
    let stop = outbox.stop_signal();
    loop {
        let wake = tokio::select! {
            biased;
            () = stop.fired() => return End::shutting_down(),
            wake = session.next_event(outbox.recv()) => wake,
        };
        let step = match wake {
            Wake::Frame(Some(Ok(Message::Close(frame)))) => Err(End::Peer(frame.map(|f| f.code))),
            // Boxed, both: see the module docs.
            Wake::Frame(Some(Ok(message))) => Box::pin(session.on_frame(message, outbox)).await,
            Wake::Frame(Some(Err(e))) => Err(read_failed(e)),
            Wake::Frame(None) => Err(End::Gone),
            Wake::Event(event) => Box::pin(write_batch(outbox, session, event)).await,
        };
        if let Err(end) = step {
            return end;
        }
    }
}

/// How a failed read ends the connection: a frame over the size limit is
/// answered with 1009 (the socket can still write), anything else means
/// the peer is gone.
fn read_failed(error: axum::Error) -> End {
    let error = error.into_inner();
    if let Some(tungstenite::Error::Capacity(_)) = error.downcast_ref::<tungstenite::Error>() {
        return End::Close(CloseCode::TooBig, Cow::Borrowed("message too big"));
    }
    tracing::debug!(error = %error, "websocket read failed");
    End::Gone
}

/// An event, then every other event already waiting (up to a batch), all
/// written with one flush.
async fn write_batch<S: Session>(outbox: &mut Outbox, session: &mut S, first: S::Event) -> Step {
    session.on_event(first, outbox).await?;
    for _ in 1..MAX_BATCH {
        let Some(event) = session.ready_event() else {
            break;
        };
        session.on_event(event, outbox).await?;
    }
    if let Err(interrupted) = outbox.flush().await {
        return Err(session.on_interrupted(interrupted));
    }
    session.on_flushed();
    Ok(())
}
