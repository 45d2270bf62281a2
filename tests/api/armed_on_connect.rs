//! A connected subscriber misses nothing: 50 clients connect (legacy) or
//! subscribe (graphql-ws), and one message sent the instant the last of them
//! is done reaches all 50. No readiness ping, no `since`: exactly what a
//! django-chat client does. Repeated, so a one-in-ten race fails the suite;
//! in Redis mode the sockets alternate between two nodes.

use futures::{SinkExt, StreamExt, future::join_all};
use serde_json::{Value, json};
use tokio::{net::TcpStream, time::timeout};
use tokio_tungstenite::{WebSocketStream, tungstenite::Message};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser},
    ws_client::{Connect, MESSAGE_ADDED, WAIT, WsClient},
};

type Socket = WebSocketStream<TcpStream>;

const SOCKETS: usize = 50;
const ROUNDS: usize = 20;

/// One node, or two on the shared backends (sockets alternate between them).
async fn nodes() -> Vec<TestApp> {
    let mut env = TestEnv::new().await;
    // One user holds all the sockets.
    env.set("MAX_SOCKETS_PER_USER", "1000");
    if env.uses_redis() {
        let second = env.spawn().await;
        vec![env.spawn_owned().await, second]
    } else {
        vec![env.spawn_owned().await]
    }
}

/// The next text frame as JSON, skipping keep-alives.
async fn next_json(socket: &mut Socket) -> Value {
    while let Some(frame) = socket.next().await {
        if let Message::Text(text) = frame.expect("connection open") {
            let value: Value = serde_json::from_str(&text).expect("JSON frame");
            if !matches!(value["type"].as_str(), Some("ping" | "pong" | "ka")) {
                return value;
            }
        }
    }
    panic!("connection ended");
}

/// A conversation for a round: a fresh one on even rounds (the node follows
/// nothing yet), the previous one on odd rounds (it may still follow it).
async fn conversation_for(round: usize, app: &TestApp, owner: &TestUser, last: &mut String) {
    if round.is_multiple_of(2) {
        *last = create_conversation(app, owner, &format!("round {round}"), &[]).await;
    }
}

/// Sends one message over REST and returns its id.
async fn send(app: &TestApp, owner: &TestUser, conversation: &str, round: usize) -> String {
    let message = app
        .send_message(owner, conversation, &format!("round {round}"))
        .await;
    message["id"].as_str().expect("message id").to_owned()
}

/// Every socket's next frame must be `expected`, as the frame `kind` says.
async fn all_receive(
    sockets: Vec<Socket>,
    expected: &str,
    round: usize,
    payload: fn(&Value) -> &Value,
) {
    let received = join_all(sockets.into_iter().map(|mut socket| async move {
        // A socket that misses the message has nothing to read: its wait
        // times out, and the count below reports it.
        let frame = timeout(WAIT, next_json(&mut socket)).await.ok();
        let _ = socket.close(None).await;
        // Anything else (an error, say) is reported whole.
        frame.map(|frame| {
            payload(&frame)["id"]
                .as_str()
                .map_or_else(|| frame.to_string(), str::to_owned)
        })
    }))
    .await;
    let missed: Vec<_> = received
        .iter()
        .enumerate()
        .filter(|(_, id)| id.as_deref() != Some(expected))
        .collect();
    assert!(
        missed.is_empty(),
        "round {round}: {} of {SOCKETS} sockets missed {expected}; (socket, got): {missed:?}",
        missed.len()
    );
}

#[tokio::test]
async fn legacy_sockets_get_a_message_sent_the_instant_their_handshakes_complete() {
    let nodes = nodes().await;
    let owner = nodes[0].signup("legacy_arm").await;
    let mut conversation = String::new();
    for round in 0..ROUNDS {
        conversation_for(round, &nodes[0], &owner, &mut conversation).await;
        let sockets = join_all((0..SOCKETS).map(|i| {
            let app = &nodes[i % nodes.len()];
            let path = format!("/ws/conversations/{conversation}/?token={}", owner.access);
            async move { Connect::new(&path, None).expect(app).await.socket }
        }))
        .await;
        let id = send(&nodes[0], &owner, &conversation, round).await;
        all_receive(sockets, &id, round, |frame| &frame["message"]).await;
    }
}

#[tokio::test]
async fn graphql_ws_subscribers_get_a_message_sent_the_instant_their_subscribes_are_written() {
    let nodes = nodes().await;
    let owner = nodes[0].signup("graphql_arm").await;
    let mut conversation = String::new();
    for round in 0..ROUNDS {
        conversation_for(round, &nodes[0], &owner, &mut conversation).await;
        let mut sockets = join_all((0..SOCKETS).map(|i| {
            let app = &nodes[i % nodes.len()];
            acknowledged(app, &owner)
        }))
        .await;
        let subscribe = json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": MESSAGE_ADDED, "variables": { "id": conversation } },
        })
        .to_string();
        for socket in &mut sockets {
            socket
                .send(Message::text(subscribe.clone()))
                .await
                .expect("subscribe sent");
        }
        let id = send(&nodes[0], &owner, &conversation, round).await;
        all_receive(
            sockets,
            &id,
            round,
            |frame| &frame["payload"]["data"]["messageAdded"],
        )
        .await;
    }
}

/// A graphql-transport-ws socket past `connection_ack`.
async fn acknowledged(app: &TestApp, user: &TestUser) -> Socket {
    WsClient::signed_in(app, &user.access).await.socket
}
