//! A reconnect storm: many subscribers of one conversation resume with the
//! same `since` at once. Each gets exactly the messages after it, in order,
//! once; and the node reads the log for fewer of them than there are
//! subscribers (catch-up reads of the same range are shared while in flight).

use std::collections::HashMap;

use serde_json::json;

use crate::{
    helpers::TestApp,
    ws_client::{MESSAGE_ADDED, WsClient},
};

/// Subscribers resuming at once, as operations of one socket: sent back to
/// back, they reach the node together.
const SUBSCRIBERS: usize = 50;

/// Messages sent while they were away.
const MISSED: usize = 30;

const EVENTS: &str = "subscription($id: ID!, $since: StreamId) { conversationEvents(conversationId: $id, since: $since) { __typename ... on MessageAdded { id } } }";

const REAL_READS: &str = r#"live_catch_up_reads_total{shared="false"}"#;
const SHARED_READS: &str = r#"live_catch_up_reads_total{shared="true"}"#;

/// A subscription kind: its query and the field its payloads carry.
struct Feed {
    query: &'static str,
    field: &'static str,
}

const MESSAGES: Feed = Feed {
    query: MESSAGE_ADDED,
    field: "messageAdded",
};

const EVENTS_FEED: Feed = Feed {
    query: EVENTS,
    field: "conversationEvents",
};

/// The next delivery on the socket: its operation id and event id. Typing
/// and presence signals (on `conversationEvents`) are passed over.
async fn next_delivery(client: &mut WsClient, feed: &Feed) -> (String, String) {
    let frame = client.json_without_signals().await;
    assert_eq!(frame["type"], "next", "{frame}");
    let delivered = &frame["payload"]["data"][feed.field];
    let id = delivered["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{frame}"));
    let operation = frame["id"].as_str().unwrap_or_else(|| panic!("{frame}"));
    (operation.to_owned(), id.to_owned())
}

/// `SUBSCRIBERS` operations resume after the first of `MISSED + 1`
/// messages; each must get exactly the other `MISSED`, in order, then the
/// next live message and nothing between.
async fn storm(feed: Feed) {
    let app = TestApp::unthrottled().await;
    let (alice, _bob, conversation) = app.pair("Storm").await;
    let mut sent = Vec::new();
    for n in 0..=MISSED {
        sent.push(
            app.send_message_id(&alice, &conversation, &format!("m{n}"))
                .await,
        );
    }
    let (since, missed) = (sent[0].clone(), sent[1..].to_vec());
    let real_before = app.metric(REAL_READS).await;
    let shared_before = app.metric(SHARED_READS).await;

    let mut client = WsClient::signed_in(&app, &alice.access).await;
    let variables = json!({ "id": conversation, "since": since });
    for n in 0..SUBSCRIBERS {
        client
            .subscribe(&format!("s{n}"), feed.query, variables.clone())
            .await;
    }
    let mut received: HashMap<String, Vec<String>> = HashMap::new();
    for _ in 0..SUBSCRIBERS * MISSED {
        let (operation, id) = next_delivery(&mut client, &feed).await;
        received.entry(operation).or_default().push(id);
    }
    assert_eq!(received.len(), SUBSCRIBERS);
    for (operation, ids) in &received {
        assert_eq!(
            ids, &missed,
            "{operation}: every message after since, in order, once"
        );
    }
    // Had any subscriber a message twice, it would come before this one.
    let live = app.send_message_id(&alice, &conversation, "live").await;
    for _ in 0..SUBSCRIBERS {
        let (operation, id) = next_delivery(&mut client, &feed).await;
        assert_eq!(id, live, "{operation}: the live message comes next");
    }

    // Tests in the same process may read the log too: bounds, not counts.
    let real = app.metric(REAL_READS).await - real_before;
    let shared = app.metric(SHARED_READS).await - shared_before;
    eprintln!("{SUBSCRIBERS} subscribers resumed: {real} log reads, {shared} shared");
    assert!(
        shared >= 1.0,
        "some catch-ups were served by another's read"
    );
    assert!(
        real < SUBSCRIBERS as f64,
        "{real} log reads for {SUBSCRIBERS} subscribers ({shared} shared)"
    );
}

#[tokio::test]
async fn a_reconnect_storm_of_message_subscribers_shares_its_catch_up_reads() {
    storm(MESSAGES).await;
}

#[tokio::test]
async fn a_reconnect_storm_of_event_subscribers_shares_its_catch_up_reads() {
    storm(EVENTS_FEED).await;
}
