//! `TestApp`: a running server on its own database (and Redis prefix), plus
//! HTTP and GraphQL helpers.

use std::{collections::HashMap, sync::Once};

use chatstream::{Application, config::Config};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

static TRACING: Once = Once::new();

/// Logs stay silent unless `TEST_LOG` is set.
fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            chatstream::telemetry::init(chatstream::config::LogFormat::Pretty, "info");
        }
    });
}

/// The backing services of one test: its own database and Redis key prefix.
/// Several nodes spawned from one environment form one service. Dropping it
/// (also when the test panics) drops the database and deletes the keys.
pub struct TestEnv {
    vars: HashMap<String, String>,
    cleanup: Cleanup,
    _dir: tempfile::TempDir,
}

impl TestEnv {
    pub async fn new() -> Self {
        init_tracing();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut vars = HashMap::new();
        let mut cleanup = Cleanup::default();
        let database_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(base) if !base.is_empty() => {
                let (url, name) = create_postgres_database(&base).await;
                cleanup.database = Some((base, name));
                url
            }
            _ => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("chatstream.db").display()
            ),
        };
        vars.insert("DATABASE_URL".into(), database_url);
        if let Ok(redis) = std::env::var("TEST_REDIS_URL")
            && !redis.is_empty()
        {
            let prefix = format!("test:{}:", Uuid::new_v4().simple());
            cleanup.redis = Some((redis.clone(), prefix.clone()));
            vars.insert("REDIS_URL".into(), redis);
            vars.insert("REDIS_KEY_PREFIX".into(), prefix);
        }
        vars.insert("BIND_ADDR".into(), "127.0.0.1:0".into());
        vars.insert("JWT_SECRET".into(), TEST_JWT_SECRET.into());
        // Every test signs its users up from 127.0.0.1; the throttling
        // tests turn the per-address limit back on.
        vars.insert("AUTH_ADDRESS_LIMIT".into(), "0".into());
        // Tests run in parallel on small machines: a signup queues for a
        // hash slot rather than being refused (one test sets a zero wait).
        vars.insert("PASSWORD_HASH_QUEUE_MS".into(), "60000".into());
        Self {
            vars,
            cleanup,
            _dir: dir,
        }
    }

    /// Overrides one configuration variable for nodes spawned afterwards.
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// The configuration nodes of this environment get, e.g. for a server
    /// started as a process of its own.
    pub fn vars(&self) -> &HashMap<String, String> {
        &self.vars
    }

    /// A connection to this environment's Redis and its key prefix, to read
    /// or write keys as another server (django-chat) would.
    /// None on a cluster too: these tests read single-server key names.
    pub async fn redis(&self) -> Option<(redis::aio::MultiplexedConnection, String)> {
        let url = self.vars.get("REDIS_URL")?;
        if redis_cluster() {
            eprintln!("skipped on a Redis Cluster: reads single-server key names");
            return None;
        }
        let prefix = self
            .vars
            .get("REDIS_KEY_PREFIX")
            .cloned()
            .unwrap_or_default();
        let client = redis::Client::open(url.as_str()).expect("redis url");
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis connection");
        Some((conn, prefix))
    }

    /// Whether this environment uses Redis (and so can host several nodes).
    pub fn uses_redis(&self) -> bool {
        self.vars.contains_key("REDIS_URL")
    }

    /// Starts a server node on this environment.
    pub async fn spawn(&self) -> TestApp {
        let config = Config::from_vars(self.vars.clone()).expect("test configuration is valid");
        let app = Application::build(config)
            .await
            .expect("application builds");
        let port = app.port();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = app
                .run_until(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            stop: Some(stop_tx),
            task: Some(task),
            env: None,
        }
    }
}

/// What a test leaves in the shared services: removed when its `TestEnv`
/// goes.
#[derive(Default)]
struct Cleanup {
    /// The admin URL (`TEST_DATABASE_URL`) and the test's database.
    database: Option<(String, String)>,
    /// The Redis URL and the test's key prefix.
    redis: Option<(String, String)>,
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let cleanup = std::mem::take(&mut self.cleanup);
        if cleanup.database.is_none() && cleanup.redis.is_none() {
            return;
        }
        // Drop may run inside the test's runtime (which cannot block on
        // itself) or during a panic: a thread with a runtime of its own.
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(cleanup.run());
        });
        let _ = done.join();
    }
}

