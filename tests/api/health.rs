//! Operations endpoints and GraphiQL.

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestEnv};

#[tokio::test]
async fn healthz_reports_each_backend_and_livez_answers() {
    let env = TestEnv::new().await;
    let app = env.spawn().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "healthy");
    let database = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["checks"][database], true, "{body}");
    let (status, _) = app.get("/livez", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn graphiql_page_is_served_with_the_subscription_endpoint() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("graphiql"), "GraphiQL page");
    assert!(
        html.contains("/graphql/ws"),
        "subscription endpoint configured"
    );
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/livez"))
        .send()
        .await
        .expect("sent");
    assert!(response.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn graceful_stop_finishes() {
    let app = TestApp::spawn().await;
    let (status, _) = app.get("/livez", None).await;
    assert_eq!(status, StatusCode::OK);
    let address = app.url("/livez");
    app.stop().await;
    assert!(reqwest::get(address).await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let mut env = TestEnv::new().await;
    env.set(
        "ALLOWED_ORIGINS",
        "https://chat.example.com, https://admin.example.com/",
    );
    let app = env.spawn().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("https://admin.example.com").await.expect("sent");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"https://admin.example.com"[..])
    );
    let refused = preflight("https://evil.example.net").await.expect("sent");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn three_nodes_started_at_once_on_a_new_database_all_come_up() {
    let env = TestEnv::new().await;
    let (a, b, c) = tokio::join!(env.spawn(), env.spawn(), env.spawn());
    for node in [&a, &b, &c] {
        let (status, body) = node.get("/healthz", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
