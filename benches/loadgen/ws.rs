//! Subscriber sockets for both protocols, and a cheap reader of the message
//! frames they receive (the load generator must not be the bottleneck).

use std::{net::IpAddr, time::Duration};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, client_async_with_config, connect_async_with_config,
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

/// Like `connect`, from the local address `from` (port chosen by the
/// kernel). Each source address has its own ephemeral ports, so spreading
/// sockets over 127.0.0.2, 127.0.0.3, ... opens more connections to one
/// server than the ~28,000 ports of one address allow while earlier ones
/// sit in TIME_WAIT. Plain `ws://` only.
pub async fn connect_from(
    from: IpAddr,
    request: impl IntoClientRequest + Unpin,
) -> anyhow::Result<Stream> {
    let request = request.into_client_request()?;
    let host = request.uri().host().context("no host in the URL")?;
    let port = request.uri().port_u16().unwrap_or(80);
    let server = tokio::net::lookup_host((host, port))
        .await?
        .find(|a| a.is_ipv4() == from.is_ipv4())
        .context("the server has no address of the source's family")?;
    let socket = match from {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.bind((from, 0).into())?;
    let tcp = socket.connect(server).await?;
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let stream = MaybeTlsStream::Plain(tcp);
    Ok(client_async_with_config(request, stream, Some(config))
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
    subscribe_from(api, protocol, user, conversation, None).await
}

/// [`subscribe`], from the local address `from` when given ([`connect_from`]).
pub async fn subscribe_from(
    api: &Api,
    protocol: Protocol,
    user: &User,
    conversation: &str,
    from: Option<IpAddr>,
) -> anyhow::Result<Socket> {
    match protocol {
        Protocol::Legacy => {
            let url = format!(
                "{}/ws/conversations/{conversation}/?token={}",
                api.ws_base(),
                user.access
            );
            Ok(Socket(match from {
                Some(from) => connect_from(from, url).await?,
                None => connect(url).await?,
            }))
        }
        Protocol::Graphql => {
            graphql_from(
                api,
                user,
                from,
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
    graphql_from(api, user, None, query, variables).await
}

/// [`graphql`], from the local address `from` when given ([`connect_from`]).
pub async fn graphql_from(
    api: &Api,
    user: &User,
    from: Option<IpAddr>,
    query: &str,
    variables: serde_json::Value,
) -> anyhow::Result<Socket> {
    let mut request = format!("{}/graphql/ws", api.ws_base()).into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let mut stream = match from {
        Some(from) => connect_from(from, request).await?,
        None => connect(request).await?,
    };
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
