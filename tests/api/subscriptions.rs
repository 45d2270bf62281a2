//! `messageAdded` over graphql-ws: both subprotocols and endpoints, the
//! protocol's close codes, keep-alives, origins, `since` replay, catch-up
//! under concurrent sends, slow consumers (lag, then 4008) and shutdown.

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestUser, error_code},
    support::{id_of, parse_id},
    ws_client::{
        Connect, Frame, LEGACY, MESSAGE_ADDED, MODERN, Operation, Transport, WAIT, WsClient,
    },
};

const SEND: &str = r#"mutation($id: ID!, $content: String!) {
  sendMessage(conversationId: $id, content: $content) { id content }
}"#;

/// A `messageAdded` subscriber from the start whose socket reads into a
/// 4 KB buffer, so the server's writes to it stall once it stops reading.
async fn slow_subscriber(app: &TestApp, user: &TestUser, id: &str, conversation: &str) -> WsClient {
    let mut slow = Connect::new("/graphql/ws", Some(MODERN))
        .recv_buffer(4096)
        .expect(app)
        .await;
    slow.init(&user.access).await;
    slow.message_added(id, conversation, Some("0-0")).await;
    slow
}

/// Sends a message over GraphQL and returns its id.
async fn send_graphql(app: &TestApp, user: &TestUser, conversation: &str, content: &str) -> String {
    let variables = json!({ "id": conversation, "content": content });
    let body = app.graphql(SEND, variables, Some(&user.access)).await;
    id_of(&body["data"]["sendMessage"])
}

/// Sends `count` messages of `size` characters from `senders` concurrent
/// REST clients; returns every id.
async fn send_many(
    app: &TestApp,
    user: &TestUser,
    conversation: &str,
    count: usize,
    senders: usize,
    size: usize,
) -> Vec<String> {
    let sent = app
        .send_concurrently(user, conversation, count, senders, move |_| {
            "x".repeat(size)
        })
        .await;
    sent.iter().flatten().map(id_of).collect()
}

/// Every id in the log strictly after `since`, read with REST paging.
async fn log_after(app: &TestApp, user: &TestUser, conversation: &str, since: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = since.to_owned();
    loop {
        let (status, body) = app
            .get(
                &format!("/api/v1/conversations/{conversation}/messages?from={cursor}&limit=100"),
                Some(&user.access),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page: Vec<String> = body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["id"].as_str().expect("id").to_owned())
            .collect();
        let Some(last) = page.last() else {
            return ids;
        };
        cursor = last.clone();
        ids.extend(page);
    }
}

/// Reads `messageAdded` frames for `id` until `last` has arrived.
async fn ids_until(client: &mut WsClient, id: &str, last: &str) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let message = client.next_message(id).await;
        let got = message["id"].as_str().expect("id").to_owned();
        let done = got == last;
        ids.push(got);
        if done {
            return ids;
        }
    }
}

#[tokio::test]
async fn reference_client_receives_messages_sent_over_rest_and_graphql() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("live").await;
    let socket = Connect::new("/graphql/ws", Some(MODERN))
        .expect(&app)
        .await
        .socket;
    // `since` from the start: nothing sent after subscribing can be missed,
    // however long the server takes to arm the subscription.
    let mut messages = graphql_ws_client::Client::build(Transport(socket))
        .payload(json!({ "Authorization": format!("Bearer {}", bob.access) }))
        .expect("payload")
        .subscribe(Operation {
            query: MESSAGE_ADDED,
            variables: json!({ "id": id, "since": "0-0" }),
        })
        .await
        .expect("subscribed");

    let rest = app.send_message_id(&alice, &id, "over REST").await;
    let graphql = send_graphql(&app, &alice, &id, "over GraphQL").await;

    for (expected_id, content) in [
        (rest.as_str(), "over REST"),
        (graphql.as_str(), "over GraphQL"),
    ] {
        let response = timeout(WAIT, messages.next())
            .await
            .expect("a message within the deadline")
            .expect("subscription open")
            .expect("decoded");
        let message = &response["data"]["messageAdded"];
        assert_eq!(message["id"], expected_id, "{response}");
        assert_eq!(message["content"], content);
        assert_eq!(message["conversationId"], id.as_str());
        assert_eq!(message["sender"]["username"], "alice");
    }
}

