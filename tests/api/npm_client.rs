//! The reference graphql-ws client from npm (`tests/js`, run by node):
//! closed with 4403 when its token expires while messages keep coming, it
//! reconnects with a fresh token and resumes with `since`, losing nothing.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::Stdio,
    sync::Mutex,
    time::Duration,
};

use serde_json::{Value, json};

use crate::{
    helpers::{TestEnv, TestUser},
    socket_sessions::{pair, token},
};

/// Where `tests/js` lives, with its npm packages installed (`npm ci`, once
/// per lockfile). Without node and npm the test fails: it says so.
fn npm_client_dir() -> PathBuf {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    let stamp = dir.join("node_modules/.package-lock.json");
    let current = std::fs::read(&stamp).ok().is_some_and(|_| {
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        modified(&stamp) >= modified(&dir.join("package-lock.json"))
    });
    if !*installed && !current {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is required by this test (Node 20+): install Node.js and npm");
        assert!(status.success(), "npm ci in tests/js failed");
    }
    *installed = true;
    dir
}

/// The reference client (`graphql-ws` from npm, `tests/js`) subscribes
/// with a `connectionParams` function that refreshes its token, is closed
/// with 4403 when that token expires while messages keep coming,
/// reconnects, resumes with `since` and ends up with every message exactly
/// once, in order.
#[tokio::test]
async fn the_npm_graphql_ws_client_reconnects_after_expiry_and_loses_nothing() {
    let dir = npm_client_dir();
    let mut env = TestEnv::new().await;
    env.set("JWT_ACCESS_TTL_SECS", "1")
        .set("RATE_LIMIT_MESSAGES", "100000");
    let app = env.spawn().await;
    let (ada, conversation) = pair(&app).await;
    // The sender's token outlives the test.
    let sender = TestUser {
        access: token(&ada, 600, None),
        ..ada.clone()
    };
    let first = app.send_message(&sender, &conversation, "m0").await;
    let since = first["id"].as_str().expect("id").to_owned();
    let mut node = Child(
        std::process::Command::new("node")
            .arg(dir.join("resume-after-expiry.mjs"))
            .args([&app.address, &conversation, &ada.refresh, &since])
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is required by this test (Node 20+): install Node.js"),
    );
    // Read on a thread of its own (blocking pipe), handed over line by line.
    let stdout = node.0.stdout.take().expect("stdout");
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if line_tx.send(line).is_err() {
                return;
            }
        }
    });

    let mut sent = Vec::new();
    let mut received = Vec::new();
    let mut closes = Vec::new();
    let mut connections = 0;
    let mut after_resume = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut done = false;
    loop {
        tokio::select! {
            line = lines.recv() => {
                let Some(line) = line else { break };
                let event: Value = serde_json::from_str(&line).expect("one JSON event a line");
                match event["event"].as_str() {
                    Some("connected") => connections += 1,
                    Some("closed") => closes.push((event["code"].clone(), event["reason"].clone())),
                    Some("message") => received.push(event["content"].as_str().expect("content").to_owned()),
                    _ => {}
                }
            }
            _ = tick.tick(), if !done => {
                // Messages keep coming across the expiry and the reconnect;
                // once the client is back and has had a few, the last one.
                if connections >= 2 && !closes.is_empty() {
                    after_resume += 1;
                }
                let content = if after_resume > 5 {
                    done = true;
                    "done".to_owned()
                } else {
                    format!("m{}", sent.len() + 1)
                };
                app.send_message(&sender, &conversation, &content).await;
                sent.push(content);
            }
            () = tokio::time::sleep_until(deadline) => panic!(
                "the client did not finish: {connections} connections, closes {closes:?}, \
                 {} of {} messages",
                received.len(),
                sent.len()
            ),
        }
    }
    let status = node.0.wait().expect("node exits");
    assert!(status.success(), "the client failed: {status}");
    assert_eq!(
        closes.first(),
        Some(&(json!(4403), json!("token expired"))),
        "{closes:?}"
    );
    assert!(connections >= 2, "reconnected: {connections}");
    assert_eq!(received, sent, "every message once, in order");
}

/// A child process, killed however the test ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
