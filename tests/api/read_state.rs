//! Read markers, unread counts, the latest message and the order of the
//! conversation list, over GraphQL and REST.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    django_fixture::{read_as_django_chat, xadd_as_django_chat},
    helpers::{TestApp, TestEnv, TestUser, error_code},
};

const ONE: &str = "query($id: ID!) { conversation(id: $id) { unreadCount lastReadId lastMessage { id content sender { id } } } }";
const LIST: &str = "query($limit: Int, $offset: Int) { conversations(limit: $limit, offset: $offset) { count results { id unreadCount lastMessage { content } } } }";

async fn seen_by(app: &TestApp, user: &TestUser, conversation: &str) -> Value {
    let body = app
        .graphql(ONE, json!({ "id": conversation }), Some(&user.access))
        .await;
    body["data"]["conversation"].clone()
}

#[tokio::test]
async fn unread_counts_follow_sends_by_others_by_me_and_mark_read() {
    let app = TestApp::unthrottled().await;
    let (alice, bob, conversation) = app.pair("Reads").await;

    let empty = seen_by(&app, &bob, &conversation).await;
    assert_eq!(empty["unreadCount"], 0);
    assert!(empty["lastMessage"].is_null() && empty["lastReadId"].is_null());

    let mut ids = Vec::new();
    for n in 0..3 {
        let sent = app
            .send_message(&alice, &conversation, &format!("m{n}"))
            .await;
        ids.push(sent["id"].as_str().expect("id").to_owned());
    }
    let bobs = seen_by(&app, &bob, &conversation).await;
    assert_eq!(bobs["unreadCount"], 3);
    assert!(bobs["lastReadId"].is_null());
    assert_eq!(bobs["lastMessage"]["id"], ids[2].as_str());
    assert_eq!(bobs["lastMessage"]["content"], "m2");
    // Sending marks read for the sender.
    let alices = seen_by(&app, &alice, &conversation).await;
    assert_eq!(alices["unreadCount"], 0);
    assert_eq!(alices["lastReadId"], ids[2].as_str());

    let body = app.mark_read(&bob, &conversation, &ids[1]).await;
    assert_eq!(body["data"]["markRead"]["unreadCount"], 1, "{body}");
    assert_eq!(body["data"]["markRead"]["lastReadId"], ids[1].as_str());
    // Backwards is a no-op.
    let body = app.mark_read(&bob, &conversation, &ids[0]).await;
    assert_eq!(body["data"]["markRead"]["unreadCount"], 1, "{body}");
    assert_eq!(body["data"]["markRead"]["lastReadId"], ids[1].as_str());
    // Beyond the latest message: read up to it, not the messages to come.
    let body = app.mark_read(&bob, &conversation, "99999999999999-0").await;
    assert_eq!(body["data"]["markRead"]["unreadCount"], 0, "{body}");
    assert_eq!(body["data"]["markRead"]["lastReadId"], ids[2].as_str());
    app.send_message(&alice, &conversation, "m3").await;
    assert_eq!(seen_by(&app, &bob, &conversation).await["unreadCount"], 1);

    // My own message reads everything before it, and is not unread to me.
    let mine = app.send_message(&bob, &conversation, "reply").await;
    let bobs = seen_by(&app, &bob, &conversation).await;
    assert_eq!(bobs["unreadCount"], 0);
    assert_eq!(bobs["lastReadId"], mine["id"]);
    assert_eq!(seen_by(&app, &alice, &conversation).await["unreadCount"], 1);
}

#[tokio::test]
async fn mark_read_refuses_bad_ids_and_outsiders() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let eve = app.signup("eve").await;
    let conversation = create_conversation(&app, &alice, "Private", &[]).await;
    let body = app.mark_read(&alice, &conversation, "yesterday").await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR", "{body}");
    assert!(body["errors"][0]["extensions"]["fields"]["upTo"].is_array());
    let body = app.mark_read(&eve, &conversation, "1-0").await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let path = format!("/api/v1/conversations/{conversation}/read");
    let (status, body) = app
        .post(&path, json!({ "up_to": "nope" }), Some(&alice.access))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["up_to"].is_array(), "{body}");
    let (status, _) = app
        .post(&path, json!({ "up_to": "1-0" }), Some(&eve.access))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&path, json!({ "up_to": "1-0" }), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rest_conversations_carry_read_state_and_read_moves_it() {
    let app = TestApp::spawn().await;
    let (alice, bob, conversation) = app.pair("Rest").await;
    let first = app.send_message(&alice, &conversation, "one").await;
    app.send_message(&alice, &conversation, "two").await;

    let (status, list) = app.get("/api/v1/conversations/", Some(&bob.access)).await;
    assert_eq!(status, StatusCode::OK);
    let item = &list["results"][0];
    assert_eq!(item["unread_count"], 2, "{item}");
    assert!(item["last_read_id"].is_null());
    assert_eq!(item["last_message"]["content"], "two");
    assert_eq!(item["last_message"]["user_id"], alice.id);

    let (status, body) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/read/"),
            json!({ "up_to": first["id"] }),
            Some(&bob.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "last_read_id": first["id"], "unread_count": 1 })
    );
    let (_, detail) = app
        .get(
            &format!("/api/v1/conversations/{conversation}/"),
            Some(&bob.access),
        )
        .await;
    assert_eq!(detail["unread_count"], 1);
    assert_eq!(detail["last_read_id"], first["id"]);
}

