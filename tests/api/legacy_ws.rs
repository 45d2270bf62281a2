//! The legacy WebSocket protocol (`/ws/conversations/{id}/`) with a real
//! client: delivery from every surface, auth and close codes, error frames,
//! replay with `since`, origin checks, keepalive and shutdown.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{net::TcpStream, time::timeout};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::{
    helpers::{TestApp, TestEnv, TestUser},
    support::behind_a_redis_proxy,
};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Generous: a deadline for events that do happen, never a pause.
const WAIT: Duration = Duration::from_secs(10);

fn ws_url(app: &TestApp, conversation: &str, query: &str) -> String {
    let base = app.address.replacen("http://", "ws://", 1);
    format!("{base}/ws/conversations/{conversation}/{query}")
}

/// Upgrades, without waiting for the server to be ready.
async fn open(request: impl IntoClientRequest + Unpin) -> Socket {
    connect_async(request).await.expect("upgrade accepted").0
}

/// Connects with `?token=` and waits until the connection task runs (it
/// answers the ping). The live stream is armed before the upgrade completes
/// already; `armed_on_connect.rs` tests that without this wait.
pub async fn connect(app: &TestApp, conversation: &str, user: &TestUser) -> Socket {
    let url = ws_url(app, conversation, &format!("?token={}", user.access));
    ready(open(url).await).await
}

async fn ready(mut socket: Socket) -> Socket {
    socket
        .send(Message::Ping("ready".into()))
        .await
        .expect("ping sent");
    let pong = timeout(WAIT, socket.next())
        .await
        .expect("pong within the deadline");
    assert!(
        matches!(pong, Some(Ok(Message::Pong(_)))),
        "expected the pong: {pong:?}"
    );
    socket
}

#[derive(Debug)]
enum Frame {
    Json(Value),
    Closed(u16),
}

/// The next text or close frame (pings and pongs are the transport's).
async fn next_frame(socket: &mut Socket) -> Frame {
    timeout(WAIT, async {
        while let Some(frame) = socket.next().await {
            match frame.expect("connection open") {
                Message::Text(text) => {
                    return Frame::Json(serde_json::from_str(&text).expect("frames are JSON"));
                }
                Message::Close(close) => {
                    return Frame::Closed(close.map_or(1005, |c| c.code.into()));
                }
                _ => {}
            }
        }
        panic!("connection ended without a close frame");
    })
    .await
    .expect("a frame within the deadline")
}

pub async fn next_json(socket: &mut Socket) -> Value {
    match next_frame(socket).await {
        Frame::Json(value) => value,
        other => panic!("expected a JSON frame, got {other:?}"),
    }
}

pub async fn close_code(socket: &mut Socket) -> u16 {
    match next_frame(socket).await {
        Frame::Closed(code) => code,
        other => panic!("expected a close frame, got {other:?}"),
    }
}

async fn send(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.into()))
        .await
        .expect("frame sent");
}

async fn send_message(socket: &mut Socket, content: &str) {
    let frame = json!({ "type": "message.send", "content": content });
    send(socket, &frame.to_string()).await;
}

/// Asserts a `message` frame carries the whole django-chat message JSON.
fn assert_message(frame: &Value, conversation: &str, sender: &TestUser, content: &str) {
    assert_eq!(frame["type"], "message", "{frame}");
    let message = &frame["message"];
    assert!(
        message["id"].as_str().is_some_and(|id| id.contains('-')),
        "{frame}"
    );
    assert_eq!(message["conversation_id"], conversation);
    assert_eq!(message["user_id"], sender.id);
    assert_eq!(message["user_email"], sender.email.as_str());
    assert_eq!(message["username"], sender.username.as_str());
    assert_eq!(message["user_name"], format!("{} Tester", sender.username));
    assert_eq!(message["content"], content);
    assert!(message["timestamp"].is_string(), "{frame}");
}

#[tokio::test]
async fn a_sent_message_reaches_every_participant_including_the_sender() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("pair").await;
    let mut a = connect(&app, &id, &alice).await;
    let mut b = connect(&app, &id, &bob).await;

    send_message(&mut a, "  hello, bob  ").await;
    let to_alice = next_json(&mut a).await;
    let to_bob = next_json(&mut b).await;
    assert_message(&to_alice, &id, &alice, "hello, bob");
    assert_eq!(to_alice, to_bob, "one encoding for everyone");

    let (_, history) = app
        .get(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&bob.access),
        )
        .await;
    assert_eq!(
        history["messages"][0], to_bob["message"],
        "same JSON as REST"
    );
}