/// Subscribers share one rendering of a message per request shape: each must
/// still get exactly its own selection (fields, aliases, fragments, and
/// directives whose variables differ).
#[tokio::test]
async fn each_subscriber_gets_its_own_selection_of_a_shared_message() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("live").await;
    let op = |selection: &str| {
        format!(
            "subscription($id: ID!, $since: StreamId) \
             {{ messageAdded(conversationId: $id, since: $since) {selection} }}"
        )
    };
    let plain = op("{ id content }");
    let fragment = op("{ id ...When }") + " fragment When on Message { createdAt }";
    let include = "subscription($id: ID!, $since: StreamId, $more: Boolean!) { \
        messageAdded(conversationId: $id, since: $since) { id content @include(if: $more) } }";
    let shapes = [
        (plain.clone(), &bob, false),
        (plain, &alice, false),
        (op("{ content sender { username } }"), &bob, false),
        (op("{ text: content __typename }"), &bob, false),
        (fragment, &bob, false),
        (include.to_owned(), &bob, false),
        (include.to_owned(), &bob, true),
    ];
    let mut clients = Vec::new();
    for (query, user, more) in &shapes {
        let mut client = WsClient::signed_in(&app, &user.access).await;
        let mut variables = json!({ "id": id, "since": "0-0" });
        if query.contains("$more") {
            variables["more"] = json!(more);
        }
        client.subscribe("1", query, variables).await;
        clients.push(client);
    }
    // The first message may come from the log (replay); once every client
    // has it, all are live and the second is one shared delivery.
    app.send_message_id(&alice, &id, "first").await;
    for client in &mut clients {
        client.next_message("1").await;
    }
    let second = app.send_message_id(&alice, &id, "second").await;
    let mut got = Vec::new();
    for client in &mut clients {
        got.push(client.next_message("1").await);
    }
    assert_eq!(got[0], json!({ "id": second, "content": "second" }));
    assert_eq!(got[1], got[0]);
    assert_eq!(
        got[2],
        json!({ "content": "second", "sender": { "username": "alice" } })
    );
    assert_eq!(got[3], json!({ "text": "second", "__typename": "Message" }));
    assert_eq!(got[4]["id"], second.as_str());
    assert!(got[4]["createdAt"].is_string(), "{}", got[4]);
    assert_eq!(got[5], json!({ "id": second }));
    assert_eq!(got[6], json!({ "id": second, "content": "second" }));
}

#[tokio::test]
async fn legacy_protocol_delivers_and_stops() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("live").await;
    let old = app.send_message_id(&alice, &id, "before subscribing").await;
    let mut client = Connect::new("/graphql", Some(LEGACY)).expect(&app).await;
    assert_eq!(client.protocol.as_deref(), Some(LEGACY));
    client.init(&bob.access).await;
    client.message_added("a", &id, Some(&old)).await;

    let rest = app.send_message_id(&alice, &id, "over REST").await;
    let message = client.next_message("a").await;
    assert_eq!(
        (&message["id"], &message["content"]),
        (&json!(rest), &json!("over REST"))
    );
    let graphql = send_graphql(&app, &alice, &id, "over GraphQL").await;
    let message = client.next_message("a").await;
    assert_eq!(message["id"], graphql.as_str());

    // `stop` ends the operation; the id may then be used again.
    client.send(json!({ "type": "stop", "id": "a" })).await;
    client
        .subscribe("a", "{ me { username } }", json!({}))
        .await;
    let payload = client.next_payload("a").await;
    assert_eq!(payload["data"]["me"]["username"], "bob");
    assert_eq!(
        client.json().await,
        json!({ "type": "complete", "id": "a" })
    );
    client.send(json!({ "type": "connection_terminate" })).await;
    assert_eq!(client.closed().await.0, 1000);
}

