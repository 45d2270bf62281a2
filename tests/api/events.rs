//! `conversationEvents`: messages added, edited and deleted in one order,
//! each with an id usable as `since`; resuming misses and repeats nothing,
//! across nodes too; `messageAdded` still sees messages only.

use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser},
    support::id_of,
    ws_client::WsClient,
};

const EVENTS: &str = "subscription($id: ID!, $since: StreamId) { conversationEvents(conversationId: $id, since: $since) { __typename ... on MessageAdded { id message { id content } } ... on MessageEdited { id message { id content editedAt } } ... on MessageDeleted { id message { id content deleted } } } }";

/// An event as `(kind, event id, message id, content)`.
type Seen = (String, String, String, String);

async fn subscribe(app: &TestApp, user: &TestUser, conversation: &str, since: &str) -> WsClient {
    let mut client = WsClient::signed_in(app, &user.access).await;
    client
        .subscribe("e", EVENTS, json!({ "id": conversation, "since": since }))
        .await;
    client
}

async fn next_event(client: &mut WsClient) -> Seen {
    let payload = client.next_log_event("e").await;
    assert!(payload.get("errors").is_none(), "{payload}");
    let event = &payload["data"]["conversationEvents"];
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{event}")).to_owned();
    (
        text(&event["__typename"]),
        text(&event["id"]),
        text(&event["message"]["id"]),
        text(&event["message"]["content"]),
    )
}

async fn next_events(client: &mut WsClient, n: usize) -> Vec<Seen> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        seen.push(next_event(client).await);
    }
    seen
}

/// Asserts a mutation's answer carries no error.
fn ok(body: Value) {
    assert!(body["errors"].is_null(), "{body}");
}

/// Sends two messages, edits the first, deletes the second, sends a third:
/// five events. Returns the two messages' ids and the third's.
async fn five_events(app: &TestApp, alice: &TestUser, c: &str) -> [String; 3] {
    let m1 = id_of(&app.send_message(alice, c, "one").await);
    let m2 = id_of(&app.send_message(alice, c, "two").await);
    ok(app.edit_message(alice, c, &m1, "one, edited").await);
    ok(app.delete_message(alice, c, &m2).await);
    let m3 = id_of(&app.send_message(alice, c, "three").await);
    [m1, m2, m3]
}

/// Checks the five events of [`five_events`], in order with rising ids.
fn check_five(events: &[Seen], [m1, m2, m3]: &[String; 3]) {
    let kinds: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|(k, _, m, c)| (k.as_str(), m.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("MessageAdded", m1.as_str(), "one"),
            ("MessageAdded", m2.as_str(), "two"),
            ("MessageEdited", m1.as_str(), "one, edited"),
            ("MessageDeleted", m2.as_str(), ""),
            ("MessageAdded", m3.as_str(), "three"),
        ]
        .as_slice(),
        "{events:?}"
    );
    let ids: Vec<(u64, u64)> = events
        .iter()
        .map(|(_, id, _, _)| {
            let (ms, seq) = id.split_once('-').expect("a stream id");
            (ms.parse().expect("ms"), seq.parse().expect("seq"))
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "rising ids: {events:?}"
    );
    assert_eq!(&events[0].1, m1, "a message's event id is its id");
}

#[tokio::test]
async fn events_arrive_live_in_order_and_resume_after_an_edit_and_a_delete() {
    let app = TestApp::spawn().await;
    let (alice, bob, c) = app.pair("Events").await;
    // `since` on the empty conversation: nothing can be missed while arming.
    let mut live = subscribe(&app, &bob, &c, "0-0").await;
    let mut added = WsClient::watching(&app, &bob.access, "m", &c, Some("0-0")).await;

    let ids = five_events(&app, &alice, &c).await;
    let events = next_events(&mut live, 5).await;
    check_five(&events, &ids);

    // Resuming after the second event replays exactly the last three.
    let mut resumed = subscribe(&app, &bob, &c, &events[1].1).await;
    let replayed = next_events(&mut resumed, 3).await;
    assert_eq!(
        replayed
            .iter()
            .map(|e| (&e.0, &e.1, &e.2))
            .collect::<Vec<_>>(),
        events[2..]
            .iter()
            .map(|e| (&e.0, &e.1, &e.2))
            .collect::<Vec<_>>()
    );
    // A resume from the start replays the edit and the delete too.
    let mut from_start = subscribe(&app, &bob, &c, "0-0").await;
    let all = next_events(&mut from_start, 5).await;
    assert_eq!(
        all.iter().map(|e| &e.1).collect::<Vec<_>>(),
        events.iter().map(|e| &e.1).collect::<Vec<_>>()
    );

    // Then each goes live, with no duplicate.
    ok(app.edit_message(&alice, &c, &ids[2], "three, edited").await);
    for client in [&mut live, &mut resumed, &mut from_start] {
        let next = next_event(client).await;
        assert_eq!(
            (next.0.as_str(), next.3.as_str()),
            ("MessageEdited", "three, edited")
        );
    }

    // messageAdded still carries messages only.
    let mut messages = Vec::new();
    for _ in 0..3 {
        messages.push(id_of(&added.next_message("m").await));
    }
    assert_eq!(messages, ids);
    let m4 = id_of(&app.send_message(&alice, &c, "four").await);
    assert_eq!(
        id_of(&added.next_message("m").await),
        m4,
        "no edit in between"
    );
}