impl Cleanup {
    async fn run(self) {
        if let Some((base, name)) = self.database
            && let Ok(admin) = Database::connect(&base).await
        {
            // FORCE: nodes of this test may still hold connections.
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if let Err(e) = admin.execute_unprepared(&drop).await {
                eprintln!("could not drop test database {name}: {e}");
            }
            admin.close().await.ok();
        }
        if let Some((url, prefix)) = self.redis
            && let Err(e) = delete_keys(&url, &prefix).await
        {
            eprintln!("could not delete test keys {prefix}*: {e}");
        }
    }
}

/// Whether `TEST_REDIS_URL` names a Redis Cluster (`redis+cluster://`).
pub fn redis_cluster() -> bool {
    std::env::var("TEST_REDIS_URL").is_ok_and(|u| u.starts_with("redis+cluster://"))
}

/// `redis://host:port` of every live master of the cluster one of whose
/// nodes `url` (`redis+cluster://a:1,b:2`) lists: keys live on masters,
/// so a scan covers them all.
pub async fn cluster_masters(url: &str) -> redis::RedisResult<Vec<String>> {
    let nodes = url.trim_start_matches("redis+cluster://");
    let nodes = nodes.split('/').next().unwrap_or(nodes);
    let mut last = None;
    for node in nodes.split(',') {
        let listing = async {
            let client = redis::Client::open(format!("redis://{node}"))?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("CLUSTER")
                .arg("NODES")
                .query_async::<String>(&mut conn)
                .await
        };
        match listing.await {
            // `<id> <ip:port@cport> <flags> ...`, one node a line.
            Ok(listing) => {
                return Ok(listing
                    .lines()
                    .filter_map(|line| {
                        let fields: Vec<&str> = line.split(' ').collect();
                        let flags = fields.get(2)?;
                        (flags.contains("master") && !flags.contains("fail")).then(|| {
                            let addr = fields.get(1)?.split('@').next()?;
                            Some(format!("redis://{addr}"))
                        })?
                    })
                    .collect());
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| redis::RedisError::from((redis::ErrorKind::Io, "no node"))))
}

/// Deletes every key under `prefix`: on each master of a cluster (keys
/// one at a time, as they lie in different slots).
async fn delete_keys(url: &str, prefix: &str) -> redis::RedisResult<()> {
    if url.starts_with("redis+cluster://") {
        for master in cluster_masters(url).await? {
            delete_keys_on(&master, prefix, false).await?;
        }
        return Ok(());
    }
    delete_keys_on(url, prefix, true).await
}

async fn delete_keys_on(url: &str, prefix: &str, together: bool) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = {
        let mut iter: redis::AsyncIter<String> =
            redis::AsyncCommands::scan_match(&mut conn, format!("{prefix}*")).await?;
        let mut keys = Vec::new();
        while let Some(key) = futures::StreamExt::next(&mut iter).await {
            keys.push(key?);
        }
        keys
    };
    for chunk in keys.chunks(500) {
        if together {
            redis::cmd("UNLINK")
                .arg(chunk)
                .query_async::<()>(&mut conn)
                .await?;
        } else {
            let mut pipe = redis::pipe();
            for key in chunk {
                pipe.cmd("UNLINK").arg(key).ignore();
            }
            pipe.query_async::<()>(&mut conn).await?;
        }
    }
    Ok(())
}

/// Creates a fresh database next to the one `base` names, so tests never
/// share tables; returns its URL and name. `TEST_DATABASE_PREFIX` (set per
/// run by `.ci/run`) starts the name, so a run can remove exactly its own.
async fn create_postgres_database(base: &str) -> (String, String) {
    let prefix = std::env::var("TEST_DATABASE_PREFIX")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "chatstream_test_".to_owned());
    let name = format!("{prefix}{}", Uuid::new_v4().simple());
    let admin = Database::connect(base)
        .await
        .expect("TEST_DATABASE_URL is reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (server, _) = base.rsplit_once('/').expect("database URL has a path");
    (format!("{server}/{name}"), name)
}

/// A running node and clients to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    env: Option<TestEnv>,
}

/// A signed-up user and its tokens.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub access: String,
    pub refresh: String,
}