#[tokio::test]
async fn both_endpoints_negotiate_the_subprotocol() {
    let app = TestApp::spawn().await;
    let user = app.signup("carol").await;
    for path in ["/graphql", "/graphql/ws"] {
        for (offered, chosen) in [
            (Some(MODERN), MODERN),
            (Some(LEGACY), LEGACY),
            (Some("graphql-ws, graphql-transport-ws"), MODERN),
        ] {
            let mut client = Connect::new(path, offered).expect(&app).await;
            assert_eq!(
                client.protocol.as_deref(),
                Some(chosen),
                "{path} {offered:?}"
            );
            client.init(&user.access).await;
        }
        // No subprotocol offered: the modern one, which answers pings.
        let mut client = Connect::new(path, None).expect(&app).await;
        assert_eq!(client.protocol, None);
        client.init(&user.access).await;
        client.send(json!({ "type": "ping" })).await;
        assert_eq!(client.json().await["type"], "pong");
    }
    // Without an upgrade, GET /graphql is still GraphiQL for a browser.
    let response = app
        .client
        .get(app.url("/graphql"))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.expect("body").contains("GraphiQL"));
}

#[tokio::test]
async fn credentials_come_from_init_payload_or_upgrade_header() {
    let app = TestApp::spawn().await;
    let user = app.signup("dave").await;
    let bearer = format!("Bearer {}", user.access);
    for payload in [
        json!({ "Authorization": bearer }),
        json!({ "authorization": bearer }),
        json!({ "token": user.access }),
        json!({ "token": bearer }),
    ] {
        let mut client = WsClient::modern(&app).await;
        client.init_with(payload).await;
    }
    let mut client = Connect::new("/graphql/ws", Some(MODERN))
        .header("Authorization", bearer.clone())
        .expect(&app)
        .await;
    client.send(json!({ "type": "connection_init" })).await;
    assert_eq!(client.json().await["type"], "connection_ack");
    client.subscribe("me", "{ me { id } }", json!({})).await;
    assert_eq!(
        client.next_payload("me").await["data"]["me"]["id"],
        user.id.to_string()
    );
}

#[tokio::test]
async fn missing_or_bad_credentials_close_4403() {
    let app = TestApp::spawn().await;
    let user = app.signup("erin").await;
    let refused = [
        json!({ "type": "connection_init" }),
        json!({ "type": "connection_init", "payload": {} }),
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not-a-jwt" } }),
        // A refresh token is not an access token.
        json!({ "type": "connection_init", "payload": { "token": user.refresh } }),
        json!({ "type": "connection_init", "payload": { "token": 42 } }),
    ];
    for init in refused {
        let mut client = WsClient::modern(&app).await;
        client.send(init.clone()).await;
        assert_eq!(
            client.closed().await,
            (4403, "Forbidden".to_owned()),
            "{init}"
        );
    }
    // A bad token in the payload is not rescued by a good header.
    let mut client = Connect::new("/graphql/ws", Some(MODERN))
        .header("Authorization", format!("Bearer {}", user.access))
        .expect(&app)
        .await;
    client
        .send(json!({ "type": "connection_init", "payload": { "token": "bad" } }))
        .await;
    assert_eq!(client.closed().await.0, 4403);
    // The legacy protocol says why first, then closes the same way.
    let mut client = Connect::new("/graphql/ws", Some(LEGACY)).expect(&app).await;
    client
        .send(json!({ "type": "connection_init", "payload": { "token": "bad" } }))
        .await;
    match client.frame().await {
        Frame::Json(frame) => assert_eq!(frame["type"], "connection_error", "{frame}"),
        other => panic!("expected connection_error, got {other:?}"),
    }
    assert_eq!(client.closed().await.0, 4403);
}

