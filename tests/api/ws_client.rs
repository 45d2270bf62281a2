//! A small graphql-ws test client over tokio-tungstenite (raw frames, both
//! subprotocols), and a `graphql_ws_client::Connection` for the same socket
//! so the reference Rust client can drive it end to end.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::{
    WebSocketStream, client_async,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::helpers::TestApp;

/// How long any single awaited event may take.
pub const WAIT: Duration = Duration::from_secs(10);

pub const MODERN: &str = "graphql-transport-ws";
pub const LEGACY: &str = "graphql-ws";

pub const MESSAGE_ADDED: &str = r#"subscription($id: ID!, $since: StreamId) {
  messageAdded(conversationId: $id, since: $since) { id conversationId content sender { id username } }
}"#;

/// How to open a socket.
pub struct Connect<'a> {
    pub path: &'a str,
    /// Offered in `Sec-WebSocket-Protocol`; `None` offers nothing.
    pub protocol: Option<&'a str>,
    pub headers: Vec<(&'static str, String)>,
    /// A small receive buffer makes a client that stops reading push back
    /// on the server after a few frames instead of megabytes.
    pub recv_buffer: Option<u32>,
}

impl<'a> Connect<'a> {
    pub fn new(path: &'a str, protocol: Option<&'a str>) -> Self {
        Self {
            path,
            protocol,
            headers: Vec::new(),
            recv_buffer: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn recv_buffer(mut self, bytes: u32) -> Self {
        self.recv_buffer = Some(bytes);
        self
    }

    /// Performs the upgrade; `Err` carries the refusal (e.g. a 403).
    pub async fn open(self, app: &TestApp) -> Result<WsClient, tungstenite::Error> {
        let url = app.url(self.path).replacen("http://", "ws://", 1);
        let mut request = url.into_client_request()?;
        if let Some(protocol) = self.protocol {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_str(protocol).expect("protocol header"),
            );
        }
        for (name, value) in self.headers {
            request
                .headers_mut()
                .insert(name, HeaderValue::from_str(&value).expect("header value"));
        }
        let address = app.address.trim_start_matches("http://");
        let socket = TcpSocket::new_v4().expect("tcp socket");
        if let Some(bytes) = self.recv_buffer {
            socket.set_recv_buffer_size(bytes).expect("recv buffer");
        }
        let stream = socket
            .connect(address.parse().expect("socket address"))
            .await
            .expect("tcp connect");
        let (socket, response) = client_async(request, stream).await?;
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(WsClient { socket, protocol })
    }

    /// Performs the upgrade, which must succeed.
    pub async fn expect(self, app: &TestApp) -> WsClient {
        self.open(app).await.expect("websocket upgrade")
    }
}

/// A raw graphql-ws client: JSON frames in, JSON frames out.
pub struct WsClient {
    pub socket: WebSocketStream<TcpStream>,
    /// The subprotocol the server echoed.
    pub protocol: Option<String>,
}

/// A frame as the test sees it.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    Closed(u16, String),
}

impl WsClient {
    /// Opens `/graphql/ws` with the modern protocol.
    pub async fn modern(app: &TestApp) -> WsClient {
        Connect::new("/graphql/ws", Some(MODERN)).expect(app).await
    }

    /// [`WsClient::modern`], initialised with `token` and acknowledged.
    pub async fn signed_in(app: &TestApp, token: &str) -> WsClient {
        let mut client = WsClient::modern(app).await;
        client.init(token).await;
        client
    }

    /// [`WsClient::signed_in`], subscribed to `messageAdded` of
    /// `conversation` as `id`.
    pub async fn watching(
        app: &TestApp,
        token: &str,
        id: &str,
        conversation: &str,
        since: Option<&str>,
    ) -> WsClient {
        let mut client = WsClient::signed_in(app, token).await;
        client.message_added(id, conversation, since).await;
        client
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("websocket send");
    }

