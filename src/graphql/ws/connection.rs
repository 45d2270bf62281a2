//! One graphql-ws connection: a single task multiplexing the socket, every
//! operation's response stream, keep-alives, the init deadline, the
//! slow-consumer signal and server shutdown.
//!
//! Backpressure: at most one batch of frames is queued before it is flushed,
//! and no stream is polled while a flush waits, so a client that stops
//! reading stops being polled; its subscriptions then lag in the hub and
//! later resume from the log. Nothing here buffers without bound.

use std::{
    future::Future,
    pin::Pin,
    task::Poll,
    time::{Duration, SystemTime},
};

use async_graphql::{Request, Response, ServerError};
use axum::extract::ws::Message;
use futures::{
    FutureExt, StreamExt,
    stream::{self, BoxStream},
};
use serde_json::Value;
use tokio::time::{Instant, Sleep};
use tokio_stream::StreamMap;

use super::{
    SlowConsumer,
    budget::Budget,
    protocol::{ClientMsg, CloseReason, Protocol, ServerMsg},
    trim,
};
use crate::{
    client_addr::ClientAddr,
    domain::{
        UserId,
        sessions::{self, SessionEnd, SocketSession, TooManySockets},
        state::AppState,
    },
    graphql::{Auth, ChatSchema, SocketAuth, live_message::RequestShape},
    websocket::{
        End, Interrupted, OpenSocket, Outbox, Session, Step,
        session::{self, Incoming, Wake},
    },
};

/// Operations one connection may run at once; more get an `error` frame.
const MAX_OPERATIONS: usize = 100;
/// How long a closing server waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Stands in for "never" when a timer is disabled (a zero setting).
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Runs a freshly upgraded socket until either side closes it.
///
/// Not an `async fn`: one keeps its arguments in its future beside what it
/// builds from them (the connection), both for the whole life of every
/// connection. Built first, the future holds each once.
pub(super) fn serve(
    mut socket: Outbox,
    protocol: Protocol,
    schema: ChatSchema,
    state: AppState,
    header_auth: SocketAuth,
    client: ClientAddr,
) -> impl Future<Output = ()> + Send {
    let open = OpenSocket::new(protocol.name());
    let mut connection = Connection::new(protocol, schema, state, header_auth, client);
    async move {
        let _open = open;
        let end = session::run(&mut socket, &mut connection).await;
        let user = connection.user.map(|u| u.0);
        match end {
            End::Close(code, reason) => {
                tracing::info!(user.id = user, "graphql-ws closing");
                Box::pin(socket.close(code, &reason, CLOSE_GRACE)).await;
            }
            End::Peer(code) => {
                tracing::info!(user.id = user, code, "graphql-ws closed by client");
                // Reading the client's close queued our reply; flushing sends it.
                Box::pin(socket.finish(CLOSE_GRACE)).await;
            }
            End::Gone => tracing::info!(user.id = user, "graphql-ws connection lost"),
        }
    }
}

struct Connection {
    protocol: Protocol,
    schema: ChatSchema,
    state: AppState,
    /// From the upgrade request's `Authorization`; used when
    /// `connection_init` brings no credentials of its own.
    header_auth: SocketAuth,
    /// The upgrade request's client address, for the login throttles.
    client: ClientAddr,
    /// Set by an accepted `connection_init`.
    user: Option<UserId>,
    /// Ends when the token expires or the account is deactivated.
    session: Option<SocketSession>,
    /// Running operations by client-chosen id.
    operations: StreamMap<String, BoxStream<'static, Output>>,
    /// What the running operations hold, within the socket's caps.
    budget: Budget,
    slow: SlowConsumer,
    /// Until `connection_init` is accepted: when the connection closes
    /// with 4408.
    init_deadline: Option<Pin<Box<Sleep>>>,
    keepalive_every: Option<Duration>,
    /// Fires when it is time for a keep-alive (see `touch`).
    keepalive: Pin<Box<Sleep>>,
}

/// What an operation's stream yields: each response, then its end (which
/// `StreamMap` would otherwise swallow).
enum Output {
    Response {
        first: bool,
        response: Box<Response>,
    },
    End,
}

/// What the connection's own sources yield.
enum Event {
    SessionEnded(SessionEnd),
    SlowConsumer,
    InitTimeout,
    Operation(String, Output),
    KeepAlive,
}

impl From<CloseReason> for End {
    fn from(reason: CloseReason) -> Self {
        End::Close(reason.code(), reason.reason().into())
    }
}

impl Session for Connection {
    type Event = Event;

