//! graphql-ws wire formats: the two subprotocols' frames decoded into one
//! [`ClientMsg`] and encoded from one [`ServerMsg`], and the close codes.
//!
//! `graphql-transport-ws` follows github.com/enisdenjo/graphql-ws PROTOCOL.md.
//! `graphql-ws` is Apollo's older subscriptions-transport-ws; it has no close
//! codes of its own, so the connection applies the modern ones to both.

use async_graphql::{Request, Response, ServerError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{domain::sessions::SessionEnd, websocket::CloseCode};

/// A WebSocket subprotocol this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`, the current graphql-ws protocol.
    TransportWs,
    /// `graphql-ws`, the legacy subscriptions-transport-ws protocol.
    Legacy,
}

impl Protocol {
    /// Names offered in the upgrade, most preferred first.
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The `Sec-WebSocket-Protocol` name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => Self::NAMES[0],
            Protocol::Legacy => Self::NAMES[1],
        }
    }

    /// The protocol a negotiated name stands for; `None` when unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "graphql-transport-ws" => Some(Protocol::TransportWs),
            "graphql-ws" => Some(Protocol::Legacy),
            _ => None,
        }
    }

    /// Reads one text frame from the client.
    pub fn decode(self, text: &str) -> ClientMsg {
        let decoded = match self {
            Protocol::TransportWs => serde_json::from_str::<TransportFrame>(text).map(Into::into),
            Protocol::Legacy => serde_json::from_str::<LegacyFrame>(text).map(Into::into),
        };
        // The parser's message can quote client text (a token, even): it
        // is neither logged nor sent back.
        decoded.unwrap_or(ClientMsg::Invalid)
    }

    /// Writes one frame for the client; `None` when this protocol has no
    /// such message (e.g. `connection_error` in the modern protocol).
    pub fn encode(self, msg: &ServerMsg<'_>) -> Option<String> {
        let legacy = self == Protocol::Legacy;
        let text = match msg {
            ServerMsg::Ack => frame("connection_ack", None, None::<()>),
            ServerMsg::KeepAlive if legacy => frame("ka", None, None::<()>),
            ServerMsg::KeepAlive => frame("ping", None, None::<()>),
            ServerMsg::Pong(_) if legacy => return None,
            ServerMsg::Pong(payload) => frame("pong", None, payload.as_ref()),
            ServerMsg::ConnectionError(message) if legacy => frame(
                "connection_error",
                None,
                Some(serde_json::json!({ "message": message })),
            ),
            ServerMsg::ConnectionError(_) => return None,
            ServerMsg::Next { id, response } => frame(
                if legacy { "data" } else { "next" },
                Some(id),
                Some(response),
            ),
            ServerMsg::Error { id, errors } => frame("error", Some(id), Some(errors)),
            ServerMsg::Complete { id } => frame("complete", Some(id), None::<()>),
        };
        match text {
            Ok(text) => Some(text),
            // Only non-string map keys fail, and GraphQL values have none;
            // should it ever happen the frame is dropped, not the server.
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a graphql-ws frame");
                None
            }
        }
    }
}

/// What a client said, in either protocol.
#[derive(Debug)]
pub enum ClientMsg {
    /// `connection_init`, with its optional payload (credentials).
    Init { payload: Option<Value> },
    /// `ping` (modern only); answered with `pong` and the same payload.
    Ping { payload: Option<Value> },
    /// `pong` (modern only); nothing to do.
    Pong,
    /// `subscribe` (modern) or `start` (legacy): run an operation.
    Subscribe { id: String, request: Box<Request> },
    /// `complete` (modern) or `stop` (legacy): stop an operation.
    Complete { id: String },
    /// `connection_terminate` (legacy only).
    Terminate,
    /// Not JSON, an unknown type or missing fields.
    Invalid,
}

