//! django-chat's legacy WebSocket protocol (`/ws/conversations/{id}/`): a thin
//! adapter from its JSON frames to `messaging::send` and `messaging::live`.
//!
//! Close codes: 4001 unauthenticated (also when the token expires or the
//! account is deactivated while open), 4003 not a participant (or no such
//! conversation, or a malformed id), 4029 too many sockets for the user,
//! 4400 malformed `since`, 4008 slow consumer, 1011 server-side (storage)
//! failure, 1001 node shutdown. Frames
//! are typed in [`super::legacy_frames`].

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Bytes,
    extract::{
        Path, Query, State,
        ws::{Message, Utf8Bytes, WebSocketUpgrade},
    },
    http::{HeaderMap, header::AUTHORIZATION},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::{FutureExt, StreamExt, stream::Peekable};
use serde::Deserialize;
use serde_json::json;
use tokio::time::Interval;
use tracing::{Instrument, field::Empty};

use super::{
    legacy_frames::{ClientFrame, ErrorFrame},
    rest::messages::MessageJson,
};
use crate::{
    domain::{
        ConversationId, UserId,
        message::Signal,
        messaging::{self, LiveEnd, LiveStream, Signals},
        sessions::{self, SessionEnd, SocketSession},
        state::AppState,
        tokens::Credentials,
        typing,
    },
    error::Error,
    websocket::{
        self, CloseCode, End, Interrupted, OpenSocket, Outbox, Session, Step,
        session::{self, Incoming, Wake},
    },
};

/// The legacy socket route; trailing slashes are trimmed before routing.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/conversations/{id}", get(upgrade))
}

#[derive(Deserialize)]
struct Params {
    token: Option<String>,
    since: Option<String>,
}