#[tokio::test]
async fn outsiders_cannot_subscribe_and_removal_ends_the_stream() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let eve = app.signup("eve").await;
    let c = create_conversation(&app, &alice, "Private", &[&bob]).await;
    let mut outsider = subscribe(&app, &eve, &c, "0-0").await;
    assert_eq!(
        error_of(&outsider.json_without_signals().await),
        "FORBIDDEN"
    );

    let mut bobs = subscribe(&app, &bob, &c, "0-0").await;
    app.send_message(&alice, &c, "hello").await;
    assert_eq!(next_event(&mut bobs).await.3, "hello");
    let (status, _) = app.remove_participant(&alice, &c, &bob).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(error_of(&bobs.json_without_signals().await), "FORBIDDEN");
}

/// The code of a subscription's error frame (`next` with `errors`, or
/// `error`).
fn error_of(frame: &Value) -> String {
    let errors = match frame["type"].as_str() {
        Some("next") => &frame["payload"]["errors"],
        Some("error") => &frame["payload"],
        _ => panic!("expected an error: {frame}"),
    };
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {frame}"))
        .to_owned()
}

/// Edits and deletes made on one node reach a subscriber on another, and a
/// resume there replays them. Redis mode only.
#[tokio::test]
async fn events_cross_nodes() {
    let Some(env) = TestEnv::shared().await else {
        return;
    };
    let (one, two) = (env.spawn().await, env.spawn().await);
    let (alice, bob, c) = one.pair("Nodes").await;
    let mut on_two = subscribe(&two, &bob, &c, "0-0").await;
    let ids = five_events(&one, &alice, &c).await;
    let events = next_events(&mut on_two, 5).await;
    check_five(&events, &ids);

    let mut resumed = subscribe(&one, &bob, &c, &events[2].1).await;
    let replayed = next_events(&mut resumed, 2).await;
    assert_eq!(
        replayed.iter().map(|e| &e.1).collect::<Vec<_>>(),
        events[3..].iter().map(|e| &e.1).collect::<Vec<_>>()
    );
    ok(two.delete_message(&alice, &c, &ids[2]).await);
    assert_eq!(next_event(&mut on_two).await.0, "MessageDeleted");
    assert_eq!(next_event(&mut resumed).await.0, "MessageDeleted");
    drop((on_two, resumed));
    one.stop().await;
    two.stop().await;
}

const EVERY: &str = "subscription($id: ID!, $since: StreamId) { conversationEvents(conversationId: $id, since: $since) { __typename ... on MessageAdded { id } ... on ReadMarkerMoved { id upTo user { username } } ... on ParticipantJoined { id user { username } } ... on ParticipantLeft { id user { username } } } }";

/// `(kind, id, username or "", upTo or "")` of the next event.
async fn next_any(client: &mut WsClient) -> (String, String, String, String) {
    let payload = client.next_log_event("all").await;
    assert!(payload.get("errors").is_none(), "{payload}");
    let event = &payload["data"]["conversationEvents"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (
        text(&event["__typename"]),
        text(&event["id"]),
        text(&event["user"]["username"]),
        text(&event["upTo"]),
    )
}

#[tokio::test]
async fn read_markers_and_membership_changes_are_events_too() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let c = create_conversation(&app, &alice, "Everything", &[&bob]).await;
    let mut client = WsClient::signed_in(&app, &alice.access).await;
    client
        .subscribe("all", EVERY, json!({ "id": c, "since": "0-0" }))
        .await;

    let m = id_of(&app.send_message(&alice, &c, "hi").await);
    ok(app.mark_read(&bob, &c, &m).await);
    // Not moving it is not an event.
    ok(app.mark_read(&bob, &c, &m).await);
    let (status, _) = app.add_participant(&alice, &c, &carol).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{c}/leave"),
            json!({}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);

    let mut events = Vec::new();
    for _ in 0..4 {
        events.push(next_any(&mut client).await);
    }
    let shapes: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|(k, _, u, up)| (k.as_str(), u.as_str(), up.as_str()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("MessageAdded", "", ""),
            ("ReadMarkerMoved", "bob", m.as_str()),
            ("ParticipantJoined", "carol", ""),
            ("ParticipantLeft", "bob", ""),
        ]
    );
    // A resume after the message replays the other three, in order.
    let mut resumed = WsClient::signed_in(&app, &carol.access).await;
    resumed
        .subscribe("all", EVERY, json!({ "id": c, "since": m }))
        .await;
    for expected in &events[1..] {
        assert_eq!(&next_any(&mut resumed).await, expected);
    }
}
