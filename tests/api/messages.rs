//! Messages over REST and GraphQL: send, history paging by stream id,
//! content rules, authorization and rate limiting.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, error_code},
    support::{id_of, ids_of, parse_id},
};

const SEND: &str = r#"mutation($id: ID!, $content: String!) {
  sendMessage(conversationId: $id, content: $content) {
    id conversationId content createdAt sender { id username email fullName }
  }
}"#;
const HISTORY: &str = r#"query($id: ID!, $from: StreamId, $before: StreamId, $limit: Int) {
  messages(conversationId: $id, from: $from, before: $before, limit: $limit) {
    messages { id content sender { id } } nextFrom hasMore
  }
}"#;

#[tokio::test]
async fn rest_send_then_graphql_read_and_the_reverse() {
    let app = TestApp::spawn().await;
    let (alice, bob, id) = app.pair("pair").await;

    let sent = app.send_message(&alice, &id, "  hello over REST  ").await;
    assert_eq!(sent["content"], "hello over REST");
    assert_eq!(sent["conversation_id"], id.as_str());
    assert_eq!(sent["user_id"], alice.id);
    assert_eq!(sent["username"], "alice");
    assert_eq!(sent["user_email"], "alice@example.com");
    assert_eq!(sent["user_name"], "alice Tester");
    assert!(sent["timestamp"].is_string() && sent["id"].is_string());

    let body = app
        .graphql(
            SEND,
            json!({ "id": id, "content": "hello over GraphQL" }),
            Some(&bob.access),
        )
        .await;
    let gql = &body["data"]["sendMessage"];
    assert_eq!(gql["sender"]["username"], "bob", "{body}");
    assert_eq!(gql["sender"]["fullName"], "bob Tester");

    let body = app
        .graphql(HISTORY, json!({ "id": id }), Some(&bob.access))
        .await;
    let page = &body["data"]["messages"];
    assert_eq!(
        ids_of(&page["messages"]),
        vec![
            sent["id"].as_str().expect("id").to_owned(),
            gql["id"].as_str().expect("id").to_owned()
        ]
    );
    assert_eq!(page["messages"][0]["content"], "hello over REST");
    assert_eq!(page["nextFrom"], gql["id"]);
    assert_eq!(page["hasMore"], false);

    let (status, body) = app
        .get(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&alice.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["conversation_id"], id.as_str());
    assert_eq!(body["messages"][1]["content"], "hello over GraphQL");
    assert_eq!(body["messages"][1]["user_id"], bob.id);
    assert_eq!(body["next_from"], gql["id"]);
}

#[tokio::test]
async fn paging_120_messages_forward_and_backward_has_no_gap_or_duplicate() {
    let app = TestApp::unthrottled().await;
    let user = app.signup("pager").await;
    let id = create_conversation(&app, &user, "long", &[]).await;
    let mut sent = Vec::new();
    for i in 0..120 {
        sent.push(app.send_message_id(&user, &id, &format!("m{i}")).await);
    }
    let ordered: Vec<(u64, u64)> = sent.iter().map(|s| parse_id(s)).collect();
    assert!(
        ordered.windows(2).all(|w| w[0] < w[1]),
        "ids strictly increase"
    );

    // Forward with `from`, 25 at a time, over REST.
    let mut forward = Vec::new();
    let mut cursor = String::from("0-0");
    loop {
        let (status, body) = app
            .get(
                &format!("/api/v1/conversations/{id}/messages?from={cursor}&limit=25"),
                Some(&user.access),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let page = ids_of(&body["messages"]);
        if page.is_empty() {
            assert!(body["next_from"].is_null());
            break;
        }
        cursor = body["next_from"].as_str().expect("next_from").to_owned();
        forward.extend(page);
    }
    assert_eq!(forward, sent);

    // Backward with `before`, 30 at a time, over GraphQL.
    let mut backward: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let body = app
            .graphql(
                HISTORY,
                json!({ "id": id, "before": before, "limit": 30 }),
                Some(&user.access),
            )
            .await;
        let page = &body["data"]["messages"];
        let chunk = ids_of(&page["messages"]);
        assert!(!chunk.is_empty(), "{body}");
        before = Some(chunk[0].clone());
        let more = page["hasMore"].as_bool().expect("hasMore");
        backward.splice(0..0, chunk);
        if !more {
            break;
        }
    }
    assert_eq!(backward, sent);
    let unique: HashSet<&String> = backward.iter().collect();
    assert_eq!(unique.len(), 120);

    // The latest page is the newest `limit`, oldest first.
    let body = app
        .graphql(
            HISTORY,
            json!({ "id": id, "limit": 10 }),
            Some(&user.access),
        )
        .await;
    assert_eq!(
        ids_of(&body["data"]["messages"]["messages"]),
        sent[110..].to_vec()
    );
    assert_eq!(body["data"]["messages"]["hasMore"], true);
}

