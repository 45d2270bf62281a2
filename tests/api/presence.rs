//! Presence: online means at least one authenticated WebSocket on any node.
//! Participants hear a user's first socket open and last one close on
//! `conversationEvents`, see them in `onlineParticipants` and `User.online`;
//! strangers never see anyone online; a node killed without closing its
//! sockets has its users offline within 30 s.

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser},
    ws_client::{Connect, MODERN, WsClient},
};

/// Typing and presence signals of a conversation.
pub const SIGNALS: &str = "subscription($id: ID!) { conversationEvents(conversationId: $id) { \
    __typename ... on TypingChanged { conversationId typing user { username } } \
    ... on PresenceChanged { conversationId online user { username } } } }";

/// Subscribes `user` to the conversation's signals, and returns once the
/// subscription is live: signals are not replayed, so one sent before the
/// server has set the subscription up would be missed. A message the user
/// sends is the probe — the subscription carries signals from the moment
/// it carries messages.
pub async fn watch(app: &TestApp, user: &TestUser, conversation: &str) -> WsClient {
    let mut client = WsClient::signed_in(app, &user.access).await;
    client
        .subscribe("s", SIGNALS, json!({ "id": conversation }))
        .await;
    loop {
        app.send_message(user, conversation, "probe").await;
        let live = async {
            loop {
                let payload = client.next_payload("s").await;
                if payload["data"]["conversationEvents"]["__typename"] == "MessageAdded" {
                    return;
                }
            }
        };
        if tokio::time::timeout(Duration::from_millis(500), live)
            .await
            .is_ok()
        {
            return client;
        }
    }
}

/// The next signal about `username` (others', and log events, skipped).
pub async fn next_signal(client: &mut WsClient, username: &str) -> Value {
    loop {
        let payload = client.next_payload("s").await;
        assert!(payload.get("errors").is_none(), "{payload}");
        let event = payload["data"]["conversationEvents"].clone();
        if event["user"]["username"] == username {
            return event;
        }
    }
}

/// Waits for `username`'s presence to become `online`.
async fn presence(client: &mut WsClient, username: &str, online: bool) {
    loop {
        let event = next_signal(client, username).await;
        if event["__typename"] == "PresenceChanged" && event["online"] == online {
            return;
        }
    }
}

/// A graphql-ws socket that only holds `user` online.
async fn go_online(app: &TestApp, user: &TestUser) -> WsClient {
    let mut client = Connect::new("/graphql/ws", Some(MODERN)).expect(app).await;
    client.init(&user.access).await;
    client
}

async fn online_participants(app: &TestApp, user: &TestUser, conversation: &str) -> Vec<String> {
    let body = app
        .graphql(
            "query($id: ID!) { conversation(id: $id) { onlineParticipants { username } } }",
            json!({ "id": conversation }),
            Some(&user.access),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let mut names: Vec<String> = body["data"]["conversation"]["onlineParticipants"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect();
    names.sort();
    names
}

/// `user.online` as `viewer` sees it, through a search for their username.
async fn seen_online(app: &TestApp, viewer: &TestUser, user: &TestUser) -> bool {
    let body = app
        .graphql(
            "query($q: String!) { users(search: $q) { username online } }",
            json!({ "q": user.username }),
            Some(&viewer.access),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["users"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|u| u["username"] == user.username.as_str())
        .map(|u| u["online"] == true)
        .expect("the user is found")
}

/// Two nodes on the shared backends; one node (twice) when embedded.
async fn nodes(env: &TestEnv) -> (TestApp, TestApp) {
    let a = env.spawn().await;
    let b = if env.uses_redis() {
        env.spawn().await
    } else {
        TestApp::at(a.address.clone())
    };
    (a, b)
}

#[tokio::test]
async fn presence_opens_on_one_node_and_is_seen_on_the_other() {
    let env = TestEnv::new().await;
    let (a, b) = nodes(&env).await;
    let ada = a.signup("ada").await;
    let bob = a.signup("bob").await;
    let carol = a.signup("carol").await;
    let conversation = create_conversation(&a, &ada, "presence", &[&bob]).await;
    let mut watching = watch(&b, &bob, &conversation).await;
    assert_eq!(online_participants(&b, &bob, &conversation).await, ["bob"]);

    let socket = go_online(&a, &ada).await;
    presence(&mut watching, "ada", true).await;
    assert_eq!(
        online_participants(&b, &bob, &conversation).await,
        ["ada", "bob"]
    );
    assert!(
        seen_online(&b, &bob, &ada).await,
        "a co-participant sees it"
    );
    assert!(seen_online(&b, &ada, &ada).await, "so does the user");
    assert!(
        !seen_online(&b, &carol, &ada).await,
        "a stranger never sees anyone online"
    );

    // A second socket is not news; closing one of two is not either.
    let second = go_online(&b, &ada).await;
    drop(socket);
    drop(second);
    presence(&mut watching, "ada", false).await;
    assert_eq!(online_participants(&b, &bob, &conversation).await, ["bob"]);
    assert!(!seen_online(&b, &bob, &ada).await);
}

#[tokio::test]
async fn a_killed_node_s_users_go_offline_on_the_others() {
    let Some(mut env) = TestEnv::shared().await else {
        return;
    };
    env.set("SOCKET_TTL_SECS", "3");
    let survivor = env.spawn().await;
    let ada = survivor.signup("ada").await;
    let bob = survivor.signup("bob").await;
    let conversation = create_conversation(&survivor, &ada, "crash", &[&bob]).await;
    let mut watching = watch(&survivor, &bob, &conversation).await;

    // The node that dies is a process of its own, killed with SIGKILL: it
    // closes nothing and tells nobody.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut doomed = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_chatstream"))
            .envs(env.vars())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server binary starts"),
    );
    let doomed_app = TestApp::at(format!("http://127.0.0.1:{port}"));
    let health = doomed_app.url("/healthz");
    let ready = async {
        // Polled: the process gives no other sign that it listens.
        while !reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let started = tokio::time::timeout(Duration::from_secs(30), ready).await;
    assert!(started.is_ok(), "the second node did not become healthy");
    let _socket = go_online(&doomed_app, &ada).await;
    presence(&mut watching, "ada", true).await;
    doomed.0.kill().expect("SIGKILL");
    let _ = doomed.0.wait();

    tokio::time::timeout(
        Duration::from_secs(30),
        presence(&mut watching, "ada", false),
    )
    .await
    .expect("offline within 30 s of the node's death");
    assert_eq!(
        online_participants(&survivor, &bob, &conversation).await,
        ["bob"]
    );
}

/// A child process that does not outlive a failing test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
