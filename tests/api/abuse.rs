//! Hostile input gets a clean 4xx with the documented shape on both
//! backends: never a 503, a storage error or a panic.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{PASSWORD, TEST_JWT_SECRET, TestApp, TestEnv, error_code},
    ws_client::{Connect, WAIT, WsClient},
};

const NUL: &str = "\u{0}";

/// A signup body with one field replaced.
fn signup_with(field: &str, value: &str) -> Value {
    let mut body = json!({
        "email": "nul@example.com",
        "username": "nul",
        "first_name": "Nul",
        "last_name": "Tester",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    });
    body[field] = json!(value);
    body
}

#[tokio::test]
async fn control_characters_in_names_and_emails_are_field_errors() {
    let app = TestApp::spawn().await;
    for (field, value) in [
        ("email", format!("nul{NUL}@example.com")),
        ("username", format!("nul{NUL}")),
        ("first_name", format!("Nul{NUL}")),
        ("last_name", "Tab\tTester".to_owned()),
    ] {
        let (status, body) = app
            .post("/api/v1/auth/signup", signup_with(field, &value), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert!(body[field].is_array(), "{field}: {body}");
    }

    let (status, body) = app.login(&format!("ada{NUL}@example.com"), PASSWORD).await;
    // No account has such an email: the login fails like any other.
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let owner = app.signup("owner").await;
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": format!("a{NUL}b") }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["name"].is_array(), "{body}");

    let id = create_conversation(&app, &owner, "clean", &[]).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/conversations/{id}/add_participant"),
            json!({ "email": format!("x{NUL}@example.com") }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .get(
            &format!("/api/v1/users/?search=a{NUL}"),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"], json!([]), "{body}");

    let answer = app
        .graphql(
            "mutation($input: SignupInput!) { signup(input: $input) { user { id } } }",
            json!({ "input": {
                "email": "g@example.com", "username": "g", "firstName": format!("G{NUL}"),
                "lastName": "T", "password": PASSWORD, "passwordConfirm": PASSWORD,
            } }),
            None,
        )
        .await;
    assert_eq!(error_code(&answer), "VALIDATION_ERROR", "{answer}");
}

#[tokio::test]
async fn a_nul_in_a_message_is_invalid_content_and_other_controls_are_kept() {
    let app = TestApp::spawn().await;
    let owner = app.signup("writer").await;
    let id = create_conversation(&app, &owner, "controls", &[]).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let (status, body) = app
        .post(
            &path,
            json!({ "content": format!("a{NUL}b") }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "INVALID_CONTENT", "{body}");

    let answer = app
        .graphql(
            "mutation($id: ID!, $c: String!) { sendMessage(conversationId: $id, content: $c) { id } }",
            json!({ "id": id, "c": format!("a{NUL}b") }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(error_code(&answer), "INVALID_CONTENT", "{answer}");

    let (status, body) = app
        .post(
            &path,
            json!({ "content": "line one\nline\ttwo" }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["content"], "line one\nline\ttwo");
}

#[tokio::test]
async fn history_and_since_at_the_ends_of_the_id_space_are_empty_not_errors() {
    let app = TestApp::spawn().await;
    let owner = app.signup("edges").await;
    let id = create_conversation(&app, &owner, "edges", &[]).await;
    app.send_message(&owner, &id, "only").await;
    let history = |query: String| {
        let path = format!("/api/v1/conversations/{id}/messages?{query}");
        let app = &app;
        let token = owner.access.clone();
        async move { app.get(&path, Some(&token)).await }
    };
    // Ids have at most 19 digits a part: beyond, a field error.
    let beyond = format!("{}-{}", u64::MAX, u64::MAX);
    let (status, body) = history(format!("from={beyond}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["from"].is_array(), "{body}");

    let largest = "9999999999999999999-9999999999999999999".to_owned();
    for query in [format!("from={largest}"), "before=0-0".to_owned()] {
        let (status, body) = history(query.clone()).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["messages"], json!([]), "{query}: {body}");
    }

    // A subscription from the largest id is accepted and waits: the next
    // frame is the server's answer to our ping, not an error.
    let mut client = WsClient::watching(&app, &owner.access, "1", &id, Some(&largest)).await;
    client.send(json!({ "type": "ping" })).await;
    let frame = client.raw_json().await;
    assert_eq!(frame["type"], "pong", "{frame}");
}

#[tokio::test]
async fn a_signed_token_for_a_user_that_does_not_exist_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = json!({
        "token_type": "access", "exp": now + 300, "iat": now,
        "jti": "00000000000000000000000000000000", "user_id": 987_654_321,
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .expect("signed");

    let (status, body) = app.get("/api/v1/conversations/", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "ghost" }),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let answer = app
        .graphql("{ conversations { count } }", json!({}), Some(&token))
        .await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_in_each_surface_s_json_shape() {
    let app = TestApp::spawn().await;
    // Over the default MAX_BODY_BYTES (256 KiB).
    let big = json!({ "query": format!("{{ __typename }} #{}", "x".repeat(300 * 1024)) });
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&big)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.expect("JSON body");
    assert!(body["errors"][0]["message"].is_string(), "{body}");

    let (status, body) = app.login(&"x".repeat(300 * 1024), PASSWORD).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["detail"], "Request body is too large", "{body}");
}

#[tokio::test]
async fn a_frame_over_the_body_limit_is_closed_with_1009_on_both_protocols() {
    let app = TestApp::spawn().await;
    let owner = app.signup("bigframe").await;
    let id = create_conversation(&app, &owner, "big frames", &[]).await;
    // Over the default MAX_BODY_BYTES (256 KiB).
    let frame = json!({ "type": "message.send", "content": "x".repeat(300 * 1024) }).to_string();

    let path = format!("/ws/conversations/{id}/?token={}", owner.access);
    let mut legacy = Connect::new(&path, None).expect(&app).await;
    legacy.send_text(&frame).await;
    assert_eq!(legacy.closed().await.0, 1009, "legacy");

    let mut graphql = WsClient::signed_in(&app, &owner.access).await;
    graphql.send_text(&frame).await;
    assert_eq!(graphql.closed().await.0, 1009, "graphql-ws");
}

#[tokio::test]
async fn production_serves_no_introspection_or_graphiql_unless_enabled() {
    const INTROSPECT: &str = "{ __schema { queryType { name } } }";
    let mut env = TestEnv::new().await;
    env.set("APP_ENV", "production");
    let app = env.spawn().await;
    let answer = app.graphql(INTROSPECT, json!({}), None).await;
    assert_eq!(
        answer["errors"][0]["message"],
        "Introspection is disabled on this server (GRAPHQL_INTROSPECTION).",
        "{answer}"
    );
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("sent");
    let is_html = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    assert!(!is_html, "GraphiQL served in production");

    env.set("GRAPHQL_INTROSPECTION", "true");
    let app = env.spawn_owned().await;
    let answer = app.graphql(INTROSPECT, json!({}), None).await;
    assert_eq!(answer["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn a_creation_adds_at_most_100_users() {
    let app = TestApp::spawn().await;
    let owner = app.signup("bulk").await;
    let ids: Vec<i64> = (1..=101).collect();
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "everyone", "participant_ids": ids }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["participant_ids"].is_array(), "{body}");
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "many", "participant_ids": &ids[..100] }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Reads until the server closes the connection; what it sent first.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut received))
        .await
        .expect("closed by the server within the deadline")
        .expect("read");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn silent_half_sent_and_idle_keep_alive_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let mut env = TestEnv::new().await;
    env.set("HTTP_HEADER_TIMEOUT_SECS", "1");
    let app = env.spawn_owned().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let connect = || tokio::net::TcpStream::connect(address.clone());

    let mut silent = connect().await.expect("connect");
    let mut half = connect().await.expect("connect");
    half.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut idle = connect().await.expect("connect");
    idle.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");

    assert_eq!(until_closed(&mut silent).await, "");
    assert!(!until_closed(&mut half).await.contains("200 OK"));
    // The keep-alive connection got its answer, then was closed idle.
    assert!(until_closed(&mut idle).await.starts_with("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn past_max_connections_a_new_one_is_refused_with_503() {
    let mut env = TestEnv::new().await;
    env.set("MAX_CONNECTIONS", "2");
    let app = env.spawn_owned().await;
    let owner = app.signup("crowded").await;
    // The signup's keep-alive connection stays open: the client's pool.
    let mut socket = WsClient::signed_in(&app, &owner.access).await;

    let address = app.address.trim_start_matches("http://").to_owned();
    let mut third = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let answer = until_closed(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Too many connections"), "{answer}");

    // The WebSocket, which counts, still works.
    socket.send(json!({ "type": "ping" })).await;
    assert_eq!(socket.raw_json().await["type"], "pong");
    // Through the client's pooled connection, the other one that counts.
    let (_, metrics) = app.get("/metrics", None).await;
    let metrics = metrics.as_str().unwrap_or_default();
    assert!(
        metrics.contains("http_connections_refused_total 1"),
        "{metrics}"
    );
}