#[tokio::test]
async fn protocol_violations_close_with_their_codes() {
    let app = TestApp::spawn().await;
    let user = app.signup("frank").await;
    let subscribe =
        json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ me { id } }" } });

    let mut client = WsClient::modern(&app).await;
    client.send(subscribe.clone()).await;
    assert_eq!(client.closed().await, (4401, "Unauthorized".to_owned()));

    for invalid in [
        "this is not json",
        r#"{"type":"no_such_type"}"#,
        r#"{"type":"subscribe","payload":{"query":"{ me { id } }"}}"#,
        r#"{"type":"subscribe","id":"1"}"#,
    ] {
        let mut client = WsClient::signed_in(&app, &user.access).await;
        client.send_text(invalid).await;
        assert_eq!(client.closed().await.0, 4400, "{invalid}");
    }

    // A subscription keeps its id busy until it ends.
    let conversation = create_conversation(&app, &user, "dup", &[]).await;
    let mut client = WsClient::watching(&app, &user.access, "dup", &conversation, None).await;
    client.message_added("dup", &conversation, None).await;
    assert_eq!(
        client.closed().await,
        (4409, "Subscriber for dup already exists".to_owned())
    );

    let mut client = WsClient::signed_in(&app, &user.access).await;
    client.send(json!({ "type": "connection_init" })).await;
    assert_eq!(
        client.closed().await,
        (4429, "Too many initialisation requests".to_owned())
    );
}

#[tokio::test]
async fn no_init_in_time_closes_4408() {
    let app = TestApp::spawn_with(&[("GRAPHQL_WS_INIT_TIMEOUT_SECS", "1")]).await;
    let started = Instant::now();
    let mut client = WsClient::modern(&app).await;
    assert_eq!(
        client.closed().await,
        (4408, "Connection initialisation timeout".to_owned())
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn pings_both_ways() {
    let app = TestApp::spawn_with(&[
        ("WS_KEEPALIVE_SECS", "1"),
        ("RATE_LIMIT_MESSAGES", "100000"),
    ])
    .await;
    let user = app.signup("gina").await;
    let mut client = WsClient::signed_in(&app, &user.access).await;
    client
        .send(json!({ "type": "ping", "payload": { "n": 7 } }))
        .await;
    assert_eq!(
        client.raw_json().await,
        json!({ "type": "pong", "payload": { "n": 7 } })
    );
    // Idle for a second: the server pings.
    assert_eq!(client.raw_json().await, json!({ "type": "ping" }));
    client.send(json!({ "type": "pong" })).await;
    assert_eq!(client.raw_json().await, json!({ "type": "ping" }));

    // Legacy `ka`: one right after the ack, then every interval, even
    // while data keeps flowing (its clients time out on a missing `ka`).
    let conversation = create_conversation(&app, &user, "busy", &[]).await;
    let mut legacy = Connect::new("/graphql/ws", Some(LEGACY)).expect(&app).await;
    legacy
        .send(json!({ "type": "connection_init", "payload": { "token": user.access } }))
        .await;
    assert_eq!(legacy.raw_json().await["type"], "connection_ack");
    assert_eq!(legacy.raw_json().await, json!({ "type": "ka" }));
    legacy.message_added("m", &conversation, Some("0-0")).await;
    let started = Instant::now();
    loop {
        app.send_message_id(&user, &conversation, "busy").await;
        let frame = legacy.raw_json().await;
        if frame == json!({ "type": "ka" }) {
            break;
        }
        assert_eq!(frame["type"], "data", "{frame}");
        assert!(started.elapsed() < WAIT, "no `ka` while busy");
    }
}

#[tokio::test]
async fn operation_errors_reach_the_client() {
    let app = TestApp::spawn().await;
    let (alice, _, id) = app.pair("live").await;
    let outsider = app.signup("mallory").await;
    let mut client = WsClient::signed_in(&app, &outsider.access).await;

    // Not a participant: a GraphQL error, then the operation completes.
    client.message_added("1", &id, None).await;
    let payload = client.next_payload("1").await;
    assert_eq!(error_code(&payload), "FORBIDDEN", "{payload}");
    assert_eq!(
        client.json().await,
        json!({ "type": "complete", "id": "1" })
    );

    client.message_added("2", &id, Some("yesterday")).await;
    let payload = client.next_payload("2").await;
    assert_eq!(error_code(&payload), "VALIDATION_ERROR", "{payload}");
    assert!(payload["errors"][0]["extensions"]["fields"]["since"].is_array());
    assert_eq!(client.json().await["type"], "complete");

    // An invalid document is refused before it runs: `error`, no `complete`.
    client
        .subscribe("3", "subscription { nope }", json!({}))
        .await;
    let frame = client.json().await;
    assert_eq!(
        (&frame["type"], &frame["id"]),
        (&json!("error"), &json!("3")),
        "{frame}"
    );
    assert!(frame["payload"][0]["message"].is_string());

    // Mutations and queries run over the socket too.
    let mut client = WsClient::signed_in(&app, &alice.access).await;
    client
        .subscribe(
            "send",
            SEND,
            json!({ "id": id, "content": "over the socket" }),
        )
        .await;
    let payload = client.next_payload("send").await;
    assert_eq!(payload["data"]["sendMessage"]["content"], "over the socket");
    assert_eq!(
        client.json().await,
        json!({ "type": "complete", "id": "send" })
    );
}

#[tokio::test]
async fn upgrade_origin_is_checked() {
    let app = TestApp::spawn_with(&[("ALLOWED_ORIGINS", "https://chat.example.com")]).await;
    for path in ["/graphql", "/graphql/ws"] {
        let refused = Connect::new(path, Some(MODERN))
            .header("Origin", "https://evil.example")
            .open(&app)
            .await;
        match refused {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::FORBIDDEN)
            }
            Err(other) => panic!("expected a 403, got {other}"),
            Ok(_) => panic!("a foreign origin was upgraded on {path}"),
        }
        Connect::new(path, Some(MODERN))
            .header("Origin", "https://chat.example.com")
            .expect(&app)
            .await;
        Connect::new(path, Some(MODERN)).expect(&app).await;
    }
}

