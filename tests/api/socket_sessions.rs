//! A socket's authenticated session: it ends when its token expires
//! (graphql-ws 4403, legacy 4001) or its account is deactivated; `nbf` is
//! honoured; one user holds at most `MAX_SOCKETS_PER_USER` sockets (on
//! every node); graphql-ws operations are capped in size. The reference
//! npm client's reconnection is in `npm_client.rs`.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use tokio_tungstenite::{connect_async, tungstenite::Message};
use uuid::Uuid;

use crate::{
    conversations::create_conversation,
    helpers::{TEST_JWT_SECRET, TestApp, TestEnv, TestUser},
    ws_client::WsClient,
};

const WAIT: Duration = Duration::from_secs(10);

/// An access token for `user` signed with the test secret: `exp` and `nbf`
/// as given, in seconds from now.
pub fn token(user: &TestUser, exp_in: i64, nbf_in: Option<i64>) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "token_type": "access",
        "exp": now + exp_in,
        "iat": now,
        "jti": Uuid::new_v4().simple().to_string(),
        "user_id": user.id,
    });
    if let Some(nbf) = nbf_in {
        claims["nbf"] = json!(now + nbf);
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .expect("sign")
}

/// The server accepts a token until 5 s after its `exp` (clock leeway):
/// this one has about `secs` left.
fn expiring_in(user: &TestUser, secs: i64) -> String {
    token(user, secs - 5, None)
}

fn legacy_url(app: &TestApp, conversation: &str, token: &str) -> String {
    let base = app.address.replacen("http://", "ws://", 1);
    format!("{base}/ws/conversations/{conversation}/?token={token}")
}

type Legacy =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn legacy(app: &TestApp, conversation: &str, token: &str) -> Legacy {
    connect_async(legacy_url(app, conversation, token))
        .await
        .expect("upgrade")
        .0
}

/// The legacy socket's close code and reason, skipping other frames.
async fn legacy_closed(socket: &mut Legacy, within: Duration) -> (u16, String) {
    tokio::time::timeout(within, async {
        while let Some(frame) = socket.next().await {
            if let Ok(Message::Close(frame)) = frame {
                return frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
            }
        }
        (1006, String::new())
    })
    .await
    .expect("closed within the deadline")
}

/// A legacy socket that is open and served: it answers a ping.
async fn legacy_open(app: &TestApp, conversation: &str, token: &str) -> Legacy {
    let mut socket = legacy(app, conversation, token).await;
    socket
        .send(Message::Ping("ready".into()))
        .await
        .expect("ping");
    let pong = tokio::time::timeout(WAIT, socket.next())
        .await
        .expect("pong");
    assert!(matches!(pong, Some(Ok(Message::Pong(_)))), "{pong:?}");
    socket
}

pub async fn pair(app: &TestApp) -> (TestUser, String) {
    let ada = app.signup("ada").await;
    let conversation = create_conversation(app, &ada, "sessions", &[]).await;
    (ada, conversation)
}

#[tokio::test]
async fn sockets_close_when_their_token_expires_on_both_protocols() {
    let app = TestApp::spawn().await;
    let (ada, conversation) = pair(&app).await;
    let mut graphql = WsClient::signed_in(&app, &expiring_in(&ada, 2)).await;
    graphql.message_added("1", &conversation, None).await;
    let mut old = legacy_open(&app, &conversation, &expiring_in(&ada, 2)).await;
    assert_eq!(graphql.closed().await, (4403, "token expired".to_owned()));
    assert_eq!(
        legacy_closed(&mut old, WAIT).await,
        (4001, "token expired".to_owned())
    );
    // A fresh token opens a new session at once.
    let mut again = WsClient::signed_in(&app, &ada.access).await;
    again.message_added("1", &conversation, None).await;
}