/// How long a closing client gets to answer our close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Checks the origin, then opens the live stream *before* upgrading: once
/// the client sees the handshake complete, every message sent afterwards is
/// on its way to it, as with django-chat (Channels joins the group before
/// accepting). A refusal is still reported after the upgrade, as a close
/// code, because browsers cannot see an HTTP status.
async fn upgrade(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ws = match websocket::accept(ws, &headers, &state.config) {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = params.token.as_deref().or(header);
    let token = match Credentials::parse(token) {
        Credentials::Token(token) => Some(token.to_owned()),
        Credentials::Missing | Credentials::Malformed => None,
    };
    let span = tracing::info_span!("legacy_ws", user.id = Empty, conversation.id = %id);
    let opened = open(&state, &id, token, params.since)
        .instrument(span.clone())
        .await;
    ws.on_upgrade(move |socket| {
        let sockets = state.sockets.clone();
        sockets.open(|stop| serve(Outbox::new(socket, stop), state, opened).instrument(span))
    })
}

/// How a connection ends, as sent to the client.
struct Close(CloseCode, &'static str);

/// A connection that may start: its session, conversation and armed stream.
struct Opened {
    session: SocketSession,
    conversation: ConversationId,
    live: LiveStream,
}

/// Why a connection may not start: the close to send, after an error frame
/// when there is one.
struct Refused(Close, Option<ErrorFrame>);

/// Authenticates, authorizes and arms the live stream.
async fn open(
    state: &AppState,
    id: &str,
    token: Option<String>,
    since: Option<String>,
) -> Result<Opened, Refused> {
    let Some(access) = token.and_then(|t| state.tokens.verify_access_until(&t).ok()) else {
        return Err(Refused(
            Close(CloseCode::Unauthenticated, "unauthenticated"),
            None,
        ));
    };
    let viewer = access.user;
    tracing::Span::current().record("user.id", viewer.0);
    let Ok(session) = sessions::open(state, access).await else {
        return Err(Refused(
            Close(CloseCode::TooManySockets, "too many sockets"),
            None,
        ));
    };
    let Ok(conversation) = id.parse::<ConversationId>() else {
        return Err(Refused(Close(CloseCode::NotParticipant, "forbidden"), None));
    };
    // A malformed `since` is not among the protocol's error-frame codes, and
    // without a valid cursor there is nothing sensible to stream: close with
    // 4400 (the HTTP 400 analogue, as 4001/4003 mirror 401/403).
    let Ok(since) = messaging::parse_since(since.as_deref()) else {
        return Err(Refused(Close(CloseCode::BadRequest, "invalid since"), None));
    };
    match messaging::live(state, viewer, conversation, since).await {
        Ok(live) => Ok(Opened {
            session,
            conversation,
            live,
        }),
        Err(e) => match reply(e) {
            Reply::Close(code) => Err(Refused(code, None)),
            // The stream cannot start: tell the client why, then give up.
            Reply::Frame(frame) => Err(Refused(
                Close(CloseCode::ServerError, "server error"),
                Some(frame),
            )),
        },
    }
}

/// One upgraded connection: runs it, or tells the client why not.
///
/// Not an `async fn`: one keeps its arguments in its future beside what it
/// builds from them (the connection), both for the whole life of every
/// connection. Built first, the future holds each once.
fn serve(
    mut socket: Outbox,
    state: AppState,
    opened: Result<Opened, Refused>,
) -> impl Future<Output = ()> + Send {
    let open = OpenSocket::new("legacy");
    let mut connection = opened.map(|opened| Connection::new(state, opened));
    async move {
        let _open = open;
        let connection = match &mut connection {
            Ok(connection) => connection,
            // Boxed, as every rare step is: see `websocket::session`.
            Err(Refused(close, frame)) => {
                return Box::pin(refuse(&mut socket, close, frame.take())).await;
            }
        };
        tracing::info!("legacy websocket connected");
        match session::run(&mut socket, connection).await {
            End::Close(code, reason) => Box::pin(socket.close(code, &reason, CLOSE_GRACE)).await,
            End::Peer(code) => {
                tracing::info!(close.code = code, "legacy websocket closed by the client")
            }
            End::Gone => tracing::info!("legacy websocket connection lost"),
        }
    }
}

/// Tells the client why its connection may not start, and closes it.
async fn refuse(socket: &mut Outbox, close: &Close, frame: Option<ErrorFrame>) {
    if let Some(frame) = frame {
        let _ = socket.send(Message::Text(frame.encode().into())).await;
    }
    let Close(code, reason) = *close;
    socket.close(code, reason, CLOSE_GRACE).await;
}

/// An open connection: its viewer, conversation, live stream and ping timer.
struct Connection {
    state: AppState,
    viewer: UserId,
    /// Ends when the token expires or the account is deactivated.
    session: SocketSession,
    conversation: ConversationId,
    live: Peekable<LiveStream>,
    /// Pings are for idle connections only: reset after every write.
    keepalive: Interval,
    /// Typing and presence, once the client sent a typing frame: it
    /// understands their frames (older clients never get one, and their
    /// sockets are not woken by them).
    signals: Signals,
}

/// What the connection's own sources yield.
enum Event {
    SessionEnded(SessionEnd),
    Keepalive,
    Live(Option<Result<Arc<messaging::Delivery>, LiveEnd>>),
    Signal(Arc<messaging::Delivery>),
}

impl Connection {
    fn new(state: AppState, opened: Opened) -> Self {
        // A zero period would spin; one second is the tightest useful ping.
        let period = state.config.ws_keepalive.max(Duration::from_secs(1));
        let keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        Self {
            state,
            viewer: opened.session.user(),
            session: opened.session,
            conversation: opened.conversation,
            live: opened.live.peekable(),
            keepalive,
            signals: Signals::default(),
        }
    }

    /// Sends one frame, then postpones the next ping.
    async fn send(&mut self, outbox: &mut Outbox, message: Message) -> Step {
        outbox
            .send(message)
            .await
            .map_err(|i| self.on_interrupted(i))?;
        self.keepalive.reset();
        Ok(())
    }

    /// A client frame: `{"type":"message.send","content":"…"}` (the
    /// message comes back to the sender through the live stream, like to
    /// everyone) or `{"type":"typing"}`.
    async fn on_text(&mut self, text: &str) -> Result<(), Reply> {
        let content = match ClientFrame::decode(text) {
            ClientFrame::Send { content } => content,
            ClientFrame::Typing { typing } => {
                if !self.signals.is_listening() {
                    self.signals = messaging::signals(&self.state, self.conversation);
                }
                return typing::set(&self.state, self.viewer, self.conversation, typing)
                    .await
                    .map_err(reply);
            }
            ClientFrame::Invalid(frame) => return Err(Reply::Frame(frame)),
        };
        messaging::send(&self.state, self.viewer, self.conversation, &content)
            .await
            .map(drop)
            .map_err(reply)
    }
}

/// Each write is awaited by the loop, so a client that stops reading stops
/// it from polling the live stream: its subscription lags and later resumes
/// from the log, with no unbounded buffer in between.
impl Session for Connection {
    type Event = Event;

    async fn next_event<F>(&mut self, frame: F) -> Wake<Event>
    where
        F: Future<Output = Incoming> + Send,
    {
        tokio::select! {
            end = self.session.ended() => Wake::Event(Event::SessionEnded(end)),
            _ = self.keepalive.tick() => Wake::Event(Event::Keepalive),
            frame = frame => Wake::Frame(frame),
            delivery = self.live.next() => Wake::Event(Event::Live(delivery)),
            signal = self.signals.next() => Wake::Event(Event::Signal(signal)),
        }
    }

    /// A live message already waiting (an error waits for its own turn).
    fn ready_event(&mut self) -> Option<Event> {
        let next = Pin::new(&mut self.live)
            .next_if(Result::is_ok)
            .now_or_never();
        let Some(Some(Ok(delivery))) = next else {
            return None;
        };
        Some(Event::Live(Some(Ok(delivery))))
    }

    async fn on_frame(&mut self, message: Message, outbox: &mut Outbox) -> Step {
        let reply = match message {
            Message::Text(text) => match self.on_text(&text).await {
                Ok(()) => return Ok(()),
                Err(reply) => reply,
            },
            Message::Binary(_) => Reply::Frame(ErrorFrame::invalid_json()),
            // axum answers pings itself; pongs only prove liveness. A close
            // ends the connection before it gets here.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => return Ok(()),
        };
        match reply {
            Reply::Frame(frame) => {
                self.send(outbox, Message::Text(frame.encode().into()))
                    .await
            }
            Reply::Close(Close(code, reason)) => Err(End::Close(code, reason.into())),
        }
    }

    async fn on_event(&mut self, event: Event, outbox: &mut Outbox) -> Step {
        let message = match event {
            Event::SessionEnded(end) => {
                return Err(End::Close(CloseCode::Unauthenticated, end.reason().into()));
            }
            Event::Keepalive => Message::Ping(Bytes::new()),
            Event::Live(Some(Ok(delivery))) => match delivery.message() {
                // The protocol shows messages only: a replay skips deleted
                // ones, as REST history does.
                Some(message) if message.deleted => return Ok(()),
                _ => message_frame(&delivery),
            },
            Event::Signal(delivery) => match delivery.signal() {
                Some(signal) => signal_frame(&delivery, signal),
                None => return Ok(()),
            },
            Event::Live(Some(Err(LiveEnd::SlowConsumer))) => {
                return Err(End::Close(CloseCode::SlowConsumer, "slow consumer".into()));
            }
            Event::Live(Some(Err(LiveEnd::Revoked))) => {
                return Err(End::Close(
                    CloseCode::NotParticipant,
                    "no longer a participant".into(),
                ));
            }
            Event::Live(Some(Err(LiveEnd::Failed(e)))) => {
                if let Reply::Frame(frame) = reply(e) {
                    self.send(outbox, Message::Text(frame.encode().into()))
                        .await?;
                }
                return Err(End::Close(CloseCode::ServerError, "storage error".into()));
            }
            // The hub closed its channels: the node is going away.
            Event::Live(None) => return Err(End::shutting_down()),
        };
        outbox
            .feed(message)
            .await
            .map_err(|i| self.on_interrupted(i))
    }

    fn on_flushed(&mut self) {
        self.keepalive.reset();
    }

    /// The client is gone, or the node stops while the client is not
    /// reading (it would never take a close frame): no close either way.
    fn on_interrupted(&self, _: Interrupted) -> End {
        End::Gone
    }
}

/// What the client is told when a domain call fails.
enum Reply {
    /// An error frame to the sender; the connection stays open.
    Frame(ErrorFrame),
    /// The connection must end (lost membership or credentials).
    Close(Close),
}

/// The one mapping of domain errors onto this protocol.
fn reply(e: Error) -> Reply {
    e.log();
    match &e {
        Error::Unauthenticated(_) => {
            Reply::Close(Close(CloseCode::Unauthenticated, "unauthenticated"))
        }
        Error::Forbidden(_) | Error::NotFound(_) => {
            Reply::Close(Close(CloseCode::NotParticipant, "forbidden"))
        }
        Error::Throttled { retry_after } => {
            Reply::Frame(ErrorFrame::new(e.code(), e.public_message()).retry_after(*retry_after))
        }
        _ => Reply::Frame(ErrorFrame::new(e.code(), e.public_message())),
    }
}

/// A typing or presence frame, encoded once per node and shared:
/// `{"type":"typing","conversation_id":…,"user_id":…,"username":…,
/// "user_name":…,"typing":true}`, or `"type":"presence"` with `"online"`.
fn signal_frame(delivery: &messaging::Delivery, signal: &Signal) -> Message {
    struct Frame;
    impl crate::domain::message::Rendering for Frame {
        type Key = ();
        type Value = Utf8Bytes;
        const KEPT: usize = 1;
    }
    Message::Text(delivery.rendered::<Frame>((), |d| {
        let user = signal.user();
        let mut frame = json!({
            "conversation_id": d.conversation_id.to_string(),
            "user_id": user.id.0,
            "username": user.username,
            "user_name": user.full_name(),
        });
        match signal {
            Signal::Typing { typing, .. } => {
                frame["type"] = json!("typing");
                frame["typing"] = json!(typing);
            }
            Signal::Presence { online, .. } => {
                frame["type"] = json!("presence");
                frame["online"] = json!(online);
            }
        }
        Utf8Bytes::from(frame.to_string())
    }))
}

/// A live message's frame, encoded once per node and shared (cloning the
/// bytes only counts a reference).
fn message_frame(delivery: &messaging::Delivery) -> Message {
    /// The legacy frame of a message: the same for every subscriber, and
    /// only this function can name it.
    struct Frame;
    impl crate::domain::message::Rendering for Frame {
        type Key = ();
        type Value = Utf8Bytes;
        const KEPT: usize = 1;
    }
    Message::Text(delivery.rendered::<Frame>((), |m| {
        Utf8Bytes::from(
            json!({ "type": "message", "message": m.message().map(MessageJson::from) }).to_string(),
        )
    }))
}
