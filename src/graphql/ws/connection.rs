//! One graphql-ws connection: a single task multiplexing the socket, every
//! operation's response stream, keep-alives, the init deadline, the
//! slow-consumer signal and server shutdown.
//!
//! Backpressure: at most one batch of frames is queued before it is flushed,
//! and no stream is polled while a flush waits, so a client that stops
//! reading stops being polled; its subscriptions then lag in the hub and
//! later resume from the log. Nothing here buffers without bound.

use std::{pin::Pin, task::Poll, time::Duration};

use async_graphql::{Request, Response, ServerError};
use axum::extract::ws::{Message, WebSocket};
use futures::{
    FutureExt, StreamExt,
    stream::{self, BoxStream},
};
use serde_json::Value;
use tokio::time::{Instant, Sleep};
use tokio_stream::StreamMap;

use super::{
    SlowConsumer,
    protocol::{ClientMsg, CloseReason, Protocol, ServerMsg},
};
use crate::{
    domain::UserId,
    graphql::{Auth, ChatSchema, live_message::RequestShape},
    state::AppState,
    websocket::{Interrupted, MAX_BATCH, OpenSocket, Outbox},
};

/// Operations one connection may run at once; more get an `error` frame.
const MAX_OPERATIONS: usize = 100;
/// How long a closing server waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Stands in for "never" when a timer is disabled (a zero setting).
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Runs a freshly upgraded socket until either side closes it.
pub(super) async fn serve(
    socket: WebSocket,
    protocol: Protocol,
    schema: ChatSchema,
    state: AppState,
    header_auth: Auth,
) {
    let _open = OpenSocket::new(protocol.name());
    let keepalive_every = Some(state.config.ws_keepalive).filter(|d| !d.is_zero());
    let mut connection = Connection {
        socket: Outbox::new(socket, state.shutdown.clone()),
        protocol,
        schema,
        state,
        header_auth,
        user: None,
        operations: StreamMap::new(),
        slow: SlowConsumer::default(),
        keepalive_every,
        keepalive: Box::pin(tokio::time::sleep(keepalive_every.unwrap_or(NEVER))),
    };
    let end = connection.run().await;
    let user = connection.user.map(|u| u.0);
    match end {
        End::Close(reason) => {
            tracing::info!(user.id = user, "graphql-ws closing");
            let text = reason.reason();
            let closing = connection.socket.close(reason.code(), &text, CLOSE_GRACE);
            Box::pin(closing).await;
        }
        End::Peer(code) => {
            tracing::info!(user.id = user, code, "graphql-ws closed by client");
            // Reading the client's close queued our reply; flushing sends it.
            connection.socket.finish(CLOSE_GRACE).await;
        }
        End::Gone => tracing::info!(user.id = user, "graphql-ws connection lost"),
    }
}

struct Connection {
    socket: Outbox,
    protocol: Protocol,
    schema: ChatSchema,
    state: AppState,
    /// From the upgrade request's `Authorization`; used when
    /// `connection_init` brings no credentials of its own.
    header_auth: Auth,
    /// Set by an accepted `connection_init`.
    user: Option<UserId>,
    /// Running operations by client-chosen id.
    operations: StreamMap<String, BoxStream<'static, Event>>,
    slow: SlowConsumer,
    keepalive_every: Option<Duration>,
    /// Fires when it is time for a keep-alive (see `touch`).
    keepalive: Pin<Box<Sleep>>,
}

/// What an operation's stream yields: each response, then its end (which
/// `StreamMap` would otherwise swallow).
enum Event {
    Response {
        first: bool,
        response: Box<Response>,
    },
    End,
}

/// Whatever woke the connection up.
enum Wake {
    Shutdown,
    SlowConsumer,
    InitTimeout,
    Frame(Option<Result<Message, axum::Error>>),
    Operation(String, Event),
    KeepAlive,
}

/// How the connection ends.
enum End {
    /// The server closes, with this code and reason.
    Close(CloseReason),
    /// The client closed, with its code if it gave one.
    Peer(Option<u16>),
    /// The socket ended without a close frame, or failed.
    Gone,
}

type Step = Result<(), End>;

impl From<Interrupted> for End {
    fn from(interrupted: Interrupted) -> Self {
        match interrupted {
            Interrupted::Gone => End::Gone,
            Interrupted::ShuttingDown => End::Close(CloseReason::ShuttingDown),
        }
    }
}

