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
    let mut subscriber = WsClient::signed_in(&app, &ada.access).await;
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

/// The families of the README's metrics table, with whether each exists in
/// Redis mode only.
fn readme_families() -> Vec<(String, bool)> {
    let readme = include_str!("../../README.md");
    let table = readme
        .split("\n## Metrics")
        .nth(1)
        .and_then(|section| section.split("\n## ").next())
        .expect("the README has a Metrics section");
    table
        .lines()
        .filter_map(|row| {
            let mut cells = row.split('|').map(str::trim).skip(1);
            let name = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let what = cells.nth(2)?;
            Some((name.to_owned(), what.starts_with("Redis mode")))
        })
        .collect()
}

/// A server process of its own (the recorder is per process, and this
/// test's process has recorded plenty already) is scraped before any
/// traffic: every family the README lists is there, at zero.
#[tokio::test]
async fn a_fresh_process_shows_every_family_in_the_readme_at_zero() {
    let env = TestEnv::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let _server = Process(
        std::process::Command::new(env!("CARGO_BIN_EXE_chatstream"))
            .envs(env.vars())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("server process starts"),
    );
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    // Readiness poll: the only loop the house style allows.
    let scrape = loop {
        if let Ok(response) = client.get(&url).send().await {
            break response.text().await.expect("scrape body");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "server did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let families = readme_families();
    assert!(families.len() >= 13, "README table parsed: {families:?}");
    for (name, redis_only) in families {
        if redis_only && !env.uses_redis() {
            continue;
        }
        // The scrape's own connection is the one open HTTP connection.
        let expected = if name == "http_connections" {
            " 1"
        } else {
            " 0"
        };
        let zero = scrape.lines().any(|line| {
            line.strip_prefix(name.as_str()).is_some_and(|rest| {
                (rest.starts_with('{') || rest.starts_with(' ') || rest.starts_with("_count"))
                    && line.ends_with(expected)
            })
        });
        assert!(zero, "{name} at zero in the first scrape:\n{scrape}");
    }
}

/// A child process, killed however the test ends.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
