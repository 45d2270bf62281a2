//! `inbox`: one subscription for every conversation, joined ones included,
//! across nodes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser},
    ws_client::WsClient,
};

const INBOX: &str = "subscription { inbox { __typename ... on ConversationChanged { conversation { id unreadCount lastMessage { content } participants { user { username } } } } ... on AddedToConversation { conversation { id name unreadCount } } ... on RemovedFromConversation { conversationId } } }";

async fn subscribe(app: &TestApp, user: &TestUser) -> WsClient {
    let mut client = WsClient::signed_in(app, &user.access).await;
    client.subscribe("inbox", INBOX, json!({})).await;
    client
}

/// The next inbox event: `(typename, the event)`.
async fn next(client: &mut WsClient) -> (String, Value) {
    let payload = client.next_payload("inbox").await;
    assert!(payload.get("errors").is_none(), "{payload}");
    let event = payload["data"]["inbox"].clone();
    let kind = event["__typename"].as_str().expect("typename").to_owned();
    (kind, event)
}

/// The next event about `conversation`, skipping others (a readiness
/// probe's).
async fn next_about(client: &mut WsClient, conversation: &str) -> (String, Value) {
    loop {
        let (kind, event) = next(client).await;
        let id = event["conversation"]["id"]
            .as_str()
            .or(event["conversationId"].as_str());
        if id == Some(conversation) {
            return (kind, event);
        }
    }
}

/// graphql-ws has no "subscribed" acknowledgement: probe with messages in a
/// conversation `user` is in until the inbox reports one (a readiness poll;
/// each wait is bounded).
async fn until_ready(client: &mut WsClient, sender: (&TestApp, &TestUser), probe: &str) {
    for _ in 0..50 {
        sender.0.send_message(sender.1, probe, "probe").await;
        if tokio::time::timeout(Duration::from_millis(300), next(client))
            .await
            .is_ok()
        {
            return;
        }
    }
    panic!("the inbox never reported a change");
}

#[tokio::test]
async fn the_inbox_hears_conversations_created_after_it_and_their_messages() {
    let mut env = TestEnv::new().await;
    env.set("RATE_LIMIT_MESSAGES", "1000");
    let app = env.spawn_owned().await;
    let (alice, bob, probe) = app.pair("Probe").await;
    let mut inbox = subscribe(&app, &bob).await;
    until_ready(&mut inbox, (&app, &alice), &probe).await;

    let fresh = create_conversation(&app, &alice, "Fresh", &[&bob]).await;
    let (kind, event) = next_about(&mut inbox, &fresh).await;
    assert_eq!(kind, "AddedToConversation", "{event}");
    assert_eq!(event["conversation"]["name"], "Fresh");
    assert_eq!(event["conversation"]["unreadCount"], 0);

    app.send_message(&alice, &fresh, "news").await;
    let (kind, event) = next_about(&mut inbox, &fresh).await;
    assert_eq!(kind, "ConversationChanged", "{event}");
    assert_eq!(event["conversation"]["unreadCount"], 1, "{event}");
    assert_eq!(event["conversation"]["lastMessage"]["content"], "news");

    // However a burst is coalesced (the unit tests of `backends::inbox`
    // count that), the last state is always reported.
    for n in 0..20 {
        app.send_message(&alice, &fresh, &format!("burst {n}"))
            .await;
    }
    loop {
        let (_, event) = next_about(&mut inbox, &fresh).await;
        if event["conversation"]["unreadCount"] == 21 {
            assert_eq!(event["conversation"]["lastMessage"]["content"], "burst 19");
            break;
        }
    }

    // Participants changing is a change; being removed ends the feed of it.
    let carol = app.signup("carol").await;
    let (status, _) = app.add_participant(&alice, &fresh, &carol).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    // A load of the burst may still be on its way: the last state counts.
    loop {
        let (kind, event) = next_about(&mut inbox, &fresh).await;
        assert_eq!(kind, "ConversationChanged");
        let participants = event["conversation"]["participants"]
            .as_array()
            .map(Vec::len);
        if participants == Some(3) {
            break;
        }
        assert_eq!(participants, Some(2), "{event}");
    }
    let (status, _) = app.remove_participant(&alice, &fresh, &bob).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (kind, _) = next_about(&mut inbox, &fresh).await;
    assert_eq!(kind, "RemovedFromConversation");
}

/// A change made through one node reaches an inbox on another. Redis mode
/// only.
#[tokio::test]
async fn the_inbox_hears_other_nodes() {
    let Some(env) = TestEnv::shared().await else {
        return;
    };
    let (one, two) = (env.spawn().await, env.spawn().await);
    let (alice, bob, probe) = one.pair("Probe").await;
    let mut inbox = subscribe(&two, &bob).await;
    until_ready(&mut inbox, (&one, &alice), &probe).await;
    let fresh = create_conversation(&one, &alice, "Elsewhere", &[&bob]).await;
    assert_eq!(
        next_about(&mut inbox, &fresh).await.0,
        "AddedToConversation"
    );
    one.send_message(&alice, &fresh, "from node one").await;
    let (kind, event) = next_about(&mut inbox, &fresh).await;
    assert_eq!(kind, "ConversationChanged");
    assert_eq!(
        event["conversation"]["lastMessage"]["content"],
        "from node one"
    );
    drop(inbox);
    one.stop().await;
    two.stop().await;
}