#[tokio::test]
async fn since_replays_what_was_missed_then_goes_live() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100000")]).await;
    let (alice, bob, id) = app.pair("live").await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(app.send_message_id(&alice, &id, &format!("m{i}")).await);
    }
    let mut client = WsClient::watching(&app, &bob.access, "s", &id, Some(&sent[1])).await;
    // The 3rd, 4th and 5th.
    for (i, expected) in sent.iter().enumerate().skip(2) {
        let message = client.next_message("s").await;
        assert_eq!(message["id"], expected.as_str());
        assert_eq!(message["content"], format!("m{i}"));
    }
    for i in 5..8 {
        let live = app.send_message_id(&alice, &id, &format!("m{i}")).await;
        assert_eq!(client.next_message("s").await["id"], live.as_str());
    }
}

#[tokio::test]
async fn without_since_only_new_messages_arrive() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100000")]).await;
    let (alice, bob, id) = app.pair("live").await;
    app.send_message_id(&alice, &id, "before subscribing").await;
    let mut client = WsClient::watching(&app, &bob.access, "live", &id, None).await;
    // Readiness poll: the subscription is armed once a probe gets through.
    let first = loop {
        app.send_message_id(&alice, &id, "probe").await;
        if let Ok(frame) = timeout(Duration::from_millis(250), client.json()).await {
            break frame;
        }
    };
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["messageAdded"]["content"], "probe",
        "history is not replayed without `since`"
    );
}