#[tokio::test]
async fn messages_sent_over_rest_and_graphql_arrive() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("pair").await;
    let mut b = connect(&app, &id, &bob).await;

    app.send_message(&alice, &id, "over REST").await;
    assert_message(&next_json(&mut b).await, &id, &alice, "over REST");

    let body = app
        .graphql(
            "mutation($id: ID!) { sendMessage(conversationId: $id, content: \"over GraphQL\") { id } }",
            json!({ "id": id }),
            Some(&alice.access),
        )
        .await;
    let frame = next_json(&mut b).await;
    assert_message(&frame, &id, &alice, "over GraphQL");
    assert_eq!(
        frame["message"]["id"], body["data"]["sendMessage"]["id"],
        "{body}"
    );
}

#[tokio::test]
async fn the_token_may_come_in_the_authorization_header() {
    let app = TestApp::spawn().await;
    let (alice, _, id) = app.pair("pair").await;
    // Without the trailing slash too: the app trims it before routing.
    let url = ws_url(&app, &id, "");
    let mut request = url
        .trim_end_matches('/')
        .into_client_request()
        .expect("valid request");
    let bearer = HeaderValue::from_str(&format!("Bearer {}", alice.access)).expect("header");
    request.headers_mut().insert("authorization", bearer);
    let mut a = ready(open(request).await).await;
    send_message(&mut a, "via header").await;
    assert_message(&next_json(&mut a).await, &id, &alice, "via header");
}

#[tokio::test]
async fn a_missing_or_invalid_token_closes_4001() {
    let app = TestApp::spawn().await;
    let (alice, _, id) = app.pair("pair").await;
    for query in [
        String::new(),
        "?token=not-a-jwt".to_owned(),
        format!("?token={}", alice.refresh),
    ] {
        let mut socket = open(ws_url(&app, &id, &query)).await;
        assert_eq!(close_code(&mut socket).await, 4001, "query {query:?}");
    }
}

#[tokio::test]
async fn outsiders_absent_and_malformed_conversations_close_4003() {
    let app = TestApp::spawn().await;
    let (_, _, id) = app.pair("pair").await;
    let eve = app.signup("eve").await;
    let token = format!("?token={}", eve.access);
    let absent = uuid::Uuid::new_v4().to_string();
    for conversation in [id.as_str(), absent.as_str(), "not-a-uuid"] {
        let mut socket = open(ws_url(&app, conversation, &token)).await;
        assert_eq!(close_code(&mut socket).await, 4003, "{conversation}");
    }
}