impl Connection {
    async fn run(&mut self) -> End {
        let init_timeout = Some(self.state.config.graphql_ws_init_timeout)
            .filter(|d| !d.is_zero())
            .unwrap_or(NEVER);
        let init_deadline = tokio::time::sleep(init_timeout);
        tokio::pin!(init_deadline);
        let shutdown = self.state.shutdown.clone();
        let slow = self.slow.clone();
        loop {
            // Biased: closing reasons first, then the client, then output.
            let wake = tokio::select! {
                biased;
                () = shutdown.cancelled() => Wake::Shutdown,
                () = slow.triggered() => Wake::SlowConsumer,
                () = &mut init_deadline, if self.user.is_none() => Wake::InitTimeout,
                frame = self.socket.recv() => Wake::Frame(frame),
                Some((id, event)) = self.operations.next(), if !self.operations.is_empty() => {
                    Wake::Operation(id, event)
                }
                () = self.keepalive.as_mut(), if self.user.is_some() => Wake::KeepAlive,
            };
            let step = match wake {
                Wake::Shutdown => Err(End::Close(CloseReason::ShuttingDown)),
                Wake::SlowConsumer => Err(End::Close(CloseReason::SlowConsumer)),
                Wake::InitTimeout => Err(End::Close(CloseReason::InitTimeout)),
                // Boxed, like the other rare paths: a connection's task
                // lives as long as the connection, and inline state for
                // every rare step would be paid by every idle subscriber.
                Wake::Frame(frame) => Box::pin(self.on_frame(frame)).await,
                Wake::Operation(id, event) => self.on_events(id, event).await,
                Wake::KeepAlive => {
                    self.restart_keepalive();
                    self.send(&ServerMsg::KeepAlive).await
                }
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn on_frame(&mut self, frame: Option<Result<Message, axum::Error>>) -> Step {
        let message = match frame {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "graphql-ws read failed");
                return Err(End::Gone);
            }
            None => return Err(End::Gone),
        };
        self.touch();
        match message {
            Message::Text(text) => self.on_message(self.protocol.decode(text.as_str())).await,
            Message::Close(frame) => Err(End::Peer(frame.map(|f| f.code))),
            // The socket answers WebSocket pings by itself.
            Message::Ping(_) | Message::Pong(_) => Ok(()),
            Message::Binary(_) => Err(End::Close(CloseReason::InvalidMessage)),
        }
    }

    async fn on_message(&mut self, message: ClientMsg) -> Step {
        match message {
            ClientMsg::Invalid => {
                tracing::debug!("invalid graphql-ws message");
                Err(End::Close(CloseReason::InvalidMessage))
            }
            ClientMsg::Init { payload } => self.on_init(payload.as_ref()).await,
            ClientMsg::Ping { payload } => self.send(&ServerMsg::Pong(payload)).await,
            ClientMsg::Pong => Ok(()),
            ClientMsg::Subscribe { id, request } => self.on_subscribe(id, *request).await,
            // Stopped by the client: no `complete` goes back (PROTOCOL.md).
            ClientMsg::Complete { id } => {
                self.operations.remove(&id);
                Ok(())
            }
            ClientMsg::Terminate => Err(End::Close(CloseReason::Normal)),
        }
    }

    async fn on_init(&mut self, payload: Option<&Value>) -> Step {
        if self.user.is_some() {
            return Err(End::Close(CloseReason::TooManyInits));
        }
        // Credentials in the payload win over the upgrade request's header.
        let auth = match credentials(payload) {
            Some(Value::String(token)) => Auth::from_bearer(&self.state.tokens, Some(token)),
            Some(_) => Auth::Invalid,
            None => self.header_auth,
        };
        let Auth::User(user) = auth else {
            self.send(&ServerMsg::ConnectionError("Forbidden")).await?;
            return Err(End::Close(CloseReason::Forbidden));
        };
        self.user = Some(user);
        tracing::Span::current().record("user.id", user.0);
        tracing::info!(user.id = user.0, "graphql-ws connected");
        self.send(&ServerMsg::Ack).await?;
        if self.protocol == Protocol::Legacy {
            // subscriptions-transport-ws clients start their keep-alive
            // watchdog on the first `ka`.
            self.send(&ServerMsg::KeepAlive).await?;
        }
        Ok(())
    }

    async fn on_subscribe(&mut self, id: String, request: Request) -> Step {
        let Some(user) = self.user else {
            return Err(End::Close(CloseReason::Unauthorized));
        };
        if self.operations.contains_key(&id) {
            return Err(End::Close(CloseReason::DuplicateId(id)));
        }
        if self.operations.len() >= MAX_OPERATIONS {
            let errors = [ServerError::new(
                format!("At most {MAX_OPERATIONS} operations may run on one connection"),
                None,
            )];
            return self
                .send(&ServerMsg::Error {
                    id: &id,
                    errors: &errors,
                })
                .await;
        }
        let shape = RequestShape::of(&request);
        let request = request
            .data(Auth::User(user))
            .data(self.slow.clone())
            .data(shape);
        let mut events = self
            .schema
            .execute_stream(request)
            .enumerate()
            .map(|(i, response)| Event::Response {
                first: i == 0,
                response: Box::new(response),
            })
            .chain(stream::once(async { Event::End }))
            .boxed();
        // Started here rather than when the loop next polls operations: the
        // first poll runs up to the subscription's first I/O, and by then it
        // has taken its start position (see `messaging::live`), so it starts
        // at the moment its frame was read, however many frames follow.
        let first = std::future::poll_fn(|cx| Poll::Ready(events.poll_next_unpin(cx))).await;
        self.operations.insert(id.clone(), events);
        match first {
            Poll::Ready(Some(event)) => {
                self.on_event(id, event).await?;
                self.flush().await
            }
            Poll::Ready(None) | Poll::Pending => Ok(()),
        }
    }

    /// An operation's event, then every other event already waiting (up to
    /// a batch), all written with one flush.
    async fn on_events(&mut self, id: String, event: Event) -> Step {
        self.on_event(id, event).await?;
        for _ in 1..MAX_BATCH {
            let Some(Some((id, event))) = self.operations.next().now_or_never() else {
                break;
            };
            self.on_event(id, event).await?;
        }
        self.flush().await
    }

    /// Queues the frame an event calls for; the caller flushes.
    async fn on_event(&mut self, id: String, event: Event) -> Step {
        match event {
            // Refused before it ran: `error` ends the operation, and no
            // `complete` follows it.
            Event::Response {
                first: true,
                response,
            } if is_request_error(&response) => {
                self.operations.remove(&id);
                let errors = &response.errors;
                self.queue(&ServerMsg::Error { id: &id, errors }).await
            }
            Event::Response { response, .. } => {
                let response = &response;
                self.queue(&ServerMsg::Next { id: &id, response }).await
            }
            Event::End => {
                // Removed now, so the client may reuse the id at once.
                self.operations.remove(&id);
                // The stream ended because its subscriber fell too far
                // behind: the connection closes instead of completing.
                if self.slow.is_triggered() {
                    return Err(End::Close(CloseReason::SlowConsumer));
                }
                self.queue(&ServerMsg::Complete { id: &id }).await
            }
        }
    }

    /// Sends one frame and waits until the socket has taken it.
    async fn send(&mut self, message: &ServerMsg<'_>) -> Step {
        self.queue(message).await?;
        self.flush().await
    }

    /// Queues one frame; it is written by the next flush, or at once when
    /// the write buffer fills.
    async fn queue(&mut self, message: &ServerMsg<'_>) -> Step {
        let Some(text) = self.protocol.encode(message) else {
            return Ok(());
        };
        self.socket
            .feed(Message::text(text))
            .await
            .map_err(End::from)
    }

    /// Writes whatever is queued: the backpressure point.
    async fn flush(&mut self) -> Step {
        self.socket.flush().await.map_err(End::from)?;
        self.touch();
        Ok(())
    }

    /// Traffic postpones the modern protocol's `ping`. The legacy `ka` is
    /// periodic instead: subscriptions-transport-ws clients drop a
    /// connection that goes one interval without a `ka`, however busy.
    fn touch(&mut self) {
        if self.protocol == Protocol::TransportWs {
            self.restart_keepalive();
        }
    }

    fn restart_keepalive(&mut self) {
        if let Some(every) = self.keepalive_every {
            self.keepalive.as_mut().reset(Instant::now() + every);
        }
    }
}

/// `connection_init` credentials: `Authorization`, `authorization` or
/// `token`, each in a form `Credentials` accepts.
fn credentials(payload: Option<&Value>) -> Option<&Value> {
    let payload = payload?.as_object()?;
    ["Authorization", "authorization", "token"]
        .into_iter()
        .find_map(|key| payload.get(key))
}

/// An operation refused before execution (syntax, validation, limits) has
/// no data and no error with a path; a resolver error always has a path.
fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}
