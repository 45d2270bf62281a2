//! `EMAIL_VISIBILITY=self`: no surface shows another user's email (the
//! field stays, empty), except to someone who searched that exact address.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestUser},
    legacy_ws,
    support::id_of,
    ws_client::WsClient,
};

async fn private_app() -> TestApp {
    TestApp::spawn_with(&[("EMAIL_VISIBILITY", "self")]).await
}

/// Each participant's email as `viewer` sees it in the conversation, by
/// username, over REST.
async fn rest_emails(app: &TestApp, viewer: &TestUser, id: &str) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/v1/conversations/{id}/"),
            Some(&viewer.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut emails = serde_json::Map::new();
    for p in body["participants"].as_array().expect("participants") {
        let user = &p["user"];
        emails.insert(
            user["username"].as_str().expect("username").to_owned(),
            user["email"].clone(),
        );
    }
    emails.insert("created_by".into(), body["created_by"]["email"].clone());
    Value::Object(emails)
}

#[tokio::test]
async fn with_self_only_one_s_own_email_is_shown_on_every_surface() {
    let app = private_app().await;
    let (alice, bob, id) = app.pair("pair").await;

    // REST conversation detail and list.
    assert_eq!(
        rest_emails(&app, &alice, &id).await,
        json!({ "alice": "alice@example.com", "bob": "", "created_by": "alice@example.com" })
    );
    assert_eq!(
        rest_emails(&app, &bob, &id).await,
        json!({ "alice": "", "bob": "bob@example.com", "created_by": "" })
    );
    let (_, list) = app.get("/api/v1/conversations/", Some(&bob.access)).await;
    assert!(!list.to_string().contains("alice@example.com"), "{list}");

    // Messages: REST history, the send answer, the legacy frame.
    let mut socket = legacy_ws::connect(&app, &id, &bob).await;
    let sent = app.send_message(&alice, &id, "hello").await;
    assert_eq!(sent["user_email"], "", "{sent}");
    let frame = legacy_ws::next_json(&mut socket).await;
    assert_eq!(frame["message"]["user_email"], "", "{frame}");
    assert_eq!(frame["message"]["user_id"], alice.id, "{frame}");
    let (_, history) = app
        .get(
            &format!("/api/v1/conversations/{id}/messages/"),
            Some(&bob.access),
        )
        .await;
    assert!(
        !history.to_string().contains("alice@example.com"),
        "{history}"
    );
    assert!(history.to_string().contains("hello"), "{history}");

    // graphql-ws: a replayed message, then a live one.
    let mut client = WsClient::signed_in(&app, &bob.access).await;
    let added = "subscription($id: ID!, $since: StreamId) { \
                 messageAdded(conversationId: $id, since: $since) { content sender { email } } }";
    client
        .subscribe("1", added, json!({ "id": id, "since": "0-0" }))
        .await;
    let replayed = client.next_message("1").await;
    assert_eq!(replayed["sender"]["email"], "", "{replayed}");
    app.send_message(&alice, &id, "live").await;
    let live = client.next_message("1").await;
    assert_eq!(live["content"], "live", "{live}");
    assert_eq!(live["sender"]["email"], "", "{live}");

    // GraphQL: the conversation, its messages, the last message.
    let query = "query($id: ID!) { conversation(id: $id) { createdBy { email } \
                 participants { user { username email } } lastMessage { sender { email } } } \
                 messages(conversationId: $id) { messages { sender { email } } } }";
    let body = app
        .graphql(query, json!({ "id": id }), Some(&bob.access))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(!body.to_string().contains("alice@example.com"), "{body}");
    let participants = body["data"]["conversation"]["participants"]
        .as_array()
        .expect("participants");
    let mine = participants
        .iter()
        .find(|p| p["user"]["username"] == "bob")
        .expect("bob is listed");
    assert_eq!(mine["user"]["email"], "bob@example.com");

    // People search: a prefix shows no one else's email, even a
    // co-participant's; the exact address does.
    let users = "query($search: String!) { users(search: $search) { username email } }";
    let found = app
        .graphql(users, json!({ "search": "ali" }), Some(&bob.access))
        .await;
    assert_eq!(found["data"]["users"][0]["email"], "", "{found}");
    let found = app
        .graphql(
            users,
            json!({ "search": "alice@example.com" }),
            Some(&bob.access),
        )
        .await;
    assert_eq!(
        found["data"]["users"][0]["email"], "alice@example.com",
        "{found}"
    );
    let (_, found) = app
        .get("/api/v1/users/?search=ali", Some(&bob.access))
        .await;
    assert!(!found.to_string().contains("alice@example.com"), "{found}");
}

#[tokio::test]
async fn by_default_co_participants_see_each_other_s_email() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("pair").await;
    assert_eq!(
        rest_emails(&app, &bob, &id).await,
        json!({ "alice": "alice@example.com", "bob": "bob@example.com", "created_by": "alice@example.com" })
    );
    let sent = app.send_message(&alice, &id, "hello").await;
    assert_eq!(sent["user_email"], "alice@example.com", "{sent}");
}

#[tokio::test]
async fn with_self_conversation_events_show_no_one_else_s_email() {
    let app = private_app().await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let id = create_conversation(&app, &alice, "trio", &[&bob]).await;
    let first = app.send_message(&bob, &id, "hi").await;
    let body = app.mark_read(&alice, &id, &id_of(&first)).await;
    assert!(body["errors"].is_null(), "{body}");

    let events = "subscription($id: ID!, $since: StreamId) { conversationEvents(conversationId: $id, since: $since) { \
                  __typename ... on MessageAdded { message { sender { username email } } } \
                  ... on ReadMarkerMoved { user { username email } } \
                  ... on ParticipantJoined { user { username email } } } }";
    let mut client = WsClient::signed_in(&app, &bob.access).await;
    client
        .subscribe("1", events, json!({ "id": id, "since": "0-0" }))
        .await;
    // Replayed: bob's own message (his email is his to see), alice's marker.
    let added = client.next_log_event("1").await;
    let added = &added["data"]["conversationEvents"]["message"]["sender"];
    assert_eq!(added["username"], "bob", "{added}");
    let marker = client.next_log_event("1").await;
    let marker = &marker["data"]["conversationEvents"];
    assert_eq!(marker["__typename"], "ReadMarkerMoved", "{marker}");
    assert_eq!(marker["user"]["username"], "alice", "{marker}");
    assert_eq!(marker["user"]["email"], "", "{marker}");
    // Live: carol joins.
    let (status, _) = app.add_participant(&alice, &id, &carol).await;
    assert_eq!(status, StatusCode::OK);
    let joined = client.next_log_event("1").await;
    let joined = &joined["data"]["conversationEvents"];
    assert_eq!(joined["__typename"], "ParticipantJoined", "{joined}");
    assert_eq!(joined["user"]["username"], "carol", "{joined}");
    assert_eq!(joined["user"]["email"], "", "{joined}");
}