#[tokio::test]
async fn newcomers_start_with_nothing_unread() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let carol = app.signup("carol").await;
    let conversation = create_conversation(&app, &alice, "Old news", &[]).await;
    app.send_message(&alice, &conversation, "before carol")
        .await;
    let (status, body) = app.add_participant(&alice, &conversation, &carol).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let carols = seen_by(&app, &carol, &conversation).await;
    assert_eq!(carols["unreadCount"], 0);
    assert!(carols["lastReadId"].is_null());
    assert_eq!(carols["lastMessage"]["content"], "before carol");
    app.send_message(&alice, &conversation, "after carol").await;
    assert_eq!(seen_by(&app, &carol, &conversation).await["unreadCount"], 1);
}

#[tokio::test]
async fn the_list_is_ordered_by_latest_activity() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice").await;
    let quiet = create_conversation(&app, &alice, "Quiet", &[]).await;
    let busy = create_conversation(&app, &alice, "Busy", &[]).await;
    let newest = create_conversation(&app, &alice, "Newest", &[]).await;
    let order = |body: &Value| -> Vec<String> {
        body["data"]["conversations"]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let list = app.graphql(LIST, json!({}), Some(&alice.access)).await;
    assert_eq!(order(&list), [newest.clone(), busy.clone(), quiet.clone()]);

    app.send_message(&alice, &quiet, "wake up").await;
    app.send_message(&alice, &busy, "latest").await;
    let list = app.graphql(LIST, json!({}), Some(&alice.access)).await;
    assert_eq!(order(&list), [busy.clone(), quiet.clone(), newest.clone()]);
    assert_eq!(list["data"]["conversations"]["count"], 3);
    assert_eq!(
        list["data"]["conversations"]["results"][0]["lastMessage"]["content"],
        "latest"
    );
    let page = app
        .graphql(
            LIST,
            json!({ "limit": 1, "offset": 1 }),
            Some(&alice.access),
        )
        .await;
    assert_eq!(order(&page), std::slice::from_ref(&quiet));
    let (_, rest) = app
        .get("/api/v1/conversations/?limit=2", Some(&alice.access))
        .await;
    let rest_order: Vec<&str> = rest["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(rest_order, [busy.as_str(), quiet.as_str()]);
}

/// Messages django-chat wrote into the stream (no ordinal of ours) count,
/// and a marker placed on one is exact; the stream holds only entries
/// django-chat can read as messages. Redis mode only.
#[tokio::test]
async fn entries_written_by_django_chat_count_exactly() {
    let env = TestEnv::new().await;
    let Some((mut redis, prefix)) = env.redis().await else {
        return;
    };
    let app = env.spawn_owned().await;
    let (alice, bob, conversation) = app.pair("Mixed").await;
    app.send_message(&alice, &conversation, "ours").await;
    let key = format!("{prefix}stream:conv:{conversation}");
    let ids = xadd_as_django_chat(&mut redis, &key, &alice, 2000).await;
    app.send_message(&alice, &conversation, "ours again").await;
    assert_eq!(
        seen_by(&app, &bob, &conversation).await["unreadCount"],
        2002
    );

    let body = app.mark_read(&bob, &conversation, &ids[999]).await;
    assert_eq!(body["data"]["markRead"]["unreadCount"], 1001, "{body}");
    assert_eq!(body["data"]["markRead"]["lastReadId"], ids[999].as_str());

    // Read as django-chat does: every entry is a message.
    assert_eq!(read_as_django_chat(&mut redis, &key).await, 2002);
}
