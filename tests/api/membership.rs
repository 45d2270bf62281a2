//! Leaving and removing participants: the rules, and live connections
//! ending at once (on every node in Redis mode).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser, error_code},
    legacy_ws,
    ws_client::WsClient,
};

const LEAVE: &str = "mutation($id: ID!) { leaveConversation(conversationId: $id) }";
const REMOVE: &str =
    "mutation($id: ID!, $user: ID!) { removeParticipant(conversationId: $id, userId: $user) }";

async fn roles(app: &TestApp, viewer: &TestUser, conversation: &str) -> Vec<(i64, String)> {
    let (status, body) = app
        .get(
            &format!("/api/v1/conversations/{conversation}/"),
            Some(&viewer.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["user"]["id"].as_i64().expect("id"),
                p["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn removed_and_departed_members_lose_access_and_the_last_admin_is_replaced() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let dave = app.signup("dave").await;
    let conversation = create_conversation(&app, &alice, "Team", &[&bob, &carol]).await;

    // Only admins remove.
    let body = app
        .graphql(
            REMOVE,
            json!({ "id": conversation, "user": carol.id.to_string() }),
            Some(&bob.access),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (status, _) = app.remove_participant(&bob, &conversation, &carol).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/remove_participant"),
            json!({}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["user_id"].is_array(), "{body}");
    let (status, _) = app.remove_participant(&alice, &conversation, &dave).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a participant");

    let (status, body) = app.remove_participant(&alice, &conversation, &carol).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "success": true }));
    // Carol can no longer see, read or send.
    let (status, _) = app
        .get(
            &format!("/api/v1/conversations/{conversation}/"),
            Some(&carol.access),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get(
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&carol.access),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({ "content": "still here?" }),
            Some(&carol.access),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/conversations/", Some(&carol.access)).await;
    assert_eq!(list["count"], 0);

    // The last admin leaves: the longest-standing member takes over.
    let body = app
        .graphql(LEAVE, json!({ "id": conversation }), Some(&alice.access))
        .await;
    assert_eq!(body["data"]["leaveConversation"], true, "{body}");
    assert_eq!(
        roles(&app, &bob, &conversation).await,
        [(bob.id, "admin".to_owned())]
    );
    let body = app
        .graphql(LEAVE, json!({ "id": conversation }), Some(&alice.access))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/leave"),
            json!({}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Added back, Alice is a member again, with a fresh read marker.
    let (status, _) = app.add_participant(&bob, &conversation, &alice).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/leave/"),
            json!({}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The subscription's next frame is a `FORBIDDEN` error, then it completes.
async fn expect_forbidden(client: &mut WsClient, id: &str, since: Instant) {
    let frame = client.json().await;
    let elapsed = since.elapsed();
    let errors = match frame["type"].as_str() {
        Some("next") => frame["payload"]["errors"].clone(),
        Some("error") => frame["payload"].clone(),
        _ => panic!("expected an error for {id}: {frame}"),
    };
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{frame}");
    assert!(elapsed < Duration::from_secs(1), "ended after {elapsed:?}");
}

#[tokio::test]
async fn removal_ends_live_subscriptions_and_legacy_sockets() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let carol = app.signup("carol").await;
    let conversation = create_conversation(&app, &alice, "Live", &[&carol]).await;

    let mut client = WsClient::watching(&app, &carol.access, "m", &conversation, None).await;
    let mut legacy = legacy_ws::connect(&app, &conversation, &carol).await;
    // Both are live: each receives a message.
    app.send_message(&alice, &conversation, "are you there?")
        .await;
    assert_eq!(client.next_message("m").await["content"], "are you there?");
    assert_eq!(
        legacy_ws::next_json(&mut legacy).await["message"]["content"],
        "are you there?"
    );

    let removed_at = Instant::now();
    let (status, _) = app.remove_participant(&alice, &conversation, &carol).await;
    assert_eq!(status, StatusCode::OK);
    expect_forbidden(&mut client, "m", removed_at).await;
    assert_eq!(legacy_ws::close_code(&mut legacy).await, 4003);
    assert!(removed_at.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn leaving_on_one_node_ends_subscriptions_on_another() {
    let Some(env) = TestEnv::shared().await else {
        return;
    };
    let (one, two) = (env.spawn().await, env.spawn().await);
    let alice = one.signup("alice").await;
    let carol = one.signup("carol").await;
    let conversation = create_conversation(&one, &alice, "Nodes", &[&carol]).await;
    let mut client = WsClient::watching(&two, &carol.access, "m", &conversation, None).await;
    one.send_message(&alice, &conversation, "hello from node one")
        .await;
    assert_eq!(
        client.next_message("m").await["content"],
        "hello from node one"
    );

    let removed_at = Instant::now();
    let (status, _) = one.remove_participant(&alice, &conversation, &carol).await;
    assert_eq!(status, StatusCode::OK);
    expect_forbidden(&mut client, "m", removed_at).await;
    drop(client);
    one.stop().await;
    two.stop().await;
}
