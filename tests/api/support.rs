//! Setup sequences many tests share: a node with settings, two users and
//! their conversation, several nodes on the shared backends, bulk sends and
//! message ids. `helpers.rs` owns the server and its clients; this module
//! only composes them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{TcpProxy, TestApp, TestEnv, TestUser, redis_upstream},
};

impl TestEnv {
    /// An environment several nodes can share, `None` when embedded (one
    /// node is all the embedded backend serves).
    pub async fn shared() -> Option<TestEnv> {
        let env = TestEnv::new().await;
        if env.uses_redis() {
            Some(env)
        } else {
            eprintln!("skipped: several nodes need TEST_DATABASE_URL and TEST_REDIS_URL");
            None
        }
    }
}

/// A node whose Redis link runs through a proxy the test can cut; `None`
/// (and a note) without `TEST_REDIS_URL`.
pub async fn behind_a_redis_proxy() -> Option<(TcpProxy, TestApp)> {
    let Some(upstream) = redis_upstream() else {
        eprintln!("skipped: a Redis outage needs TEST_REDIS_URL");
        return None;
    };
    let proxy = TcpProxy::start(&upstream).await;
    let redis = format!("redis://127.0.0.1:{}", proxy.port);
    let app = TestApp::spawn_with(&[("REDIS_URL", redis.as_str())]).await;
    Some((proxy, app))
}

impl TestApp {
    /// A node on its own environment with these settings.
    pub async fn spawn_with(vars: &[(&str, &str)]) -> TestApp {
        let mut env = TestEnv::new().await;
        for (key, value) in vars {
            env.set(key, value);
        }
        env.spawn_owned().await
    }

    /// A node whose message rate limit does not get in the way of bulk sends.
    pub async fn unthrottled() -> TestApp {
        TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES", "100000")]).await
    }

    /// Signs up alice and bob; alice creates the conversation `name` with bob.
    pub async fn pair(&self, name: &str) -> (TestUser, TestUser, String) {
        let alice = self.signup("alice").await;
        let bob = self.signup("bob").await;
        let conversation = create_conversation(self, &alice, name, &[&bob]).await;
        (alice, bob, conversation)
    }

    /// Logs in over REST; the status and body.
    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({ "email": email, "password": password });
        self.post("/api/v1/auth/login", body, None).await
    }

    /// `admin` adds `user` to `conversation` over REST; the status and body.
    pub async fn add_participant(
        &self,
        admin: &TestUser,
        conversation: &str,
        user: &TestUser,
    ) -> (StatusCode, Value) {
        self.membership_change(admin, conversation, "add_participant", user)
            .await
    }

    /// `admin` removes `user` from `conversation` over REST; the status and
    /// body.
    pub async fn remove_participant(
        &self,
        admin: &TestUser,
        conversation: &str,
        user: &TestUser,
    ) -> (StatusCode, Value) {
        self.membership_change(admin, conversation, "remove_participant", user)
            .await
    }

    async fn membership_change(
        &self,
        admin: &TestUser,
        conversation: &str,
        action: &str,
        user: &TestUser,
    ) -> (StatusCode, Value) {
        let path = format!("/api/v1/conversations/{conversation}/{action}");
        let body = json!({ "user_id": user.id });
        self.post(&path, body, Some(&admin.access)).await
    }

    /// Sends a message over REST and returns its id.
    pub async fn send_message_id(
        &self,
        user: &TestUser,
        conversation: &str,
        content: &str,
    ) -> String {
        id_of(&self.send_message(user, conversation, content).await)
    }

    /// Sends `count` messages over REST from `senders` concurrent clients,
    /// message `n` with `content(n)`; returns the stored messages' JSON, a
    /// list per sender in the order it sent them.
    pub async fn send_concurrently(
        &self,
        user: &TestUser,
        conversation: &str,
        count: usize,
        senders: usize,
        content: impl Fn(usize) -> String + Clone + Send + 'static,
    ) -> Vec<Vec<Value>> {
        let url = self.url(&format!("/api/v1/conversations/{conversation}/messages"));
        let tasks: Vec<_> = (0..senders)
            .map(|sender| {
                let (client, url, token) = (self.client.clone(), url.clone(), user.access.clone());
                let content = content.clone();
                tokio::spawn(async move {
                    let mut sent = Vec::new();
                    for n in (sender..count).step_by(senders) {
                        let response = client
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&json!({ "content": content(n) }))
                            .send()
                            .await
                            .expect("sent");
                        assert_eq!(response.status(), StatusCode::CREATED);
                        sent.push(response.json::<Value>().await.expect("json"));
                    }
                    sent
                })
            })
            .collect();
        let mut sent = Vec::new();
        for task in tasks {
            sent.push(task.await.expect("sender task"));
        }
        sent
    }
}

const EDIT: &str = "mutation($c: ID!, $m: StreamId!, $content: String!) { editMessage(conversationId: $c, messageId: $m, content: $content) { id content editedAt deleted sender { id } } }";
const MARK_READ: &str = "mutation($id: ID!, $upTo: StreamId!) { markRead(conversationId: $id, upTo: $upTo) { unreadCount lastReadId } }";
const DELETE: &str = "mutation($c: ID!, $m: StreamId!) { deleteMessage(conversationId: $c, messageId: $m) { id content editedAt deleted } }";

impl TestApp {
    /// Edits message `m` of conversation `c` over GraphQL; the whole answer.
    pub async fn edit_message(&self, user: &TestUser, c: &str, m: &str, content: &str) -> Value {
        let variables = json!({ "c": c, "m": m, "content": content });
        self.graphql(EDIT, variables, Some(&user.access)).await
    }

    /// Deletes message `m` of conversation `c` over GraphQL; the whole answer.
    pub async fn delete_message(&self, user: &TestUser, c: &str, m: &str) -> Value {
        self.graphql(DELETE, json!({ "c": c, "m": m }), Some(&user.access))
            .await
    }

    /// Moves `user`'s read marker in `conversation` to `up_to` over GraphQL;
    /// the whole answer.
    pub async fn mark_read(&self, user: &TestUser, conversation: &str, up_to: &str) -> Value {
        let variables = json!({ "id": conversation, "upTo": up_to });
        self.graphql(MARK_READ, variables, Some(&user.access)).await
    }
}

/// A message's (or an event's) `id`.
pub fn id_of(message: &Value) -> String {
    message["id"].as_str().expect("an id").to_owned()
}

/// The ids of a JSON array of messages.
pub fn ids_of(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .expect("messages array")
        .iter()
        .map(id_of)
        .collect()
}

/// A stream id's `(milliseconds, sequence)`, to compare ids as numbers.
pub fn parse_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').expect("ms-seq");
    (ms.parse().expect("ms"), seq.parse().expect("seq"))
}
