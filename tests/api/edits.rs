//! Editing and deleting messages: who may, the send rules, history in its
//! current state (GraphQL) or without deleted messages (REST, legacy), unread
//! counts, and the stream django-chat reads.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    django_fixture::read_as_django_chat,
    helpers::{TestApp, TestEnv, TestUser, error_code},
    support::id_of,
};

const HISTORY: &str =
    "query($c: ID!) { messages(conversationId: $c) { messages { id content editedAt deleted } } }";
const UNREAD: &str =
    "query($id: ID!) { conversation(id: $id) { unreadCount lastMessage { id content deleted } } }";

async fn history(app: &TestApp, user: &TestUser, c: &str) -> Vec<Value> {
    let body = app
        .graphql(HISTORY, json!({ "c": c }), Some(&user.access))
        .await;
    body["data"]["messages"]["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no history: {body}"))
        .clone()
}

#[tokio::test]
async fn only_the_sender_edits_with_the_send_rules() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100")]).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let eve = app.signup("eve").await;
    let c = create_conversation(&app, &alice, "Edits", &[&bob]).await;
    let m = id_of(&app.send_message(&alice, &c, "helo").await);

    let body = app.edit_message(&alice, &c, &m, "  hello  ").await;
    let edited = &body["data"]["editMessage"];
    assert_eq!(edited["content"], "hello", "{body}");
    assert_eq!(edited["id"], m.as_str(), "an edit keeps the id");
    assert!(edited["editedAt"].is_string());
    assert_eq!(edited["deleted"], false);

    assert_eq!(
        error_code(&app.edit_message(&bob, &c, &m, "mine now").await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.edit_message(&eve, &c, &m, "outsider").await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.edit_message(&alice, &c, &m, "   ").await),
        "INVALID_CONTENT"
    );
    assert_eq!(
        error_code(&app.edit_message(&alice, &c, &m, "a\0b").await),
        "INVALID_CONTENT"
    );
    assert_eq!(
        error_code(&app.edit_message(&alice, &c, &m, &"x".repeat(2001)).await),
        "CONTENT_TOO_LONG"
    );
    assert_eq!(
        error_code(&app.edit_message(&alice, &c, "1-0", "none").await),
        "NOT_FOUND"
    );
    let body = app.edit_message(&alice, &c, "yesterday", "bad id").await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR", "{body}");
    assert!(
        body["errors"][0]["extensions"]["fields"]["messageId"].is_array(),
        "{body}"
    );

    let shown = history(&app, &bob, &c).await;
    assert_eq!(shown[0]["content"], "hello");
    assert_eq!(shown[0]["editedAt"], edited["editedAt"]);

    // Deleted messages cannot be edited.
    assert_eq!(
        app.delete_message(&alice, &c, &m).await["data"]["deleteMessage"]["deleted"],
        true
    );
    let body = app.edit_message(&alice, &c, &m, "back from the dead").await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR", "{body}");
    assert!(
        body["errors"][0]["extensions"]["fields"]["messageId"].is_array(),
        "{body}"
    );
}

#[tokio::test]
async fn edits_share_the_send_rate_limit() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "3")]).await;
    let alice = app.signup("alice").await;
    let c = create_conversation(&app, &alice, "Throttled", &[]).await;
    let m = id_of(&app.send_message(&alice, &c, "one").await);
    app.send_message(&alice, &c, "two").await;
    assert!(app.edit_message(&alice, &c, &m, "one, edited").await["errors"].is_null());
    let body = app.edit_message(&alice, &c, &m, "one, edited again").await;
    assert_eq!(error_code(&body), "THROTTLED", "{body}");
    let (status, _) = app
        .post(
            &format!("/api/v1/conversations/{c}/messages"),
            json!({ "content": "three" }),
            Some(&alice.access),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the edit counted as a send"
    );
}

#[tokio::test]
async fn the_sender_or_an_admin_deletes_nobody_else() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let c = create_conversation(&app, &alice, "Deletes", &[&bob, &carol]).await;
    let bobs = id_of(&app.send_message(&bob, &c, "bob's").await);
    let carols = id_of(&app.send_message(&carol, &c, "carol's").await);
    let alices = id_of(&app.send_message(&alice, &c, "alice's").await);

    // A member may not delete someone else's message.
    assert_eq!(
        error_code(&app.delete_message(&bob, &c, &carols).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.delete_message(&bob, &c, &alices).await),
        "FORBIDDEN"
    );
    // The sender may.
    let body = app.delete_message(&bob, &c, &bobs).await;
    let deleted = &body["data"]["deleteMessage"];
    assert_eq!(
        (
            deleted["id"].as_str(),
            deleted["content"].as_str(),
            &deleted["deleted"]
        ),
        (Some(bobs.as_str()), Some(""), &json!(true)),
        "{body}"
    );
    // The admin may delete anyone's, and deleting twice is no error.
    assert_eq!(
        app.delete_message(&alice, &c, &carols).await["data"]["deleteMessage"]["deleted"],
        true
    );
    assert_eq!(
        app.delete_message(&alice, &c, &carols).await["data"]["deleteMessage"]["deleted"],
        true
    );

    // GraphQL history: every message in its current state, ids kept.
    let shown = history(&app, &carol, &c).await;
    let states: Vec<(String, &str, bool)> = shown
        .iter()
        .map(|m| {
            (
                id_of(m),
                m["content"].as_str().expect("content"),
                m["deleted"] == true,
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (bobs.clone(), "", true),
            (carols.clone(), "", true),
            (alices.clone(), "alice's", false),
        ]
    );
}