    async fn next_event<F>(&mut self, frame: F) -> Wake<Event>
    where
        F: Future<Output = Incoming> + Send,
    {
        let init_deadline = async {
            match &mut self.init_deadline {
                Some(deadline) => deadline.as_mut().await,
                None => std::future::pending().await,
            }
        };
        let session = async {
            match &mut self.session {
                Some(session) => session.ended().await,
                None => std::future::pending().await,
            }
        };
        // Biased: closing reasons first, then the client, then output.
        let event = tokio::select! {
            biased;
            end = session => Event::SessionEnded(end),
            () = self.slow.triggered() => Event::SlowConsumer,
            () = init_deadline, if self.user.is_none() => Event::InitTimeout,
            frame = frame => return Wake::Frame(frame),
            Some((id, output)) = self.operations.next(), if !self.operations.is_empty() => {
                Event::Operation(id, output)
            }
            () = self.keepalive.as_mut(), if self.user.is_some() => Event::KeepAlive,
        };
        Wake::Event(event)
    }

    fn ready_event(&mut self) -> Option<Event> {
        let (id, output) = self.operations.next().now_or_never()??;
        Some(Event::Operation(id, output))
    }

    async fn on_frame(&mut self, message: Message, outbox: &mut Outbox) -> Step {
        self.touch();
        match message {
            Message::Text(text) => {
                let message = self.protocol.decode(text.as_str());
                self.on_message(message, outbox).await
            }
            // The socket answers WebSocket pings by itself; a close ends the
            // connection before it gets here.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => Ok(()),
            Message::Binary(_) => Err(CloseReason::InvalidMessage.into()),
        }
    }

    async fn on_event(&mut self, event: Event, outbox: &mut Outbox) -> Step {
        match event {
            Event::SessionEnded(end) => Err(CloseReason::SessionEnded(end).into()),
            Event::SlowConsumer => Err(CloseReason::SlowConsumer.into()),
            Event::InitTimeout => Err(CloseReason::InitTimeout.into()),
            Event::Operation(id, output) => self.on_output(id, output, outbox).await,
            Event::KeepAlive => {
                self.restart_keepalive();
                self.queue(outbox, &ServerMsg::KeepAlive).await
            }
        }
    }

    fn on_flushed(&mut self) {
        self.touch();
    }

    fn on_interrupted(&self, interrupted: Interrupted) -> End {
        match interrupted {
            Interrupted::Gone => End::Gone,
            Interrupted::ShuttingDown => CloseReason::ShuttingDown.into(),
        }
    }
}

impl Connection {
    fn new(
        protocol: Protocol,
        schema: ChatSchema,
        state: AppState,
        header_auth: SocketAuth,
        client: ClientAddr,
    ) -> Self {
        let keepalive_every = Some(state.config.ws_keepalive).filter(|d| !d.is_zero());
        let init_timeout = Some(state.config.graphql_ws_init_timeout)
            .filter(|d| !d.is_zero())
            .unwrap_or(NEVER);
        Self {
            protocol,
            schema,
            state,
            header_auth,
            client,
            user: None,
            session: None,
            // Room for one: most connections run one subscription, and a
            // new map would keep room for four.
            operations: StreamMap::with_capacity(1),
            budget: Budget::default(),
            slow: SlowConsumer::default(),
            init_deadline: Some(Box::pin(tokio::time::sleep(init_timeout))),
            keepalive_every,
            keepalive: Box::pin(tokio::time::sleep(keepalive_every.unwrap_or(NEVER))),
        }
    }

    async fn on_message(&mut self, message: ClientMsg, outbox: &mut Outbox) -> Step {
        match message {
            ClientMsg::Invalid => {
                tracing::debug!("invalid graphql-ws message");
                Err(CloseReason::InvalidMessage.into())
            }
            ClientMsg::Init { payload } => self.on_init(payload.as_ref(), outbox).await,
            ClientMsg::Ping { payload } => self.send(outbox, &ServerMsg::Pong(payload)).await,
            ClientMsg::Pong => Ok(()),
            ClientMsg::Subscribe { id, request } => self.on_subscribe(id, *request, outbox).await,
            // Stopped by the client: no `complete` goes back (PROTOCOL.md).
            ClientMsg::Complete { id } => {
                self.stop(&id);
                Ok(())
            }
            ClientMsg::Terminate => Err(CloseReason::Normal.into()),
        }
    }

    async fn on_init(&mut self, payload: Option<&Value>, outbox: &mut Outbox) -> Step {
        if self.user.is_some() {
            return Err(CloseReason::TooManyInits.into());
        }
        // Credentials in the payload win over the upgrade request's header.
        let auth = match credentials(payload) {
            Some(Value::String(token)) => SocketAuth::from_bearer(&self.state.tokens, Some(token)),
            Some(_) => SocketAuth::Invalid,
            None => self.header_auth,
        };
        // A token from the upgrade request may have expired while the
        // client took its time to send `connection_init`.
        let auth = match auth {
            SocketAuth::Access(access) if access.valid_until <= SystemTime::now() => {
                SocketAuth::Invalid
            }
            auth => auth,
        };
        let SocketAuth::Access(access) = auth else {
            self.send(outbox, &ServerMsg::ConnectionError("Forbidden"))
                .await?;
            return Err(CloseReason::Forbidden.into());
        };
        let session = match sessions::open(&self.state, access).await {
            Ok(session) => session,
            Err(TooManySockets) => {
                let reason = CloseReason::TooManySockets.reason();
                self.send(outbox, &ServerMsg::ConnectionError(&reason))
                    .await?;
                return Err(CloseReason::TooManySockets.into());
            }
        };
        let user = access.user;
        self.user = Some(user);
        self.session = Some(session);
        self.init_deadline = None;
        tracing::Span::current().record("user.id", user.0);
        tracing::info!(user.id = user.0, "graphql-ws connected");
        self.send(outbox, &ServerMsg::Ack).await?;
        if self.protocol == Protocol::Legacy {
            // subscriptions-transport-ws clients start their keep-alive
            // watchdog on the first `ka`.
            self.send(outbox, &ServerMsg::KeepAlive).await?;
        }
        Ok(())
    }

