//! Several nodes on one PostgreSQL + Redis form one service: cross-node
//! delivery on both protocols, a shared rate limit, and a subscriber that
//! moves to another node with `since` and receives everything exactly once.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser},
    support::id_of,
    ws_client::WsClient,
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
const WAIT: Duration = Duration::from_secs(10);

/// The next text frame as JSON, skipping protocol keep-alives.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame before the deadline")
            .expect("socket open")
            .expect("valid frame");
        if let Message::Text(text) = frame {
            let value: Value = serde_json::from_str(&text).expect("JSON frame");
            if !matches!(value["type"].as_str(), Some("ping" | "pong" | "ka")) {
                return value;
            }
        }
    }
}

/// The next `messageAdded` (id, content) on a graphql-ws subscription.
async fn next_message(client: &mut WsClient) -> (String, String) {
    let message = client.next_message("1").await;
    (
        message["id"].as_str().expect("id").to_owned(),
        message["content"].as_str().expect("content").to_owned(),
    )
}

/// A legacy-protocol socket on `/ws/conversations/{id}/`, replaying from the
/// start (the conversations here are new) so nothing depends on timing.
async fn legacy(app: &TestApp, user: &TestUser, conversation: &str) -> Socket {
    let url = format!(
        "ws://{}/ws/conversations/{conversation}/?since=0-0&token={}",
        app.address.trim_start_matches("http://"),
        user.access
    );
    connect_async(url).await.expect("connect legacy").0
}

async fn send(
    app: &TestApp,
    user: &TestUser,
    conversation: &str,
    content: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/conversations/{conversation}/messages"),
        json!({ "content": content }),
        Some(&user.access),
    )
    .await
}

#[tokio::test]
async fn a_message_sent_on_one_node_reaches_subscribers_on_another() {
    let Some(env) = TestEnv::shared().await else {
        return;
    };
    let (a, b) = (env.spawn().await, env.spawn().await);
    let (alice, bob, conversation) = a.pair("across").await;

    // graphql-ws has no "subscribed" acknowledgement: `since` on the empty
    // conversation makes the first message certain to arrive, however long
    // arming takes.
    let mut gql = WsClient::watching(&b, &bob.access, "1", &conversation, Some("0-0")).await;
    let mut old = legacy(&b, &bob, &conversation).await;
    let (status, first) = send(&a, &alice, &conversation, "from node A").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        next_message(&mut gql).await,
        (
            first["id"].as_str().expect("id").to_owned(),
            "from node A".to_owned()
        )
    );
    let frame = next_json(&mut old).await;
    assert_eq!(frame["type"], "message");
    assert_eq!(frame["message"]["content"], "from node A");

    // And the other way round, sent over the legacy protocol on node B.
    let since = id_of(&first);
    let mut on_a = WsClient::watching(&a, &alice.access, "1", &conversation, Some(&since)).await;
    old.send(Message::text(
        json!({ "type": "message.send", "content": "from node B" }).to_string(),
    ))
    .await
    .expect("send");
    assert_eq!(next_message(&mut on_a).await.1, "from node B");
    assert_eq!(next_message(&mut gql).await.1, "from node B");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_rate_limit_counts_across_nodes() {
    let Some(mut env) = TestEnv::shared().await else {
        return;
    };
    env.set("RATE_LIMIT_MESSAGES", "3");
    let (a, b) = (env.spawn().await, env.spawn().await);
    let user = a.signup("limited").await;
    let conversation = create_conversation(&a, &user, "limited", &[]).await;
    for (node, n) in [(&a, 1), (&b, 2), (&a, 3)] {
        let (status, body) = send(node, &user, &conversation, &format!("m{n}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _) = send(&b, &user, &conversation, "m4").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = send(&a, &user, &conversation, "m5").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_subscriber_moves_to_another_node_and_misses_nothing() {
    let Some(mut env) = TestEnv::shared().await else {
        return;
    };
    env.set("RATE_LIMIT_MESSAGES", "100000");
    let (a, b) = (env.spawn().await, env.spawn().await);
    let alice = a.signup("mover").await;
    let bob = a.signup("sender").await;
    let conversation = create_conversation(&a, &alice, "moving", &[&bob]).await;

    let mut socket = WsClient::watching(&a, &alice.access, "1", &conversation, Some("0-0")).await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let (_, body) = send(&b, &bob, &conversation, &format!("before {i}")).await;
        expected.push(body["id"].as_str().expect("id").to_owned());
    }
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(next_message(&mut socket).await.0);
    }
    assert_eq!(seen, expected);

    // Node A goes away: its sockets close with 1001.
    a.stop().await;
    assert_eq!(socket.closed().await.0, 1001);

    // Messages keep flowing through node B while the client is away.
    for i in 0..7 {
        let (_, body) = send(&b, &bob, &conversation, &format!("while away {i}")).await;
        expected.push(body["id"].as_str().expect("id").to_owned());
    }
    let last_seen = seen.last().expect("saw messages").clone();
    let mut moved =
        WsClient::watching(&b, &alice.access, "1", &conversation, Some(&last_seen)).await;
    for i in 0..3 {
        let (_, body) = send(&b, &bob, &conversation, &format!("after {i}")).await;
        expected.push(body["id"].as_str().expect("id").to_owned());
    }
    for _ in 0..10 {
        seen.push(next_message(&mut moved).await.0);
    }
    assert_eq!(seen, expected, "every message exactly once, in order");
    b.stop().await;
}
