//! A backing service that fails: clear errors, nothing reported as sent that
//! was not stored, health says so, and recovery when it returns.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    conversations::create_conversation, helpers::error_code, support::behind_a_redis_proxy,
};

#[tokio::test]
async fn redis_outage_is_a_storage_error_and_unhealthy() {
    let Some((proxy, app)) = behind_a_redis_proxy().await else {
        return;
    };
    let user = app.signup("outage").await;
    let id = create_conversation(&app, &user, "fragile", &[]).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, _) = app
        .post(&path, json!({ "content": "before" }), Some(&user.access))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    proxy.cut();
    let (status, body) = app
        .post(&path, json!({ "content": "during" }), Some(&user.access))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "STORAGE_ERROR");
    assert!(
        !body.to_string().to_lowercase().contains("redis"),
        "no internal detail: {body}"
    );
    let body = app
        .graphql(
            "mutation($id: ID!) { sendMessage(conversationId: $id, content: \"during\") { id } }",
            json!({ "id": id }),
            Some(&user.access),
        )
        .await;
    assert_eq!(error_code(&body), "STORAGE_ERROR");
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["checks"]["redis"], false, "{body}");
    assert_eq!(body["status"], "unhealthy");

    proxy.restore().await;
    // The connection manager reconnects on its own; wait for health to say so.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (status, _) = app.get("/healthz", None).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Redis never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, _) = app
        .post(&path, json!({ "content": "after" }), Some(&user.access))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = app.get(&path, Some(&user.access)).await;
    let contents: Vec<&str> = body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(
        contents,
        ["before", "after"],
        "nothing claimed that was not stored"
    );
}