#[tokio::test]
async fn bad_frames_get_error_frames_that_only_the_sender_sees() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("pair").await;
    let mut a = connect(&app, &id, &alice).await;
    let mut b = connect(&app, &id, &bob).await;

    let too_long = json!({ "type": "message.send", "content": "é".repeat(2001) }).to_string();
    let cases = [
        ("not json", "INVALID_JSON"),
        ("[1, 2]", "INVALID_JSON"),
        (r#"{"content":"no type"}"#, "INVALID_TYPE"),
        (r#"{"type":"chat.message","content":"hi"}"#, "INVALID_TYPE"),
        (r#"{"type":"message.send","content":42}"#, "INVALID_TYPE"),
        (
            r#"{"type":"message.send","content":"   "}"#,
            "INVALID_CONTENT",
        ),
        (r#"{"type":"message.send"}"#, "INVALID_CONTENT"),
        (too_long.as_str(), "CONTENT_TOO_LONG"),
    ];
    for (frame, code) in cases {
        send(&mut b, frame).await;
        let error = next_json(&mut b).await;
        assert_eq!(error["type"], "error", "{frame}: {error}");
        assert_eq!(error["code"], code, "{frame}: {error}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{error}"
        );
    }
    b.send(Message::Binary(vec![0xde, 0xad].into()))
        .await
        .expect("binary sent");
    assert_eq!(next_json(&mut b).await["code"], "INVALID_JSON");

    // Alice's next frame is the valid message: none of the errors reached her.
    send_message(&mut b, "valid at last").await;
    assert_message(&next_json(&mut a).await, &id, &bob, "valid at last");
    assert_message(&next_json(&mut b).await, &id, &bob, "valid at last");
}

#[tokio::test]
async fn a_throttled_send_reports_retry_after_to_the_sender_only() {
    let mut env = TestEnv::new().await;
    env.set("RATE_LIMIT_MESSAGES", "2");
    let app = env.spawn_owned().await;
    let (alice, bob, id) = app.pair("pair").await;
    let mut a = connect(&app, &id, &alice).await;
    let mut b = connect(&app, &id, &bob).await;

    for content in ["one", "two"] {
        send_message(&mut b, content).await;
        assert_message(&next_json(&mut b).await, &id, &bob, content);
    }
    send_message(&mut b, "three").await;
    let error = next_json(&mut b).await;
    assert_eq!(error["code"], "THROTTLED", "{error}");
    assert!(
        error["retry_after"].as_u64().is_some_and(|s| s >= 1),
        "{error}"
    );

    // The limit is per user: alice may still send, and sees no error first.
    send_message(&mut a, "marker").await;
    for content in ["one", "two"] {
        assert_message(&next_json(&mut a).await, &id, &bob, content);
    }
    assert_message(&next_json(&mut a).await, &id, &alice, "marker");
}

#[tokio::test]
async fn since_replays_what_was_missed_then_goes_live() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("pair").await;
    let mut sent = Vec::new();
    for i in 1..=5 {
        sent.push(app.send_message(&alice, &id, &format!("m{i}")).await);
    }
    let query = format!(
        "?token={}&since={}",
        bob.access,
        sent[1]["id"].as_str().expect("id")
    );
    let mut b = open(ws_url(&app, &id, &query)).await;
    for expected in &sent[2..] {
        assert_eq!(next_json(&mut b).await["message"], *expected);
    }
    app.send_message(&alice, &id, "m6").await;
    assert_message(&next_json(&mut b).await, &id, &alice, "m6");
}

#[tokio::test]
async fn a_malformed_since_closes_4400() {
    let app = TestApp::spawn().await;
    let (alice, _, id) = app.pair("pair").await;
    let query = format!("?token={}&since=yesterday", alice.access);
    let mut socket = open(ws_url(&app, &id, &query)).await;
    assert_eq!(close_code(&mut socket).await, 4400);
}

#[tokio::test]
async fn the_origin_of_an_upgrade_is_checked() {
    let mut env = TestEnv::new().await;
    env.set("ALLOWED_ORIGINS", "https://chat.example.com");
    let app = env.spawn_owned().await;
    let (alice, _, id) = app.pair("pair").await;
    let url = ws_url(&app, &id, &format!("?token={}", alice.access));
    let with_origin = |origin: &'static str| {
        let mut request = url.as_str().into_client_request().expect("valid request");
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_static(origin));
        request
    };

    match connect_async(with_origin("https://evil.example")).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        other => panic!("a foreign origin must be refused: {other:?}"),
    }
    ready(open(with_origin("https://chat.example.com")).await).await;
    ready(open(url.as_str()).await).await;
}

#[tokio::test]
async fn stopping_the_node_closes_sockets_with_1001() {
    let app = TestApp::spawn().await;
    let (alice, _, id) = app.pair("pair").await;
    let mut a = connect(&app, &id, &alice).await;
    let (_, code) = tokio::join!(app.stop(), close_code(&mut a));
    assert_eq!(code, 1001);
}

#[tokio::test]
async fn idle_connections_are_pinged() {
    let mut env = TestEnv::new().await;
    env.set("WS_KEEPALIVE_SECS", "1");
    let app = env.spawn_owned().await;
    let (alice, _, id) = app.pair("pair").await;
    let mut a = connect(&app, &id, &alice).await;
    let ping = timeout(WAIT, a.next())
        .await
        .expect("a frame within the deadline");
    assert!(matches!(ping, Some(Ok(Message::Ping(_)))), "{ping:?}");
}

#[tokio::test]
async fn a_redis_outage_is_a_storage_error_frame() {
    let Some((proxy, app)) = behind_a_redis_proxy().await else {
        return;
    };
    let (alice, _, id) = app.pair("pair").await;
    let mut a = connect(&app, &id, &alice).await;

    proxy.cut();
    send_message(&mut a, "during the outage").await;
    // Either the send or the live stream notices first; both say STORAGE_ERROR.
    let error = next_json(&mut a).await;
    assert_eq!(error["code"], "STORAGE_ERROR", "{error}");
    assert!(
        !error.to_string().to_lowercase().contains("redis"),
        "{error}"
    );
}
