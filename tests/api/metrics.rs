//! `GET /metrics`: real traffic shows up in the Prometheus text format, and
//! `METRICS_TOKEN` guards the endpoint. Metrics are per process and tests run
//! in parallel, so assertions are on increases and lower bounds only.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv},
    legacy_ws,
    ws_client::WsClient,
};

const MESSAGES_ROUTE: &str = "/api/v1/conversations/{id}/messages";

/// The scrape, with an optional bearer token.
async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("scrape sent");
    let status = response.status();
    (status, response.text().await.expect("scrape body"))
}

/// The sum of the samples named `name` that carry every label in `labels`;
/// `None` when no such series exists.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut total = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // Another metric sharing the prefix (`_bucket`, `_sum`…) is skipped.
        let (series_labels, value) = if let Some(rest) = rest.strip_prefix('{') {
            match rest.split_once("} ") {
                Some(split) => split,
                None => continue,
            }
        } else if let Some(value) = rest.strip_prefix(' ') {
            ("", value)
        } else {
            continue;
        };
        let series_labels = format!(",{series_labels}");
        if labels
            .iter()
            .all(|(k, v)| series_labels.contains(&format!(",{k}=\"{v}\"")))
        {
            let value: f64 = value.trim().parse().expect("a numeric sample");
            *total.get_or_insert(0.0) += value;
        }
    }
    total
}

#[tokio::test]
async fn metrics_count_real_traffic_by_route() {
    let app = TestApp::spawn().await;
    let (status, before) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::OK, "open without METRICS_TOKEN");
    let sent_before = sample(&before, "messages_sent_total", &[]).unwrap_or(0.0);
    let delivered_before = sample(&before, "live_deliveries_total", &[]).unwrap_or(0.0);

    let ada = app.signup("metrics_ada").await;
    let conversation = create_conversation(&app, &ada, "Metrics", &[]).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({ "content": "counted" }),
            Some(&ada.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let me = app
        .graphql(
            "query MetricsMe { me { id } }",
            json!({}),
            Some(&ada.access),
        )
        .await;
    assert!(me["errors"].is_null(), "{me}");
    // Both kept open until the scrape: the gauge counts sockets while they live.
    let _legacy = legacy_ws::connect(&app, &conversation, &ada).await;
    let mut subscriber = WsClient::modern(&app).await;
    subscriber.init(&ada.access).await;
    // Replayed from the start of the log, so it arrives whatever the timing.
    subscriber
        .message_added("m", &conversation, Some("0-0"))
        .await;
    assert_eq!(subscriber.next_message("m").await["content"], "counted");

    let (status, text) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::OK);
    let post_messages = [
        ("method", "POST"),
        ("route", MESSAGES_ROUTE),
        ("status", "201"),
    ];
    assert!(
        sample(&text, "http_requests_total", &post_messages).is_some_and(|n| n >= 1.0),
        "requests counted by matched route:\n{text}"
    );
    assert!(
        !text.contains(&format!("/api/v1/conversations/{conversation}")),
        "raw paths never become labels"
    );
    let latency = [
        ("method", "POST"),
        ("route", MESSAGES_ROUTE),
        ("le", "+Inf"),
    ];
    assert!(
        sample(&text, "http_request_duration_seconds_bucket", &latency).is_some_and(|n| n >= 1.0),
        "latency histogram by route:\n{text}"
    );
    let sent_after = sample(&text, "messages_sent_total", &[]).unwrap_or(0.0);
    assert!(
        sent_after >= sent_before + 1.0,
        "messages_sent_total went from {sent_before} to {sent_after}"
    );
    let graphql_ok = [
        ("operation", "MetricsMe"),
        ("type", "query"),
        ("outcome", "ok"),
    ];
    assert!(
        sample(&text, "graphql_operations_total", &graphql_ok).is_some_and(|n| n >= 1.0),
        "graphql operation counted:\n{text}"
    );
    let subscription_ok = [("type", "subscription"), ("outcome", "ok")];
    assert!(
        sample(&text, "graphql_operations_total", &subscription_ok).is_some_and(|n| n >= 1.0),
        "a subscription counts at its first event:\n{text}"
    );
    for protocol in ["legacy", "graphql-transport-ws"] {
        assert!(
            sample(&text, "websocket_connections", &[("protocol", protocol)])
                .is_some_and(|n| n >= 1.0),
            "the open {protocol} socket is counted:\n{text}"
        );
    }
    let delivered_after = sample(&text, "live_deliveries_total", &[]).unwrap_or(0.0);
    assert!(
        delivered_after >= delivered_before + 1.0,
        "live_deliveries_total went from {delivered_before} to {delivered_after}"
    );
    assert!(
        sample(&text, "live_catch_ups_total", &[("reason", "since")]).is_some_and(|n| n >= 1.0),
        "the replay from since is a catch-up:\n{text}"
    );
    assert!(
        text.contains("# TYPE http_request_duration_seconds histogram"),
        "latencies are a real histogram, not a summary"
    );
}

#[tokio::test]
async fn metrics_token_is_required_when_configured() {
    let mut env = TestEnv::new().await;
    env.set("METRICS_TOKEN", "scrape-me-please");
    let app = env.spawn_owned().await;
    let (status, _) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let (status, _) = scrape(&app, Some("scrape-me-pleasE")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "wrong token");
    let (status, text) = scrape(&app, Some("scrape-me-please")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("# TYPE "), "Prometheus text format:\n{text}");
}