impl TestUser {
    /// From a signup's or a login's answer (`user` and `tokens`).
    pub fn from_session(email: &str, body: &Value) -> Self {
        let text = |value: &Value| value.as_str().expect("a string").to_owned();
        TestUser {
            id: body["user"]["id"].as_i64().expect("user id"),
            email: email.to_owned(),
            username: text(&body["user"]["username"]),
            access: text(&body["tokens"]["access"]),
            refresh: text(&body["tokens"]["refresh"]),
        }
    }
}

/// What every test server signs its tokens with.
pub const TEST_JWT_SECRET: &str = "integration-test-secret-integration-test";

pub const PASSWORD: &str = "Str0ng-Passw0rd!";

impl TestEnv {
    /// Starts a node that keeps this environment alive as long as it runs.
    pub async fn spawn_owned(self) -> TestApp {
        let mut app = self.spawn().await;
        app.env = Some(self);
        app
    }
}

impl TestApp {
    /// A single node on a fresh environment.
    pub async fn spawn() -> TestApp {
        TestEnv::new().await.spawn_owned().await
    }

    /// Stops the node gracefully and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// A client of a server that runs elsewhere (a process of its own).
    pub fn at(address: String) -> TestApp {
        TestApp {
            address,
            client: reqwest::Client::new(),
            stop: None,
            task: None,
            env: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// One sample's value from `/metrics`, by its exact name and labels
    /// (e.g. `websocket_refused_total{reason="too_many_sockets"}`).
    pub async fn metric(&self, sample: &str) -> f64 {
        self.metric_opt(sample)
            .await
            .unwrap_or_else(|| panic!("{sample} in the scrape"))
    }

    /// Like [`TestApp::metric`], `None` when the sample is not (yet) there.
    pub async fn metric_opt(&self, sample: &str) -> Option<f64> {
        let scrape = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body");
        scrape
            .lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.post(self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request sent")).await
    }

    /// Any method, with an optional JSON body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request sent")).await
    }

    /// Runs a GraphQL operation over HTTP and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let (status, body) = self
            .post(
                "/graphql",
                json!({ "query": query, "variables": variables }),
                token,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "graphql over HTTP answers 200: {body}"
        );
        body
    }

    /// Sends a message over REST and returns the stored message's JSON.
    pub async fn send_message(&self, user: &TestUser, conversation: &str, content: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("/api/v1/conversations/{conversation}/messages"),
                json!({ "content": content }),
                Some(&user.access),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Signs up a user named `name` over REST.
    pub async fn signup(&self, name: &str) -> TestUser {
        let email = format!("{name}@example.com");
        let (status, body) = self
            .post(
                "/api/v1/auth/signup",
                json!({
                    "email": email,
                    "username": name,
                    "first_name": name,
                    "last_name": "Tester",
                    "password": PASSWORD,
                    "password_confirm": PASSWORD,
                }),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "signup of {name}: {body}");
        TestUser::from_session(&email, &body)
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("response body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// The `extensions.code` of the first GraphQL error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no error code>")
}

/// A TCP proxy in front of a real service, whose link can be cut and
/// restored: how tests make Redis "fail" without touching the real server.
pub struct TcpProxy {
    pub port: u16,
    upstream: String,
    accept: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl TcpProxy {
    /// Proxies 127.0.0.1:<port> to `upstream` (host:port).
    pub async fn start(upstream: &str) -> TcpProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let proxy = TcpProxy {
            port,
            upstream: upstream.to_owned(),
            accept: std::sync::Mutex::new(None),
            links: Default::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (upstream, links) = (self.upstream.clone(), self.links.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links.lock().expect("links").push(link);
            }
        });
        *self.accept.lock().expect("accept") = Some(task);
    }

    /// Drops every open link and refuses new connections.
    pub fn cut(&self) {
        if let Some(task) = self.accept.lock().expect("accept").take() {
            task.abort();
        }
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// Accepts connections on the same port again.
    pub async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind proxy port");
        self.serve(listener);
    }
}

/// `host:port` of the test Redis, when the suite runs against one: the
/// upstream a `TcpProxy` fronts to simulate an outage. None on a cluster,
/// whose clients follow the node addresses the cluster announces, around
/// any proxy.
pub fn redis_upstream() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    if redis_cluster() {
        eprintln!("skipped on a Redis Cluster: a proxy cannot cut it off");
        return None;
    }
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    Some(rest.split('/').next().unwrap_or(rest).to_owned())
}