#[tokio::test]
async fn a_token_before_its_nbf_is_refused_everywhere() {
    let app = TestApp::spawn().await;
    let (ada, conversation) = pair(&app).await;
    let early = token(&ada, 600, Some(300));
    let mut graphql = WsClient::modern(&app).await;
    graphql
        .send(json!({ "type": "connection_init", "payload": { "token": early } }))
        .await;
    assert_eq!(graphql.closed().await.0, 4403);
    let mut old = legacy(&app, &conversation, &early).await;
    assert_eq!(legacy_closed(&mut old, WAIT).await.0, 4001);
    let (status, _) = app.get("/api/v1/conversations/", Some(&early)).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let started = token(&ada, 600, Some(-60));
    let (status, _) = app.get("/api/v1/conversations/", Some(&started)).await;
    assert_eq!(status, reqwest::StatusCode::OK);
}

/// Sets `is_active = false` as an operator (or Django's admin) would:
/// straight in the database.
async fn deactivate(env: &TestEnv, user: &TestUser) {
    let db = Database::connect(env.vars()["DATABASE_URL"].as_str())
        .await
        .expect("database");
    db.execute_unprepared(&format!(
        "UPDATE users SET is_active = false WHERE id = {}",
        user.id
    ))
    .await
    .expect("deactivate");
    db.close().await.ok();
}

#[tokio::test]
async fn a_deactivated_account_loses_its_sockets_on_every_node_within_a_second() {
    let env = TestEnv::new().await;
    let first = env.spawn().await;
    // In Redis mode the second node shares the database: it must notice too.
    let second = if env.uses_redis() {
        Some(env.spawn().await)
    } else {
        None
    };
    let (ada, conversation) = pair(&first).await;
    let grace = first.signup("grace").await;
    let mut graphql = WsClient::signed_in(&first, &ada.access).await;
    graphql.message_added("1", &conversation, None).await;
    let mut old = legacy_open(&first, &conversation, &ada.access).await;
    let mut elsewhere = match &second {
        Some(second) => Some(WsClient::signed_in(second, &ada.access).await),
        None => None,
    };
    let mut bystander = WsClient::signed_in(&first, &grace.access).await;

    deactivate(&env, &ada).await;
    // Checked twice a second; 1.5 s leaves room for a loaded machine.
    let within = Duration::from_millis(1500);
    let closed = tokio::time::timeout(within, graphql.closed())
        .await
        .expect("graphql-ws closed within the deadline");
    assert_eq!(closed, (4403, "account deactivated".to_owned()));
    assert_eq!(
        legacy_closed(&mut old, within).await,
        (4001, "account deactivated".to_owned())
    );
    if let Some(elsewhere) = elsewhere.as_mut() {
        let closed = tokio::time::timeout(within, elsewhere.closed())
            .await
            .expect("closed on the other node too");
        assert_eq!(closed.0, 4403);
    }
    // Others keep theirs.
    bystander
        .send(json!({ "type": "ping", "payload": { "still": "here" } }))
        .await;
    assert_eq!(bystander.json().await["type"], "pong");
}

/// A graphql-ws socket whose `connection_init` must be refused: its close.
async fn modern_refused(app: &TestApp, token: &str) -> (u16, String) {
    let mut client = WsClient::modern(app).await;
    client
        .send(json!({ "type": "connection_init", "payload": { "token": token } }))
        .await;
    client.closed().await
}

