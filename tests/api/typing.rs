//! Typing: `setTyping` (or the legacy `typing` frame) reaches the
//! conversation's participants as `TypingChanged`, coalesced to one signal
//! per user per 2 s, and stops explicitly, on a send, or 5 s after the last
//! call. Nothing of it is ever stored or replayed.

use std::{collections::HashMap, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser, error_code},
    legacy_ws,
    presence::{next_signal, watch},
    ws_client::WsClient,
};

const SET_TYPING: &str =
    "mutation($id: ID!, $typing: Boolean) { setTyping(conversationId: $id, typing: $typing) }";

async fn set_typing(app: &TestApp, user: &TestUser, conversation: &str, typing: Option<bool>) {
    let body = app
        .graphql(
            SET_TYPING,
            json!({ "id": conversation, "typing": typing }),
            Some(&user.access),
        )
        .await;
    assert_eq!(body["data"]["setTyping"], true, "{body}");
}

/// The next typing signal about `username`.
async fn typing(client: &mut WsClient, username: &str) -> bool {
    loop {
        let event = next_signal(client, username).await;
        if event["__typename"] == "TypingChanged" {
            return event["typing"].as_bool().expect("typing");
        }
    }
}

async fn setup(app: &TestApp) -> (TestUser, TestUser, String) {
    let ada = app.signup("ada").await;
    let bob = app.signup("bob").await;
    let conversation = create_conversation(app, &ada, "typing", &[&bob]).await;
    (ada, bob, conversation)
}

#[tokio::test]
async fn typing_reaches_participants_and_expires_5_s_after_the_last_call() {
    let app = TestApp::spawn().await;
    let (ada, bob, conversation) = setup(&app).await;
    let mut watching = watch(&app, &bob, &conversation).await;
    set_typing(&app, &ada, &conversation, None).await;
    let started = Instant::now();
    assert!(typing(&mut watching, "ada").await, "started");
    assert!(!typing(&mut watching, "ada").await, "expired");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "not before its time: {:?}",
        started.elapsed()
    );
    // An explicit stop.
    set_typing(&app, &ada, &conversation, Some(true)).await;
    assert!(typing(&mut watching, "ada").await);
    set_typing(&app, &ada, &conversation, Some(false)).await;
    assert!(!typing(&mut watching, "ada").await, "stopped");
    app.stop().await;
}

#[tokio::test]
async fn keystrokes_coalesce_and_a_send_stops_typing() {
    let app = TestApp::spawn().await;
    let (ada, bob, conversation) = setup(&app).await;
    let mut watching = watch(&app, &bob, &conversation).await;
    // Ten keystrokes a second for 3 s.
    let keystrokes = async {
        for _ in 0..30 {
            set_typing(&app, &ada, &conversation, None).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let seen = async {
        let mut seen = 0;
        // A start, then renewals no closer than 2 s apart.
        let deadline = Instant::now() + Duration::from_millis(3500);
        while let Ok(signal) = tokio::time::timeout_at(deadline, typing(&mut watching, "ada")).await
        {
            assert!(signal, "still typing");
            seen += 1;
        }
        seen
    };
    let ((), seen) = tokio::join!(keystrokes, seen);
    assert!((1..=2).contains(&seen), "{seen} signals for 30 keystrokes");
    app.send_message(&ada, &conversation, "done").await;
    assert!(!typing(&mut watching, "ada").await, "a send stops typing");
    app.stop().await;
}

#[tokio::test]
async fn only_participants_type_and_nothing_is_stored() {
    let env = TestEnv::new().await;
    let app = env.spawn().await;
    let (ada, bob, conversation) = setup(&app).await;
    let carol = app.signup("carol").await;
    let body = app
        .graphql(
            SET_TYPING,
            json!({ "id": conversation }),
            Some(&carol.access),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let mut watching = watch(&app, &bob, &conversation).await;
    set_typing(&app, &ada, &conversation, None).await;
    assert!(typing(&mut watching, "ada").await);
    app.send_message(&ada, &conversation, "hello").await;
    assert!(!typing(&mut watching, "ada").await);

    // A replay from the start holds the message and the log's events only.
    let mut replay = WsClient::signed_in(&app, &bob.access).await;
    replay
        .subscribe(
            "r",
            "subscription($id: ID!) { conversationEvents(conversationId: $id, since: \"0-0\") { __typename } }",
            json!({ "id": conversation }),
        )
        .await;
    let first = replay.next_payload("r").await;
    assert_eq!(
        first["data"]["conversationEvents"]["__typename"], "MessageAdded",
        "{first}"
    );
    // In Redis, no stream entry anywhere under the test's prefix is one.
    if let Some((mut redis, prefix)) = env.redis().await {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut redis)
            .await
            .expect("KEYS");
        for key in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query_async(&mut redis)
                .await
                .expect("TYPE");
            if kind != "stream" {
                continue;
            }
            let entries: Vec<(String, HashMap<String, String>)> = redis::cmd("XRANGE")
                .arg(&key)
                .arg("-")
                .arg("+")
                .query_async(&mut redis)
                .await
                .expect("XRANGE");
            let text = format!("{entries:?}");
            assert!(
                !text.contains("typing") && !text.contains("presence"),
                "{key}: {text}"
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn the_legacy_protocol_types_and_hears_typing_once_it_opted_in() {
    let app = TestApp::spawn().await;
    let (ada, bob, conversation) = setup(&app).await;
    let mut watching = watch(&app, &bob, &conversation).await;
    let mut typist = legacy_ws::connect(&app, &conversation, &ada).await;
    let mut old_client = legacy_ws::connect(&app, &conversation, &bob).await;

    typist
        .send(Message::text(r#"{"type":"typing"}"#))
        .await
        .expect("sent");
    assert!(typing(&mut watching, "ada").await, "heard over GraphQL");
    // The typist opted in: it hears typing (its own included), and
    // presence, whose announcement of its own socket may come first.
    let frame = next_of_type(&mut typist, "typing").await;
    assert_eq!(frame["type"], "typing", "{frame}");
    assert_eq!(frame["username"], "ada", "{frame}");
    assert_eq!(frame["typing"], true, "{frame}");

    // The socket that never sent a typing frame gets messages only.
    app.send_message(&ada, &conversation, "hi").await;
    let frame = next_text(&mut old_client).await;
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["message"]["content"], "hi", "{frame}");
    app.stop().await;
}

/// The next frame of `kind` on a legacy socket, passing over presence
/// frames (announcements are asynchronous, so their place is not fixed).
async fn next_of_type(socket: &mut legacy_ws::Socket, kind: &str) -> Value {
    loop {
        let frame = next_text(socket).await;
        if frame["type"] == kind || frame["type"] != "presence" {
            return frame;
        }
    }
}

/// The next text frame of a legacy socket, as JSON.
async fn next_text(socket: &mut legacy_ws::Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame before the deadline")
            .expect("socket open")
            .expect("valid frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("JSON frame");
        }
    }
}