    /// The next text frame or the close, within `WAIT`.
    pub async fn frame(&mut self) -> Frame {
        loop {
            let next = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame within the deadline");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Frame::Json(serde_json::from_str(&text).expect("JSON frame"));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Frame::Closed(code, reason);
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("websocket error: {e}"),
                None => return Frame::Closed(1006, String::new()),
            }
        }
    }

    /// The next frame, which must be JSON (keep-alives included).
    pub async fn raw_json(&mut self) -> Value {
        match self.frame().await {
            Frame::Json(frame) => frame,
            Frame::Closed(code, reason) => panic!("closed {code} {reason:?}"),
        }
    }

    /// The next JSON frame, skipping keep-alives (`ka`, `ping`).
    pub async fn json(&mut self) -> Value {
        loop {
            match self.frame().await {
                Frame::Json(frame) if frame["type"] == "ka" || frame["type"] == "ping" => continue,
                Frame::Json(frame) => return frame,
                Frame::Closed(code, reason) => panic!("closed {code} {reason:?}"),
            }
        }
    }

    /// Waits for the server to close, skipping any frames before it.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Frame::Closed(code, reason) = self.frame().await {
                return (code, reason);
            }
        }
    }

    /// `connection_init` with this payload; expects `connection_ack`.
    pub async fn init_with(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = self.json().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }

    /// `connection_init` with a bearer token; expects `connection_ack`.
    pub async fn init(&mut self, token: &str) {
        self.init_with(json!({ "Authorization": format!("Bearer {token}") }))
            .await;
    }

    /// `subscribe` (modern) or `start` (legacy).
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.is_legacy() {
            "start"
        } else {
            "subscribe"
        };
        self.send(json!({
            "type": kind,
            "id": id,
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// Subscribes to `messageAdded`.
    pub async fn message_added(&mut self, id: &str, conversation: &str, since: Option<&str>) {
        self.subscribe(
            id,
            MESSAGE_ADDED,
            json!({ "id": conversation, "since": since }),
        )
        .await;
    }

    /// The payload of the next `next` (or legacy `data`) frame for `id`.
    pub async fn next_payload(&mut self, id: &str) -> Value {
        let frame = self.json().await;
        let expected = if self.is_legacy() { "data" } else { "next" };
        assert_eq!(frame["type"], expected, "{frame}");
        assert_eq!(frame["id"], id, "{frame}");
        frame["payload"].clone()
    }

    /// The next `conversationEvents` payload of a log event: typing and
    /// presence signals (which arrive whenever someone connects or types)
    /// are skipped, whether the query selects them or not (then they are
    /// an empty object).
    pub async fn next_log_event(&mut self, id: &str) -> Value {
        loop {
            let payload = self.next_payload(id).await;
            if !is_signal(&payload) {
                return payload;
            }
        }
    }

    /// The next JSON frame that is not a typing or presence signal.
    pub async fn json_without_signals(&mut self) -> Value {
        loop {
            let frame = self.json().await;
            if !(frame["type"] == "next" && is_signal(&frame["payload"])) {
                return frame;
            }
        }
    }

    /// The next delivered `messageAdded` message.
    pub async fn next_message(&mut self, id: &str) -> Value {
        let payload = self.next_payload(id).await;
        assert!(payload.get("errors").is_none(), "{payload}");
        payload["data"]["messageAdded"].clone()
    }

    fn is_legacy(&self) -> bool {
        self.protocol.as_deref() == Some(LEGACY)
    }
}

/// Whether a `conversationEvents` payload is a typing or presence signal.
fn is_signal(payload: &Value) -> bool {
    let event = &payload["data"]["conversationEvents"];
    matches!(
        event["__typename"].as_str(),
        Some("TypingChanged" | "PresenceChanged")
    ) || event.as_object().is_some_and(|o| o.is_empty())
}

/// The socket as the reference client's transport (its built-in
/// tungstenite support stops at 0.28).
pub struct Transport(pub WebSocketStream<TcpStream>);

impl graphql_ws_client::Connection for Transport {
    async fn receive(&mut self) -> Option<graphql_ws_client::Message> {
        use graphql_ws_client::Message as Out;
        loop {
            return Some(match self.0.next().await? {
                Ok(Message::Text(text)) => Out::Text(text.to_string()),
                Ok(Message::Ping(_)) => Out::Ping,
                Ok(Message::Pong(_)) => Out::Pong,
                Ok(Message::Close(frame)) => Out::Close {
                    code: frame.as_ref().map(|f| u16::from(f.code)),
                    reason: frame.map(|f| f.reason.to_string()),
                },
                Ok(Message::Binary(_) | Message::Frame(_)) => continue,
                Err(_) => return None,
            });
        }
    }

    async fn send(
        &mut self,
        message: graphql_ws_client::Message,
    ) -> Result<(), graphql_ws_client::Error> {
        use graphql_ws_client::Message as In;
        let message = match message {
            In::Text(text) => Message::text(text),
            In::Close { code, reason } => {
                Message::Close(code.map(|code| tungstenite::protocol::CloseFrame {
                    code: code.into(),
                    reason: reason.unwrap_or_default().into(),
                }))
            }
            In::Ping => Message::Ping(Default::default()),
            In::Pong => Message::Pong(Default::default()),
        };
        self.0
            .send(message)
            .await
            .map_err(|e| graphql_ws_client::Error::Send(e.to_string()))
    }
}

/// A GraphQL operation for the reference client; responses stay JSON.
#[derive(serde::Serialize)]
pub struct Operation {
    pub query: &'static str,
    pub variables: Value,
}

impl graphql_ws_client::graphql::GraphqlOperation for Operation {
    type Response = Value;
    type Error = serde_json::Error;

    fn decode(&self, data: Value) -> Result<Value, serde_json::Error> {
        Ok(data)
    }
}
