//! django-chat's legacy WebSocket protocol (`/ws/conversations/{id}/`): a thin
//! adapter from its JSON frames to `messaging::send` and `messaging::live`.
//!
//! Close codes: 4001 unauthenticated, 4003 not a participant (or no such
//! conversation, or a malformed id), 4400 malformed `since`, 4008 slow
//! consumer, 1011 server-side (storage) failure, 1001 node shutdown.

use std::{pin::Pin, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Bytes,
    extract::{
        Path, Query, State,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, header::AUTHORIZATION},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{Instrument, field::Empty};

use super::{metrics, origin, rest::messages::MessageJson};
use crate::{
    domain::{
        ConversationId, UserId,
        messaging::{self, LiveEnd, LiveStream},
        tokens::Credentials,
    },
    error::Error,
    state::AppState,
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
    if let Err(e) = origin::check(&headers, &state.config.allowed_origins) {
        return e.into_response();
    }
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
    // Frames hold one message of at most 2000 characters: the body limit is
    // ample, and keeps a client from making us buffer megabytes.
    ws.max_message_size(state.config.max_body_bytes)
        .read_buffer_size(super::WS_READ_BUFFER)
        .write_buffer_size(super::WS_WRITE_BUFFER)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track_future(serve(socket, state, opened).instrument(span))
        })
}

/// How a connection ends, as sent to the client.
struct Close(u16, &'static str);

/// A connection that may start: its viewer, conversation and armed stream.
struct Opened {
    viewer: UserId,
    conversation: ConversationId,
    live: LiveStream,
}

/// Why a connection may not start: the close to send, after an error frame
/// when there is one.
struct Refused(Close, Option<String>);

/// Authenticates, authorizes and arms the live stream.
async fn open(
    state: &AppState,
    id: &str,
    token: Option<String>,
    since: Option<String>,
) -> Result<Opened, Refused> {
    let Some(viewer) = token.and_then(|t| state.tokens.verify_access(&t).ok()) else {
        return Err(Refused(Close(4001, "unauthenticated"), None));
    };
    tracing::Span::current().record("user.id", viewer.0);
    let Ok(conversation) = id.parse::<ConversationId>() else {
        return Err(Refused(Close(4003, "forbidden"), None));
    };
    // A malformed `since` is not among the protocol's error-frame codes, and
    // without a valid cursor there is nothing sensible to stream: close with
    // 4400 (the HTTP 400 analogue, as 4001/4003 mirror 401/403).
    let Ok(since) = messaging::parse_since(since.as_deref()) else {
        return Err(Refused(Close(4400, "invalid since"), None));
    };
    match messaging::live(state, viewer, conversation, since).await {
        Ok(live) => Ok(Opened {
            viewer,
            conversation,
            live,
        }),
        Err(e) => match reply(e) {
            Reply::Close(code) => Err(Refused(code, None)),
            // The stream cannot start: tell the client why, then give up.
            Reply::Frame(frame) => Err(Refused(Close(1011, "server error"), Some(frame))),
        },
    }
}

/// One upgraded connection: runs it, or tells the client why not.
async fn serve(mut socket: WebSocket, state: AppState, opened: Result<Opened, Refused>) {
    let _open = metrics::OpenSocket::new("legacy");
    let Opened {
        viewer,
        conversation,
        live,
    } = match opened {
        Ok(opened) => opened,
        Err(Refused(code, frame)) => {
            if let Some(frame) = frame {
                let _ = socket.send(Message::Text(frame.into())).await;
            }
            return close(socket, code).await;
        }
    };
    tracing::info!("legacy websocket connected");
    let mut connection = Connection {
        socket,
        state,
        viewer,
        conversation,
    };
    if let Some(code) = connection.run(live).await {
        Box::pin(close(connection.socket, code)).await;
    }
}

/// Sends our close frame, then waits briefly for the client's answer so the
/// close frame is read before the TCP connection goes away.
async fn close(mut socket: WebSocket, Close(code, reason): Close) {
    tracing::info!(close.code = code, reason, "legacy websocket closed");
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    if socket.send(Message::Close(Some(frame))).await.is_ok() {
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(_)) = socket.recv().await {}
        })
        .await;
    }
}

struct Connection {
    socket: WebSocket,
    state: AppState,
    viewer: UserId,
    conversation: ConversationId,
}

/// What woke the connection loop.
enum Event {
    Shutdown,
    Keepalive,
    Incoming(Option<Result<Message, axum::Error>>),
    Live(Option<Result<Arc<messaging::Delivery>, LiveEnd>>),
}

