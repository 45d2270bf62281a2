//! Subscriber sockets for both protocols, and a cheap reader of the message
//! frames they receive (the load generator must not be the bottleneck).

use std::time::Duration;

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{
        Message, Utf8Bytes, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig,
    },
};

use crate::{
    Protocol,
    api::{Api, User},
};

type Stream = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// tungstenite zero-fills its whole read buffer before every read: at the
/// default 128 KiB that memset was a quarter of the load generator's CPU at
/// 100,000 frames/s. Frames here are a few hundred bytes.
const READ_BUFFER: usize = 4096;

async fn connect(request: impl IntoClientRequest + Unpin) -> anyhow::Result<Stream> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    Ok(connect_async_with_config(request, Some(config), true)
        .await?
        .0)
}

/// A connected, subscribed socket.
pub struct Socket(Stream);

/// Connects and subscribes `user` to `conversation`.
pub async fn subscribe(
    api: &Api,
    protocol: Protocol,
    user: &User,
    conversation: &str,
) -> anyhow::Result<Socket> {
    match protocol {
        Protocol::Legacy => {
            let url = format!(
                "{}/ws/conversations/{conversation}/?token={}",
                api.ws_base(),
                user.access
            );
            Ok(Socket(connect(url).await?))
        }
        Protocol::Graphql => {
            graphql(
                api,
                user,
                "subscription($id: ID!) { messageAdded(conversationId: $id) { id content } }",
                json!({ "id": conversation }),
            )
            .await
        }
    }
}

/// Connects `user` over graphql-ws and starts one subscription.
pub async fn graphql(
    api: &Api,
    user: &User,
    query: &str,
    variables: serde_json::Value,
) -> anyhow::Result<Socket> {
    let mut request = format!("{}/graphql/ws", api.ws_base()).into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let mut stream = connect(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", user.access) } });
    stream.send(Message::text(init.to_string())).await?;
    let ack = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .context("no connection_ack")?
        .context("closed before connection_ack")??;
    if !ack.to_text().unwrap_or_default().contains("connection_ack") {
        bail!("expected connection_ack, got {ack:?}");
    }
    let subscribe = json!({
        "id": "1", "type": "subscribe",
        "payload": { "query": query, "variables": variables },
    });
    stream.send(Message::text(subscribe.to_string())).await?;
    Ok(Socket(stream))
}

impl Socket {
    /// The next text frame, answering pings; `None` once closed.
    pub async fn next_text(&mut self) -> Option<Utf8Bytes> {
        while let Some(frame) = self.0.next().await {
            match frame.ok()? {
                Message::Text(text) => {
                    // A graphql-ws ping is a short frame; messages are not.
                    if text.len() < 64 && text.contains("\"type\":\"ping\"") {
                        let _ = self.0.send(Message::text(r#"{"type":"pong"}"#)).await;
                        continue;
                    }
                    return Some(text);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
        None
    }
}

/// A delivered load-test message: its stream id and the content's fields.
pub struct Delivered {
    pub id: (u64, u64),
    pub step: u64,
    pub seq: u64,
    pub sent_us: u64,
}

/// Reads `"id":"<ms>-<seq>"` and `"content":"lg|<step>|<seq>|<sent_us>"`
/// without parsing the whole frame.
pub fn parse(frame: &str) -> Option<Delivered> {
    // A graphql-ws frame starts with the operation's own id: skip to the payload.
    let frame = after(frame, "\"payload\":").unwrap_or(frame);
    let id = after(frame, "\"id\":\"")?;
    let id = &id[..id.find('"')?];
    let (ms, seq) = id.split_once('-')?;
    let content = after(frame, "\"content\":\"lg|")?;
    let content = &content[..content.find('"')?];
    let mut parts = content.split('|');
    let mut next = || parts.next()?.parse::<u64>().ok();
    Some(Delivered {
        id: (ms.parse().ok()?, seq.parse().ok()?),
        step: next()?,
        seq: next()?,
        sent_us: next()?,
    })
}

fn after<'a>(haystack: &'a str, needle: &str) -> Option<&'a str> {
    haystack.find(needle).map(|i| &haystack[i + needle.len()..])
}
