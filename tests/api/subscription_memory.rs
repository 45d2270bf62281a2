//! What big subscriptions hold, and that it is all given back when their
//! sockets close. A server process of its own (the metrics recorder is per
//! process): its `graphql_ws_operation_bytes` gauge counts the documents
//! of running operations exactly, so the test asserts on it; the process's
//! RSS is printed alongside (noisy, so not asserted; `--nocapture` shows it).

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestEnv, TestUser},
    ws_client::{MESSAGE_ADDED, WsClient},
};

const WAIT: Duration = Duration::from_secs(60);

/// A server process, killed however the test ends.
struct Server {
    child: std::process::Child,
    app: TestApp,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(env: &TestEnv, extra: &[(&str, &str)]) -> (Server, tempfile::TempDir) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_chatstream"))
            .envs(env.vars())
            .envs(extra.iter().copied())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("server process starts");
        let app = TestApp::at(format!("http://127.0.0.1:{port}"));
        let server = Server { child, app };
        let deadline = tokio::time::Instant::now() + WAIT;
        // Readiness poll: the only loop the house style allows.
        while server
            .app
            .client
            .get(server.app.url("/livez"))
            .send()
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (server, dir)
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }

    async fn held_bytes(&self) -> f64 {
        self.app.metric("graphql_ws_operation_bytes").await
    }

    /// Polls the gauge until it reads `expected` (readiness poll).
    async fn held_reaches(&self, expected: f64) {
        // 1,000 subscriptions of 240 KB take minutes in a debug build.
        let deadline = tokio::time::Instant::now() + WAIT * 5;
        loop {
            let held = self.held_bytes().await;
            if held == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "graphql_ws_operation_bytes is {held}, expected {expected}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A `messageAdded` document of exactly `bytes` bytes, padded by a comment.
fn padded(bytes: usize) -> String {
    let filler = bytes - MESSAGE_ADDED.len() - 3;
    format!("# {}\n{MESSAGE_ADDED}", "x".repeat(filler))
}

/// One user opens `sockets` graphql-ws sockets with `per_socket`
/// subscriptions of `bytes`-byte documents each, then closes them: the
/// gauge counts each one while open and nothing afterwards. Returns RSS
/// (MiB) before, during and after.
async fn big_subscriptions(
    extra: &[(&str, &str)],
    sockets: usize,
    per_socket: usize,
    bytes: usize,
) -> (f64, f64, f64) {
    let env = TestEnv::new().await;
    let (server, _dir) = Server::start(&env, extra).await;
    let ada: TestUser = server.app.signup("ada").await;
    let (status, conversation) = server
        .app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "big" }),
            Some(&ada.access),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{conversation}");
    let variables = json!({ "id": conversation["id"] });
    let weight = bytes + variables.to_string().len();
    server.held_reaches(0.0).await;
    // Start-up and the signup's argon2 buffer settle first: not asserted on.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.rss_mib();

    let document = padded(bytes);
    let mut clients = Vec::new();
    for _ in 0..sockets {
        let mut client = WsClient::signed_in(&server.app, &ada.access).await;
        for id in 0..per_socket {
            client
                .subscribe(&id.to_string(), &document, variables.clone())
                .await;
        }
        clients.push(client);
    }
    server
        .held_reaches((sockets * per_socket * weight) as f64)
        .await;
    let during = server.rss_mib();

    drop(clients);
    server.held_reaches(0.0).await;
    // Give the allocator's deferred frees a moment: not asserted on.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_mib();
    eprintln!(
        "{sockets} sockets x {per_socket} subscriptions of {bytes} bytes: \
         RSS {before:.1} MiB before, {during:.1} during, {after:.1} after"
    );
    (before, during, after)
}

/// The largest subscriptions the default caps allow (16 per socket of
/// 16,000 bytes: 256 KiB a socket), on 10 sockets: counted while open,
/// all given back when the sockets close.
#[tokio::test]
async fn big_subscriptions_are_counted_and_given_back_when_their_sockets_close() {
    big_subscriptions(&[], 10, 16, 16_000).await;
}

/// The issue's reproduction, with the caps raised so that it runs at all
/// (with the defaults each of these is refused): 10 sockets x 100
/// subscriptions whose documents carry a 240 KB comment. Slow in a debug
/// build; run by hand:
/// `cargo test --test api -- --ignored --nocapture issue_reproduction`.
#[tokio::test]
#[ignore = "a measurement (about 240 MB of documents), run by hand"]
async fn issue_reproduction_with_the_caps_raised() {
    let raised = [
        ("MAX_SUBSCRIPTION_BYTES", "300000"),
        ("MAX_SUBSCRIPTION_BYTES_PER_SOCKET", "30000000"),
    ];
    big_subscriptions(&raised, 10, 100, 240_000).await;
}

/// The issue's subscription, under the default caps: an `error` for its
/// id, not a close.
#[tokio::test]
async fn a_240_kb_subscription_is_refused_with_an_error() {
    let app = TestApp::spawn().await;
    let ada = app.signup("ada").await;
    let mut client = WsClient::signed_in(&app, &ada.access).await;
    client
        .subscribe("big", &padded(240_000), json!({ "id": Value::Null }))
        .await;
    let refused = client.json().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "big");
    client
        .send(json!({ "type": "ping", "payload": { "still": "open" } }))
        .await;
    assert_eq!(client.json().await["type"], "pong");
}