impl Connection {
    /// Serves until either side ends it; `Some` is the close to send, `None`
    /// means the client left. Each send is awaited here, so a client that
    /// stops reading stops this loop from polling the live stream: its
    /// subscription lags and later resumes from the log, with no unbounded
    /// buffer in between.
    async fn run(&mut self, live: LiveStream) -> Option<Close> {
        let mut live = live.peekable();
        // A zero period would spin; one second is the tightest useful ping.
        let period = self.state.config.ws_keepalive.max(Duration::from_secs(1));
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let shutdown = self.state.shutdown.clone();
        loop {
            let event = tokio::select! {
                () = shutdown.cancelled() => Event::Shutdown,
                _ = keepalive.tick() => Event::Keepalive,
                incoming = self.socket.recv() => Event::Incoming(incoming),
                delivery = live.next() => Event::Live(delivery),
            };
            let outgoing = match event {
                Event::Shutdown => return Some(Close(1001, "server shutting down")),
                Event::Keepalive => Message::Ping(Bytes::new()),
                Event::Incoming(Some(Ok(Message::Close(frame)))) => {
                    let code = frame.map(|f| f.code);
                    tracing::info!(close.code = code, "legacy websocket closed by the client");
                    return None;
                }
                Event::Incoming(None | Some(Err(_))) => {
                    tracing::info!("legacy websocket connection lost");
                    return None;
                }
                // axum answers pings itself; pongs only prove liveness.
                Event::Incoming(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Event::Incoming(Some(Ok(Message::Binary(_)))) => {
                    Message::Text(error_json("INVALID_JSON", "Invalid JSON").into())
                }
                // Boxed: sending is rare next to idling, and its inline
                // state would enlarge every connection's task for good.
                Event::Incoming(Some(Ok(Message::Text(text)))) => {
                    match Box::pin(self.on_text(&text)).await {
                        Ok(()) => continue,
                        Err(Reply::Frame(frame)) => Message::Text(frame.into()),
                        Err(Reply::Close(code)) => return Some(code),
                    }
                }
                Event::Live(Some(Ok(delivery))) => {
                    self.feed(message_frame(&delivery)).await?;
                    // Whatever else is already waiting goes out in the same write.
                    for _ in 1..super::WS_MAX_BATCH {
                        let next = Pin::new(&mut live).next_if(Result::is_ok).now_or_never();
                        let Some(Some(Ok(delivery))) = next else {
                            break;
                        };
                        self.feed(message_frame(&delivery)).await?;
                    }
                    self.flush().await?;
                    keepalive.reset();
                    continue;
                }
                Event::Live(Some(Err(LiveEnd::SlowConsumer))) => {
                    return Some(Close(4008, "slow consumer"));
                }
                Event::Live(Some(Err(LiveEnd::Failed(e)))) => {
                    if let Reply::Frame(frame) = reply(e) {
                        self.send(Message::Text(frame.into())).await?;
                    }
                    return Some(Close(1011, "storage error"));
                }
                // The hub closed its channels: the node is going away.
                Event::Live(None) => return Some(Close(1001, "server shutting down")),
            };
            self.send(outgoing).await?;
            // Pings are for idle connections only.
            keepalive.reset();
        }
    }

    /// Sends one frame; `None` when the client is gone or the node stops
    /// while the client is not reading (it would never take a close frame).
    async fn send(&mut self, message: Message) -> Option<()> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Queues a frame without writing it (unless the write buffer is full).
    async fn feed(&mut self, message: Message) -> Option<()> {
        tokio::select! {
            queued = self.socket.feed(message) => queued.ok(),
            () = self.state.shutdown.cancelled() => None,
        }
    }

    /// Writes whatever is queued.
    async fn flush(&mut self) -> Option<()> {
        tokio::select! {
            flushed = self.socket.flush() => flushed.ok(),
            () = self.state.shutdown.cancelled() => None,
        }
    }

    /// A client frame: `{"type":"message.send","content":"…"}`. The message
    /// comes back to the sender through the live stream, like to everyone.
    /// (`&mut` only because the socket inside is `Send` but not `Sync`.)
    async fn on_text(&mut self, text: &str) -> Result<(), Reply> {
        let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
            return Err(Reply::Frame(error_json("INVALID_JSON", "Invalid JSON")));
        };
        if frame.get("type").and_then(Value::as_str) != Some("message.send") {
            return Err(Reply::Frame(error_json(
                "INVALID_TYPE",
                "Unknown message type",
            )));
        }
        // A missing content is empty content, which the domain refuses.
        let content = match frame.get("content") {
            None => "",
            Some(Value::String(content)) => content,
            Some(_) => {
                return Err(Reply::Frame(error_json(
                    "INVALID_TYPE",
                    "content must be a string",
                )));
            }
        };
        messaging::send(&self.state, self.viewer, self.conversation, content)
            .await
            .map(drop)
            .map_err(reply)
    }
}

/// What the client is told when a domain call fails.
enum Reply {
    /// An error frame to the sender; the connection stays open.
    Frame(String),
    /// The connection must end (lost membership or credentials).
    Close(Close),
}

/// The one mapping of domain errors onto this protocol.
fn reply(e: Error) -> Reply {
    e.log();
    match &e {
        Error::Unauthenticated(_) => Reply::Close(Close(4001, "unauthenticated")),
        Error::Forbidden(_) | Error::NotFound(_) => Reply::Close(Close(4003, "forbidden")),
        Error::Throttled { retry_after } => Reply::Frame(
            json!({
                "type": "error",
                "code": e.code(),
                "message": e.public_message(),
                "retry_after": retry_after,
            })
            .to_string(),
        ),
        _ => Reply::Frame(error_json(e.code(), &e.public_message())),
    }
}

fn error_json(code: &str, message: &str) -> String {
    json!({ "type": "error", "code": code, "message": message }).to_string()
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
        Utf8Bytes::from(json!({ "type": "message", "message": MessageJson::from(m) }).to_string())
    }))
}