#[tokio::test]
async fn catch_up_during_concurrent_sends_has_no_gap_or_duplicate() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100000")]).await;
    let (alice, bob, id) = app.pair("live").await;
    let mut early = Vec::new();
    for i in 0..10 {
        early.push(
            app.send_message_id(&alice, &id, &format!("early {i}"))
                .await,
        );
    }
    let since = early[3].clone();
    let sender = {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/conversations/{id}/messages")),
            alice.access.clone(),
        );
        tokio::spawn(async move {
            let mut last = String::new();
            for i in 0..200 {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "content": format!("during {i}") }))
                    .send()
                    .await
                    .expect("sent");
                let body: Value = response.json().await.expect("json");
                last = body["id"].as_str().expect("id").to_owned();
            }
            last
        })
    };
    let mut client = WsClient::watching(&app, &bob.access, "c", &id, Some(&since)).await;
    let last = sender.await.expect("sender");
    let received = ids_until(&mut client, "c", &last).await;
    assert_eq!(received, log_after(&app, &bob, &id, &since).await);
    assert_eq!(received.len(), 6 + 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_catches_up_from_the_log_in_order() {
    const COUNT: usize = 10_000;
    // A small live buffer, so the stalled subscriber really lags.
    let app =
        TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100000"), ("LIVE_BUFFER", "64")]).await;
    let (alice, bob, id) = app.pair("live").await;
    let mut slow = slow_subscriber(&app, &bob, "slow", &id).await;
    let mut fast = WsClient::watching(&app, &bob.access, "fast", &id, Some("0-0")).await;
    let reader = tokio::spawn(async move {
        let mut ids = Vec::with_capacity(COUNT);
        while ids.len() < COUNT {
            let message = fast.next_message("fast").await;
            ids.push(message["id"].as_str().expect("id").to_owned());
        }
        (ids, Instant::now())
    });

    // ~8 MB of frames, against at most ~4 MB of socket buffers (Linux's
    // default `tcp_wmem` ceiling, plus the client's few KB): the server
    // stops polling the slow subscription and its live channel overflows.
    let sent = send_many(&app, &alice, &id, COUNT, 16, 600).await;
    let sent_at = Instant::now();
    let (fast_ids, fast_done) = reader.await.expect("fast reader");
    assert!(
        fast_done.saturating_duration_since(sent_at) < Duration::from_secs(5),
        "the fast subscriber is not held back by the slow one"
    );
    let log = log_after(&app, &bob, &id, "0-0").await;
    assert_eq!(log.len(), COUNT);
    let mut sorted = sent.clone();
    sorted.sort_by_key(|s| parse_id(s));
    assert_eq!(sorted, log);
    assert_eq!(fast_ids, log);

    // Now it reads again: everything, in order, once.
    let slow_ids = ids_until(&mut slow, "slow", log.last().expect("last")).await;
    assert_eq!(slow_ids, log);
}

#[tokio::test]
async fn a_consumer_past_the_lag_bound_is_closed_4008_and_resumes_with_since() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_MESSAGES", "100000"),
        ("SLOW_CONSUMER_LAG", "10"),
        ("LIVE_BUFFER", "16"),
    ])
    .await;
    let (alice, bob, id) = app.pair("live").await;
    let mut slow = slow_subscriber(&app, &bob, "s", &id).await;
    // ~6.5 MB of frames: more than the socket buffers hold (see above).
    send_many(&app, &alice, &id, 3_000, 16, 2_000).await;

    let mut received = Vec::new();
    let (code, reason) = loop {
        match slow.frame().await {
            Frame::Json(frame) if frame["type"] == "next" => received.push(
                frame["payload"]["data"]["messageAdded"]["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            ),
            Frame::Json(frame) => assert_eq!(frame["type"], "ping", "{frame}"),
            Frame::Closed(code, reason) => break (code, reason),
        }
    };
    assert_eq!((code, reason.as_str()), (4008, "slow consumer"));
    let log = log_after(&app, &bob, &id, "0-0").await;
    assert!(received.len() < log.len(), "closed before the end");
    assert_eq!(received, log[..received.len()], "what arrived has no gap");

    // Reconnecting with `since` resumes exactly where it stopped.
    let since = received.last().map_or("0-0".to_owned(), Clone::clone);
    let mut again = WsClient::watching(&app, &bob.access, "s", &id, Some(&since)).await;
    let rest = ids_until(&mut again, "s", log.last().expect("last")).await;
    assert_eq!(rest, log[received.len()..]);
}

#[tokio::test]
async fn shutdown_closes_subscriptions_with_1001() {
    let app = TestApp::spawn().await;
    let (_, bob, id) = app.pair("live").await;
    let mut client = WsClient::watching(&app, &bob.access, "s", &id, None).await;
    let mut legacy = Connect::new("/graphql", Some(LEGACY)).expect(&app).await;
    legacy.init(&bob.access).await;
    app.stop().await;
    assert_eq!(
        client.closed().await,
        (1001, "server shutting down".to_owned())
    );
    assert_eq!(legacy.closed().await.0, 1001);
}