/// What the server says, in either protocol.
#[derive(Debug)]
pub enum ServerMsg<'a> {
    /// `connection_ack`.
    Ack,
    /// A refused `connection_init` (legacy `connection_error`).
    ConnectionError(&'a str),
    /// Modern `ping`, legacy `ka`.
    KeepAlive,
    /// The answer to a client `ping`.
    Pong(Option<Value>),
    /// One execution result: modern `next`, legacy `data`.
    Next { id: &'a str, response: &'a Response },
    /// The operation failed before it ran (invalid document, limits).
    Error {
        id: &'a str,
        errors: &'a [ServerError],
    },
    /// The operation has ended.
    Complete { id: &'a str },
}

/// Why the server closes a connection: each maps to a close code and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// 1000: the client asked to terminate (legacy).
    Normal,
    /// 1001: the node is shutting down.
    ShuttingDown,
    /// 4008: the subscriber stayed too far behind the live tail.
    SlowConsumer,
    /// 4400: a frame that is not a valid message.
    InvalidMessage,
    /// 4401: `subscribe` before `connection_ack`.
    Unauthorized,
    /// 4403: `connection_init` without valid credentials.
    Forbidden,
    /// 4408: no `connection_init` in time.
    InitTimeout,
    /// 4409: `subscribe` with an id already in use.
    DuplicateId(String),
    /// 4429: a second `connection_init`.
    TooManyInits,
    /// 4429: the user holds `MAX_SOCKETS_PER_USER` sockets already.
    TooManySockets,
    /// 4403: the token expired, or the account was deactivated.
    SessionEnded(SessionEnd),
}

impl CloseReason {
    /// The WebSocket close code.
    pub fn code(&self) -> CloseCode {
        match self {
            CloseReason::Normal => CloseCode::Normal,
            CloseReason::ShuttingDown => CloseCode::GoingAway,
            CloseReason::SlowConsumer => CloseCode::SlowConsumer,
            CloseReason::InvalidMessage => CloseCode::BadRequest,
            CloseReason::Unauthorized => CloseCode::Unauthorized,
            CloseReason::Forbidden => CloseCode::Forbidden,
            CloseReason::InitTimeout => CloseCode::InitTimeout,
            CloseReason::DuplicateId(_) => CloseCode::DuplicateId,
            CloseReason::TooManyInits | CloseReason::TooManySockets => CloseCode::TooMany,
            CloseReason::SessionEnded(_) => CloseCode::Forbidden,
        }
    }

    /// The close reason text, at most 123 bytes as RFC 6455 requires.
    pub fn reason(&self) -> String {
        let text = match self {
            CloseReason::Normal => "Normal closure",
            CloseReason::ShuttingDown => "server shutting down",
            CloseReason::SlowConsumer => "slow consumer",
            CloseReason::InvalidMessage => "Invalid message received",
            CloseReason::Unauthorized => "Unauthorized",
            CloseReason::Forbidden => "Forbidden",
            CloseReason::InitTimeout => "Connection initialisation timeout",
            CloseReason::DuplicateId(id) => {
                return truncate(format!("Subscriber for {id} already exists"));
            }
            CloseReason::TooManyInits => "Too many initialisation requests",
            CloseReason::TooManySockets => "Too many sockets",
            CloseReason::SessionEnded(end) => end.reason(),
        };
        text.to_owned()
    }
}

/// The client chooses operation ids, so a long one must not make the close
/// frame invalid.
fn truncate(mut text: String) -> String {
    const MAX_REASON_BYTES: usize = 123;
    if text.len() > MAX_REASON_BYTES {
        let mut end = MAX_REASON_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[derive(Serialize)]
struct Frame<'a, P> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<P>,
}

fn frame<P: Serialize>(
    kind: &'static str,
    id: Option<&str>,
    payload: Option<P>,
) -> serde_json::Result<String> {
    serde_json::to_string(&Frame { kind, id, payload })
}

/// Client frames of `graphql-transport-ws`.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum TransportFrame {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {},
    Subscribe {
        id: String,
        payload: Box<Request>,
    },
    Complete {
        id: String,
    },
}

