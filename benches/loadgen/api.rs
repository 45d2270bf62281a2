//! The REST calls the scenarios need, and bulk user setup.

use std::time::Duration;

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use serde_json::{Value, json};

pub const PASSWORD: &str = "Load-test-Passw0rd!";

/// A signed-up user.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub access: String,
}

/// A thin REST client.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// `ws://host:port` for the same server.
    pub fn ws_base(&self) -> String {
        self.base.replacen("http", "ws", 1)
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    pub async fn signup(&self, username: &str) -> anyhow::Result<User> {
        let (status, body) = self
            .post(
                "/api/v1/auth/signup/",
                None,
                json!({
                    "email": format!("{username}@load.test"), "username": username,
                    "first_name": "Load", "last_name": "Test",
                    "password": PASSWORD, "password_confirm": PASSWORD,
                }),
            )
            .await?;
        if status != 201 {
            bail!("signup {username}: {status} {body}");
        }
        Ok(User {
            id: body["user"]["id"].as_i64().context("user id")?,
            access: body["tokens"]["access"]
                .as_str()
                .context("access")?
                .to_owned(),
        })
    }

    pub async fn create_conversation(&self, owner: &User, name: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .post(
                "/api/v1/conversations/",
                Some(&owner.access),
                json!({ "name": name }),
            )
            .await?;
        if status != 201 {
            bail!("create conversation: {status} {body}");
        }
        Ok(body["id"].as_str().context("conversation id")?.to_owned())
    }

    pub async fn add_participant(
        &self,
        owner: &User,
        conversation: &str,
        user: &User,
    ) -> anyhow::Result<()> {
        let path = format!("/api/v1/conversations/{conversation}/add_participant");
        let (status, body) = self
            .post(&path, Some(&owner.access), json!({ "user_id": user.id }))
            .await?;
        if status != 200 {
            bail!("add participant: {status} {body}");
        }
        Ok(())
    }

    /// Sends over REST; returns the HTTP status.
    pub async fn send(
        &self,
        user: &User,
        conversation: &str,
        content: &str,
    ) -> anyhow::Result<u16> {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        Ok(self
            .post(&path, Some(&user.access), json!({ "content": content }))
            .await?
            .0)
    }
}

/// Signs up `count` users named `{prefix}{n}`, a few at a time (argon2 is
/// the bottleneck, by design).
pub async fn users(api: &Api, prefix: &str, count: usize) -> anyhow::Result<Vec<User>> {
    let started = std::time::Instant::now();
    let users: Vec<anyhow::Result<User>> = stream::iter(0..count)
        .map(|n| {
            let api = api.clone();
            let name = format!("{prefix}{n}");
            async move { api.signup(&name).await }
        })
        .buffered(8)
        .collect()
        .await;
    eprintln!(
        "signed up {count} users in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    users.into_iter().collect()
}

/// A short random tag so repeated runs never clash on usernames.
pub fn run_tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}