    async fn on_subscribe(
        &mut self,
        id: String,
        mut request: Request,
        outbox: &mut Outbox,
    ) -> Step {
        let Some(user) = self.user else {
            return Err(CloseReason::Unauthorized.into());
        };
        if self.operations.contains_key(&id) {
            return Err(CloseReason::DuplicateId(id).into());
        }
        if self.operations.len() >= MAX_OPERATIONS {
            let refusal = format!("At most {MAX_OPERATIONS} operations may run on one connection");
            return self.refuse(outbox, &id, refusal).await;
        }
        let bytes = match self.budget.admit(&request, self.state.config.sockets) {
            Ok(bytes) => bytes,
            Err(refusal) => return self.refuse(outbox, &id, refusal).await,
        };
        trim::parse_trimmed(&mut request);
        let shape = RequestShape::of(&request);
        let request = request
            .data(Auth::User(user))
            .data(self.client)
            .data(self.slow.clone())
            .data(shape);
        let mut events = self
            .schema
            .execute_stream(request)
            .enumerate()
            .map(|(i, response)| Output::Response {
                first: i == 0,
                response: Box::new(response),
            })
            .chain(stream::once(async { Output::End }))
            .boxed();
        // Started here rather than when the loop next polls operations: the
        // first poll runs up to the subscription's first I/O, and by then it
        // has taken its start position (see `messaging::live`), so it starts
        // at the moment its frame was read, however many frames follow.
        let first = std::future::poll_fn(|cx| Poll::Ready(events.poll_next_unpin(cx))).await;
        self.operations.insert(id.clone(), events);
        self.budget.add(&id, bytes);
        match first {
            Poll::Ready(Some(event)) => {
                self.on_output(id, event, outbox).await?;
                self.flush(outbox).await
            }
            Poll::Ready(None) | Poll::Pending => Ok(()),
        }
    }

    /// Queues the frame an operation's output calls for; the caller flushes.
    async fn on_output(&mut self, id: String, output: Output, outbox: &mut Outbox) -> Step {
        match output {
            // Refused before it ran: `error` ends the operation, and no
            // `complete` follows it.
            Output::Response {
                first: true,
                response,
            } if is_request_error(&response) => {
                self.stop(&id);
                let errors = &response.errors;
                self.queue(outbox, &ServerMsg::Error { id: &id, errors })
                    .await
            }
            Output::Response { response, .. } => {
                let response = &response;
                self.queue(outbox, &ServerMsg::Next { id: &id, response })
                    .await
            }
            Output::End => {
                // Removed now, so the client may reuse the id at once.
                self.stop(&id);
                // The stream ended because its subscriber fell too far
                // behind: the connection closes instead of completing.
                if self.slow.is_triggered() {
                    return Err(CloseReason::SlowConsumer.into());
                }
                self.queue(outbox, &ServerMsg::Complete { id: &id }).await
            }
        }
    }

    /// Ends an operation's stream, and what it held.
    fn stop(&mut self, id: &str) {
        self.operations.remove(id);
        self.budget.remove(id);
    }

    /// Refuses an operation with an `error` frame; the connection stays.
    async fn refuse(&mut self, outbox: &mut Outbox, id: &str, refusal: String) -> Step {
        tracing::info!(refusal, "graphql-ws operation refused");
        let errors = [ServerError::new(refusal, None)];
        self.send(
            outbox,
            &ServerMsg::Error {
                id,
                errors: &errors,
            },
        )
        .await
    }

    /// Sends one frame and waits until the socket has taken it.
    async fn send(&mut self, outbox: &mut Outbox, message: &ServerMsg<'_>) -> Step {
        self.queue(outbox, message).await?;
        self.flush(outbox).await
    }

    /// Queues one frame; it is written by the next flush, or at once when
    /// the write buffer fills.
    async fn queue(&mut self, outbox: &mut Outbox, message: &ServerMsg<'_>) -> Step {
        let Some(text) = self.protocol.encode(message) else {
            return Ok(());
        };
        let queued = outbox.feed(Message::text(text)).await;
        queued.map_err(|i| self.on_interrupted(i))
    }

    /// Writes whatever is queued: the backpressure point.
    async fn flush(&mut self, outbox: &mut Outbox) -> Step {
        let flushed = outbox.flush().await;
        flushed.map_err(|i| self.on_interrupted(i))?;
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