#[tokio::test]
async fn rest_edits_deletes_and_history_without_deleted_messages() {
    let app = TestApp::spawn().await;
    let (alice, bob, c) = app.pair("Rest").await;
    let first = id_of(&app.send_message(&alice, &c, "first").await);
    let second = id_of(&app.send_message(&alice, &c, "second").await);
    let path = |m: &str| format!("/api/v1/conversations/{c}/messages/{m}");

    let (status, body) = app
        .request(
            Method::PATCH,
            &path(&first),
            Some(json!({ "content": "first!" })),
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["content"], "first!");
    assert_eq!(body["id"], first.as_str());
    // The django-chat message shape, unchanged.
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "content",
            "conversation_id",
            "id",
            "timestamp",
            "user_email",
            "user_id",
            "user_name",
            "username"
        ]
    );

    let (status, _) = app
        .request(
            Method::PATCH,
            &path(&first),
            Some(json!({ "content": "hijack" })),
            Some(&bob.access),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .request(Method::DELETE, &path(&first), None, Some(&bob.access))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .request(Method::DELETE, &path("1-0"), None, Some(&alice.access))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .request(
            Method::DELETE,
            &path("not-an-id"),
            None,
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .request(Method::DELETE, &path(&second), None, Some(&alice.access))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "success": true })));
    let (status, body) = app
        .request(
            Method::PATCH,
            &path(&second),
            Some(json!({ "content": "again" })),
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message_id"].is_array(), "{body}");

    let (status, page) = app
        .get(
            &format!("/api/v1/conversations/{c}/messages"),
            Some(&bob.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["first!"], "{page}");
    assert_eq!(
        page["next_from"],
        second.as_str(),
        "paging moves past deleted messages"
    );
}

#[tokio::test]
async fn unread_counts_leave_deleted_messages_out_and_edits_change_nothing() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100")]).await;
    let (alice, bob, c) = app.pair("Counts").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(id_of(&app.send_message(&alice, &c, &format!("m{n}")).await));
    }
    let seen = |user: &TestUser| {
        let access = user.access.clone();
        let app = &app;
        let c = c.clone();
        async move {
            app.graphql(UNREAD, json!({ "id": c }), Some(&access)).await["data"]["conversation"]
                .clone()
        }
    };
    assert_eq!(seen(&bob).await["unreadCount"], 4);
    app.edit_message(&alice, &c, &ids[1], "m1, edited").await;
    assert_eq!(
        seen(&bob).await["unreadCount"],
        4,
        "an edit is not a new message"
    );
    app.delete_message(&alice, &c, &ids[2]).await;
    assert_eq!(seen(&bob).await["unreadCount"], 3);
    // A deletion before my marker changes nothing of my count.
    app.mark_read(&bob, &c, &ids[1]).await;
    assert_eq!(seen(&bob).await["unreadCount"], 1, "m3 only: m2 is deleted");
    app.delete_message(&alice, &c, &ids[0]).await;
    assert_eq!(seen(&bob).await["unreadCount"], 1);
    // The latest message, deleted, shows as such.
    app.delete_message(&alice, &c, &ids[3]).await;
    let bobs = seen(&bob).await;
    assert_eq!(bobs["unreadCount"], 0, "{bobs}");
    assert_eq!(bobs["lastMessage"]["deleted"], true);
    assert_eq!(bobs["lastMessage"]["content"], "");
    // Sending after edits and deletes still counts from the right place.
    app.send_message(&alice, &c, "m4").await;
    assert_eq!(seen(&bob).await["unreadCount"], 1);
    let (_, list) = app.get("/api/v1/conversations/", Some(&bob.access)).await;
    assert_eq!(list["results"][0]["unread_count"], 1, "{list}");
}

/// The stream django-chat reads keeps only messages: edits, deletes and
/// read markers live elsewhere. Redis mode only.
#[tokio::test]
async fn django_chat_still_reads_only_messages() {
    let env = TestEnv::new().await;
    let Some((mut redis, prefix)) = env.redis().await else {
        return;
    };
    let app = env.spawn_owned().await;
    let (alice, bob, c) = app.pair("Shared").await;
    let first = id_of(&app.send_message(&alice, &c, "first").await);
    let second = id_of(&app.send_message(&bob, &c, "second").await);
    app.edit_message(&alice, &c, &first, "first, edited").await;
    app.delete_message(&bob, &c, &second).await;
    app.mark_read(&alice, &c, &second).await;
    let third = app.send_message(&alice, &c, "third").await;
    let key = format!("{prefix}stream:conv:{c}");
    assert_eq!(read_as_django_chat(&mut redis, &key).await, 3);
    // History still holds every message, at its id.
    assert!(
        history(&app, &alice, &c)
            .await
            .iter()
            .map(id_of)
            .eq([first, second, id_of(&third)])
    );
}