impl From<TransportFrame> for ClientMsg {
    fn from(frame: TransportFrame) -> Self {
        match frame {
            TransportFrame::ConnectionInit { payload } => ClientMsg::Init { payload },
            TransportFrame::Ping { payload } => ClientMsg::Ping { payload },
            TransportFrame::Pong {} => ClientMsg::Pong,
            TransportFrame::Subscribe { id, payload } => ClientMsg::Subscribe {
                id,
                request: payload,
            },
            TransportFrame::Complete { id } => ClientMsg::Complete { id },
        }
    }
}

/// Client frames of the legacy `graphql-ws`.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum LegacyFrame {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Start {
        id: String,
        payload: Box<Request>,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate {},
}

impl From<LegacyFrame> for ClientMsg {
    fn from(frame: LegacyFrame) -> Self {
        match frame {
            LegacyFrame::ConnectionInit { payload } => ClientMsg::Init { payload },
            LegacyFrame::Start { id, payload } => ClientMsg::Subscribe {
                id,
                request: payload,
            },
            LegacyFrame::Stop { id } => ClientMsg::Complete { id },
            LegacyFrame::ConnectionTerminate {} => ClientMsg::Terminate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decode_per_protocol() {
        let modern = Protocol::TransportWs;
        assert!(matches!(
            modern.decode(r#"{"type":"subscribe","id":"1","payload":{"query":"{ me { id } }"}}"#),
            ClientMsg::Subscribe { id, .. } if id == "1"
        ));
        assert!(matches!(
            modern.decode(r#"{"type":"pong"}"#),
            ClientMsg::Pong
        ));
        for bad in [
            "not json",
            r#"{"type":"start","id":"1","payload":{}}"#,
            r#"{"type":"subscribe","payload":{"query":"{}"}}"#,
            r#"{"type":"subscribe","id":"1"}"#,
            r#"{"id":"1"}"#,
        ] {
            assert!(matches!(modern.decode(bad), ClientMsg::Invalid), "{bad}");
        }
        let legacy = Protocol::Legacy;
        assert!(matches!(
            legacy.decode(r#"{"type":"start","id":"a","payload":{"query":"{}","variables":null}}"#),
            ClientMsg::Subscribe { .. }
        ));
        assert!(matches!(
            legacy.decode(r#"{"type":"stop","id":"a"}"#),
            ClientMsg::Complete { .. }
        ));
        assert!(matches!(
            legacy.decode(r#"{"type":"connection_terminate"}"#),
            ClientMsg::Terminate
        ));
    }

    #[test]
    fn frames_encode_per_protocol() {
        let response = Response::new(async_graphql::Value::Null);
        let next = ServerMsg::Next {
            id: "7",
            response: &response,
        };
        assert_eq!(
            Protocol::TransportWs.encode(&next).as_deref(),
            Some(r#"{"type":"next","id":"7","payload":{"data":null}}"#)
        );
        assert_eq!(
            Protocol::Legacy.encode(&next).as_deref(),
            Some(r#"{"type":"data","id":"7","payload":{"data":null}}"#)
        );
        assert_eq!(
            Protocol::Legacy.encode(&ServerMsg::KeepAlive).as_deref(),
            Some(r#"{"type":"ka"}"#)
        );
        assert_eq!(
            Protocol::TransportWs
                .encode(&ServerMsg::ConnectionError("Forbidden"))
                .as_deref(),
            None
        );
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long = CloseReason::DuplicateId("é".repeat(200));
        assert_eq!(long.code().number(), 4409);
        assert!(long.reason().len() <= 123);
        assert_eq!(
            CloseReason::DuplicateId("x".into()).reason(),
            "Subscriber for x already exists"
        );
    }
}