#[tokio::test]
async fn concurrent_senders_get_distinct_increasing_ids() {
    let app = TestApp::unthrottled().await;
    let owner = app.signup("conc").await;
    let id = create_conversation(&app, &owner, "busy", &[]).await;
    let sent = app
        .send_concurrently(&owner, &id, 1000, 20, |n| format!("message {n}"))
        .await;
    let mut all = Vec::new();
    for got in sent {
        let got: Vec<(u64, u64)> = got.iter().map(|m| parse_id(&id_of(m))).collect();
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "each sender sees increasing ids"
        );
        all.extend(got);
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), 1000);

    let mut history = Vec::new();
    let mut cursor = "0-0".to_owned();
    loop {
        let (_, body) = app
            .get(
                &format!("/api/v1/conversations/{id}/messages?from={cursor}&limit=100"),
                Some(&owner.access),
            )
            .await;
        let page = ids_of(&body["messages"]);
        if page.is_empty() {
            break;
        }
        cursor = page.last().expect("last").clone();
        history.extend(page.iter().map(|s| parse_id(s)));
    }
    assert_eq!(history.len(), 1000);
    assert!(history.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn content_rules_and_codes() {
    let app = TestApp::spawn().await;
    let user = app.signup("rules").await;
    let id = create_conversation(&app, &user, "rules", &[]).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, body) = app
        .post(&path, json!({ "content": " \n " }), Some(&user.access))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "INVALID_CONTENT");
    let (status, body) = app
        .post(
            &path,
            json!({ "content": "é".repeat(2001) }),
            Some(&user.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "CONTENT_TOO_LONG");
    let (status, _) = app
        .post(
            &path,
            json!({ "content": "é".repeat(2000) }),
            Some(&user.access),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "2000 characters are fine even at 4000 bytes"
    );
    let (status, _) = app
        .post(&path, json!({ "content": 42 }), Some(&user.access))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let body = app
        .graphql(SEND, json!({ "id": id, "content": "" }), Some(&user.access))
        .await;
    assert_eq!(error_code(&body), "INVALID_CONTENT");
    let body = app
        .graphql(
            SEND,
            json!({ "id": id, "content": "x".repeat(2001) }),
            Some(&user.access),
        )
        .await;
    assert_eq!(error_code(&body), "CONTENT_TOO_LONG");
}

#[tokio::test]
async fn history_parameters_are_validated() {
    let app = TestApp::spawn().await;
    let user = app.signup("params").await;
    let id = create_conversation(&app, &user, "params", &[]).await;
    app.send_message(&user, &id, "one").await;
    for bad in ["nope", "1-2-3", "-1", "1-x"] {
        let (status, body) = app
            .get(
                &format!("/api/v1/conversations/{id}/messages?from={bad}"),
                Some(&user.access),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["from"].is_array());
        let body = app
            .graphql(
                HISTORY,
                json!({ "id": id, "before": bad }),
                Some(&user.access),
            )
            .await;
        assert_eq!(error_code(&body), "VALIDATION_ERROR", "{bad}");
        assert!(body["errors"][0]["extensions"]["fields"]["before"].is_array());
    }
    for limit in [0, 101, -5] {
        let body = app
            .graphql(
                HISTORY,
                json!({ "id": id, "limit": limit }),
                Some(&user.access),
            )
            .await;
        assert_eq!(error_code(&body), "VALIDATION_ERROR", "limit {limit}");
    }
    let (status, body) = app
        .get(
            &format!("/api/v1/conversations/{id}/messages?limit=5000"),
            Some(&user.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "REST clamps the limit");
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn only_participants_read_and_send() {
    let app = TestApp::spawn().await;
    let owner = app.signup("own").await;
    let outsider = app.signup("outsider").await;
    let id = create_conversation(&app, &owner, "private", &[]).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, _) = app.get(&path, Some(&outsider.access)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&path, json!({ "content": "hi" }), Some(&outsider.access))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let absent = format!("/api/v1/conversations/{}/messages", uuid::Uuid::new_v4());
    let (status, _) = app.get(&absent, Some(&outsider.access)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "absent looks like not-yours");
    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let body = app
        .graphql(
            SEND,
            json!({ "id": id, "content": "hi" }),
            Some(&outsider.access),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .graphql(HISTORY, json!({ "id": id }), Some(&outsider.access))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .graphql(SEND, json!({ "id": id, "content": "hi" }), None)
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

    let (_, body) = app.get(&path, Some(&owner.access)).await;
    assert_eq!(
        body["messages"].as_array().map(Vec::len),
        Some(0),
        "nothing was stored"
    );
}

#[tokio::test]
async fn rate_limit_applies_to_every_surface_and_throttled_sends_are_not_stored() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_MESSAGES", "3"),
        ("RATE_LIMIT_WINDOW_SECS", "60"),
    ])
    .await;
    let user = app.signup("speedy").await;
    let id = create_conversation(&app, &user, "fast", &[]).await;
    let other = create_conversation(&app, &user, "elsewhere", &[]).await;
    app.send_message(&user, &id, "1").await;
    app.send_message(&user, &id, "2").await;
    let body = app
        .graphql(
            SEND,
            json!({ "id": id, "content": "3" }),
            Some(&user.access),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let response = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
        .bearer_auth(&user.access)
        .json(&json!({ "content": "4" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");

    let body = app
        .graphql(
            SEND,
            json!({ "id": id, "content": "5" }),
            Some(&user.access),
        )
        .await;
    assert_eq!(error_code(&body), "THROTTLED");
    assert!(
        body["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .is_some_and(|s| s >= 1)
    );

    // Per conversation: another conversation has its own budget.
    app.send_message(&user, &other, "elsewhere").await;

    let (_, body) = app
        .get(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&user.access),
        )
        .await;
    let contents: Vec<&str> = body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["1", "2", "3"]);
}