#[tokio::test]
async fn the_socket_cap_per_user_counts_both_protocols_and_frees_a_closed_place() {
    let mut env = TestEnv::new().await;
    env.set("MAX_SOCKETS_PER_USER", "2");
    let app = env.spawn().await;
    let (ada, conversation) = pair(&app).await;
    let grace = app.signup("grace").await;
    let graphql = WsClient::signed_in(&app, &ada.access).await;
    let _old = legacy_open(&app, &conversation, &ada.access).await;
    assert_eq!(
        modern_refused(&app, &ada.access).await,
        (4429, "Too many sockets".to_owned())
    );
    let mut refused = legacy(&app, &conversation, &ada.access).await;
    assert_eq!(
        legacy_closed(&mut refused, WAIT).await,
        (4029, "too many sockets".to_owned())
    );
    // Per user: Grace is not affected.
    let _grace = WsClient::signed_in(&app, &grace.access).await;
    let refusals = scrape_refusals(&app).await;
    assert!(refusals >= 2.0, "counted: {refusals}");
    // Closing a socket frees its place (in Redis, once the node has removed
    // it: a readiness poll).
    drop(graphql);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut client = WsClient::modern(&app).await;
        client
            .send(json!({ "type": "connection_init", "payload": { "token": ada.access } }))
            .await;
        match client.frame().await {
            crate::ws_client::Frame::Json(ack) if ack["type"] == "connection_ack" => break,
            other => assert!(
                tokio::time::Instant::now() < deadline,
                "the place was not freed: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scrape_refusals(app: &TestApp) -> f64 {
    app.metric("websocket_refused_total{reason=\"too_many_sockets\"}")
        .await
}

#[tokio::test]
async fn the_socket_cap_is_shared_by_every_node() {
    let Some(mut env) = TestEnv::shared().await else {
        return;
    };
    env.set("MAX_SOCKETS_PER_USER", "2");
    let one = env.spawn().await;
    let two = env.spawn().await;
    let (ada, conversation) = pair(&one).await;
    let _a = WsClient::signed_in(&one, &ada.access).await;
    let _b = legacy_open(&two, &conversation, &ada.access).await;
    assert_eq!(modern_refused(&two, &ada.access).await.0, 4429);
    assert_eq!(modern_refused(&one, &ada.access).await.0, 4429);
    let mut refused = legacy(&one, &conversation, &ada.access).await;
    assert_eq!(legacy_closed(&mut refused, WAIT).await.0, 4029);
}

/// graphql-ws operations past `MAX_SUBSCRIPTION_BYTES`, or past
/// `MAX_SUBSCRIPTION_BYTES_PER_SOCKET` together, get an `error` for their
/// id; the connection stays, and completing one frees its bytes.
#[tokio::test]
async fn subscription_documents_are_capped_per_operation_and_per_socket() {
    let mut env = TestEnv::new().await;
    env.set("MAX_SUBSCRIPTION_BYTES", "2000")
        .set("MAX_SUBSCRIPTION_BYTES_PER_SOCKET", "5000");
    let app = env.spawn().await;
    let (ada, conversation) = pair(&app).await;
    let mut client = WsClient::signed_in(&app, &ada.access).await;
    let padded = |bytes: usize| {
        let query = crate::ws_client::MESSAGE_ADDED;
        format!("# {}\n{query}", "x".repeat(bytes - query.len()))
    };
    let variables = json!({ "id": conversation });
    client
        .subscribe("big", &padded(3000), variables.clone())
        .await;
    let refused = client.json().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "big");
    let message = refused["payload"][0]["message"].as_str().expect("message");
    assert!(message.contains("MAX_SUBSCRIPTION_BYTES"), "{message}");

    for id in ["a", "b"] {
        client.subscribe(id, &padded(1800), variables.clone()).await;
    }
    client
        .subscribe("c", &padded(1800), variables.clone())
        .await;
    let refused = client.json().await;
    assert_eq!(
        (&refused["type"], &refused["id"]),
        (&json!("error"), &json!("c"))
    );
    let message = refused["payload"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("MAX_SUBSCRIPTION_BYTES_PER_SOCKET"),
        "{message}"
    );
    // The others run: a message reaches both.
    let still = app.send_message(&ada, &conversation, "still here").await;
    for _ in 0..2 {
        let frame = client.json().await;
        assert_eq!(frame["type"], "next", "{frame}");
    }
    client.send(json!({ "type": "complete", "id": "a" })).await;
    // From that message on, so the next one cannot race the subscription.
    let since = json!({ "id": conversation, "since": still["id"] });
    client.subscribe("c", &padded(1800), since).await;
    app.send_message(&ada, &conversation, "and c").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let frame = client.json().await;
        assert_eq!(frame["type"], "next", "{frame}");
        ids.push(frame["id"].as_str().expect("id").to_owned());
    }
    ids.sort();
    assert_eq!(ids, ["b", "c"]);
}
