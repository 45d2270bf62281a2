//! Redis Cluster only (`TEST_REDIS_URL=redis+cluster://…`; skipped with a
//! note otherwise): a node's connections stay bounded by the cluster's
//! nodes × its partition readers whatever the number of conversations, and
//! a master failover loses nothing a send reported sent.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, TestUser, cluster_masters, redis_cluster},
    ws_client::{Frame, WsClient},
};

/// Partitions of conversations on a cluster (`redis_keys::PARTITIONS`).
const PARTITIONS: usize = 16;

fn cluster_env_url() -> Option<String> {
    if !redis_cluster() {
        eprintln!("skipped: needs TEST_REDIS_URL=redis+cluster://…");
        return None;
    }
    std::env::var("TEST_REDIS_URL").ok()
}

/// Every node's port (masters and replicas) of the cluster `url` lists.
async fn cluster_ports(url: &str) -> HashSet<u16> {
    let first = url
        .trim_start_matches("redis+cluster://")
        .split(',')
        .next()
        .expect("a node");
    let client = redis::Client::open(format!("redis://{first}")).expect("node url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("node");
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .expect("cluster nodes");
    nodes
        .lines()
        .filter_map(|line| {
            let addr = line.split(' ').nth(1)?.split('@').next()?;
            addr.rsplit(':').next()?.parse().ok()
        })
        .collect()
}

/// Established TCP connections of this process to `ports`: the socket
/// inodes among its open files, looked up in the kernel's TCP table (the
/// test and the node it spawned are one process).
fn connections_to(ports: &HashSet<u16>) -> usize {
    let inodes: HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .expect("fds")
        .filter_map(|fd| {
            let target = std::fs::read_link(fd.ok()?.path()).ok()?;
            let target = target.to_str()?;
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    ["/proc/self/net/tcp", "/proc/self/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| table.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // rem_address is `HEX_IP:HEX_PORT`; st 01 is ESTABLISHED.
            let remote = fields
                .get(2)
                .and_then(|r| r.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            fields.get(3) == Some(&"01")
                && remote.is_some_and(|p| ports.contains(&p))
                && fields.get(9).is_some_and(|i| inodes.contains(*i))
        })
        .count()
}

fn partition(conversation: &str) -> usize {
    let id: uuid::Uuid = conversation.parse().expect("uuid");
    usize::try_from(id.as_u128() % PARTITIONS as u128).expect("small")
}

#[tokio::test]
async fn connections_stay_bounded_by_partitions() {
    let Some(url) = cluster_env_url() else {
        return;
    };
    let ports = cluster_ports(&url).await;
    let mut env = TestEnv::new().await;
    env.set("RATE_LIMIT_MESSAGES", "100000");
    env.set("MAX_SOCKETS_PER_USER", "100");
    let app = env.spawn().await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    // Conversations until every partition has some: many more
    // conversations than readers.
    let mut conversations = Vec::new();
    let mut covered = HashSet::new();
    while covered.len() < PARTITIONS || conversations.len() < 48 {
        let c = create_conversation(&app, &alice, "room", &[&bob]).await;
        covered.insert(partition(&c));
        conversations.push(c);
    }
    let mut clients = Vec::new();
    for c in &conversations {
        let mut client = WsClient::modern(&app).await;
        client.init(&bob.access).await;
        client.message_added("1", c, Some("0-0")).await;
        clients.push(client);
    }
    for (c, client) in conversations.iter().zip(clients.iter_mut()) {
        app.send_message(&alice, c, &format!("to {c}")).await;
        let message = client.next_message("1").await;
        assert_eq!(message["content"], format!("to {c}"));
    }
    // Readers (one per partition) and the shared connection, each a
    // connection to every node, plus one Pub/Sub connection.
    let bound = ports.len() * (PARTITIONS + 1) + 1;
    let open = connections_to(&ports);
    eprintln!(
        "{} conversations in {PARTITIONS} partitions: {open} connections to {} cluster nodes (bound {bound})",
        conversations.len(),
        ports.len()
    );
    assert!(open > 0, "no connection to the cluster seen");
    assert!(open <= bound, "{open} connections, more than {bound}");
}

/// A cluster of its own (its master is killed), on six free ports.
struct OwnCluster {
    dir: tempfile::TempDir,
    ports: Vec<u16>,
}

impl OwnCluster {
    async fn start() -> Option<OwnCluster> {
        if std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipped: redis-server is not installed");
            return None;
        }
        // Six ports whose cluster bus ports (+10000) are free too, below
        // the ephemeral range once the bus offset is added.
        let free = |port: u16| {
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
        };
        let start = 10_000 + (std::process::id() % 1_000) as u16 * 6;
        let Some(base) = (0..200u16)
            .map(|step| 10_000 + (start - 10_000 + step * 6) % 6_000)
            .find(|base| (*base..base + 6).all(free))
        else {
            eprintln!("skipped: no six free ports for a cluster of its own");
            return None;
        };
        let ports: Vec<u16> = (base..base + 6).collect();
        let dir = tempfile::tempdir().expect("dir");
        for port in &ports {
            let status = std::process::Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--daemonize", "yes", "--save", "", "--appendonly", "no"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
                // Redis 7 waits 5 s before a diskless full sync, hoping
                // more replicas attach; a drill's master may be killed
                // before then, and a replica that never synced refuses
                // to take over (the failover never happens).
                .args(["--repl-diskless-sync-delay", "0"])
                .arg("--cluster-config-file")
                .arg(dir.path().join(format!("{port}.conf")))
                .arg("--dir")
                .arg(dir.path())
                .arg("--pidfile")
                .arg(dir.path().join(format!("{port}.pid")))
                .arg("--logfile")
                .arg(dir.path().join(format!("{port}.log")))
                .status()
                .expect("redis-server");
            assert!(status.success(), "redis-server on {port}");
        }
        let cluster = OwnCluster { dir, ports };
        for port in &cluster.ports {
            cluster.wait_for(*port).await;
        }
        let status = std::process::Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")))
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(status.success(), "redis-cli --cluster create");
        cluster.wait_until_ok().await;
        cluster.wait_until_replicas_synced().await;
        Some(cluster)
    }

    fn url(&self) -> String {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    async fn wait_for(&self, port: u16) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(tokio::time::Instant::now() < deadline, "port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Until every live node reports `cluster_state:ok`.
    async fn wait_until_ok(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        for port in &self.ports {
            let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}")) else {
                continue;
            };
            let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
                continue;
            };
            loop {
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                if info.contains("cluster_state:ok") {
                    break;
                }
                assert!(tokio::time::Instant::now() < deadline, "cluster not ok");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Until every replica has its master's data: only a replica that
    /// synced may be promoted when its master dies.
    async fn wait_until_replicas_synced(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        for port in &self.ports {
            let mut conn = node(*port).await;
            loop {
                let info: String = redis::cmd("INFO")
                    .arg("replication")
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                if !info.contains("role:slave") || info.contains("master_link_status:up") {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "replica :{port} did not sync within 30 s"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    fn pid(&self, port: u16) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(format!("{port}.pid")))
            .ok()
            .map(|p| p.trim().to_owned())
    }

    fn kill(&self, port: u16) {
        if let Some(pid) = self.pid(port) {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status();
        }
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        for port in &self.ports {
            self.kill(*port);
        }
    }
}

/// The master that owns `key`'s slot: the one that answers for it
/// without a `MOVED`.
async fn owner_of(url: &str, key: &str) -> u16 {
    for master in cluster_masters(url).await.expect("masters") {
        let client = redis::Client::open(master.as_str()).expect("url");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("node");
        let answered: redis::RedisResult<i64> =
            redis::cmd("EXISTS").arg(key).query_async(&mut conn).await;
        if answered.is_ok() {
            return master
                .rsplit(':')
                .next()
                .expect("port")
                .parse()
                .expect("port");
        }
    }
    panic!("no master owns {key}");
}

/// How long a drill may take: 400 sends 20 ms apart take ~10 s when the
/// cluster recovers in a few seconds, as it should.
const DRILL_LIMIT: Duration = Duration::from_secs(180);

/// A drill's conversation on a cluster of its own: the server, its two
/// users, the conversation and its stream key.
struct Drill {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    conversation: String,
    key: String,
    // Last: fields drop in order, and the server goes before its cluster.
    cluster: OwnCluster,
}

impl Drill {
    async fn start() -> Option<Drill> {
        cluster_env_url()?;
        let cluster = OwnCluster::start().await?;
        let mut env = TestEnv::new().await;
        env.set("REDIS_URL", &cluster.url());
        env.set("RATE_LIMIT_MESSAGES", "100000");
        let prefix = env.vars()["REDIS_KEY_PREFIX"].clone();
        let app = env.spawn_owned().await;
        let alice = app.signup("alice").await;
        let bob = app.signup("bob").await;
        let conversation = create_conversation(&app, &alice, "drill", &[&bob]).await;
        app.send_message(&alice, &conversation, "before").await;
        let key = format!(
            "{prefix}stream:conv:{{p{}}}:{conversation}",
            partition(&conversation)
        );
        Some(Drill {
            cluster,
            app,
            alice,
            bob,
            conversation,
            key,
        })
    }

    async fn subscribe(&self, since: Option<String>) -> WsClient {
        let mut client = WsClient::modern(&self.app).await;
        client.init(&self.bob.access).await;
        client
            .message_added(
                "1",
                &self.conversation,
                Some(since.as_deref().unwrap_or("0-0")),
            )
            .await;
        client
    }

    /// Sends 400 messages, one every 20 ms, while a subscriber follows
    /// them (resuming from the last id it delivered whenever its stream
    /// ends); `fault` starts after the 100th send and runs beside the rest.
    /// Every send reported sent is delivered exactly once, in order; a
    /// send may fail only with `STORAGE_ERROR`.
    async fn run(&self, fault: impl Future<Output = ()>) {
        let (started, start_fault) = tokio::sync::oneshot::channel::<()>();
        let mut subscriber = self.subscribe(None).await;
        let path = format!("/api/v1/conversations/{}/messages", self.conversation);
        let sending = async {
            let mut sent = Vec::new();
            let mut failed = 0;
            let mut started = Some(started);
            for n in 0..400 {
                let content = format!("m{n}");
                let (status, body) = self
                    .app
                    .post(
                        &path,
                        json!({ "content": content }),
                        Some(&self.alice.access),
                    )
                    .await;
                match status {
                    StatusCode::CREATED => sent.push(content),
                    StatusCode::SERVICE_UNAVAILABLE => {
                        assert_eq!(body["code"], "STORAGE_ERROR", "{body}");
                        failed += 1;
                    }
                    other => panic!("send {n}: {other} {body}"),
                }
                if n == 100 {
                    started.take().map(|s| s.send(()));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (sent, failed)
        };
        let faulting = async {
            if start_fault.await.is_ok() {
                fault.await;
            }
        };
        let receiving = async {
            let mut delivered: Vec<(String, String)> = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
            while tokio::time::Instant::now() < deadline {
                let frame = tokio::time::timeout(Duration::from_secs(9), subscriber.frame()).await;
                match frame {
                    Ok(Frame::Json(frame)) if frame["type"] == "next" => {
                        let message = &frame["payload"]["data"]["messageAdded"];
                        let (Some(id), Some(content)) =
                            (message["id"].as_str(), message["content"].as_str())
                        else {
                            // An error payload: resume.
                            let since = delivered.last().map(|(id, _)| id.clone());
                            subscriber = self.subscribe(since).await;
                            continue;
                        };
                        delivered.push((id.to_owned(), content.to_owned()));
                        if content == "m399" {
                            break;
                        }
                    }
                    Ok(Frame::Json(frame)) if frame["type"] == "ka" || frame["type"] == "ping" => {}
                    Ok(_) | Err(_) => {
                        let since = delivered.last().map(|(id, _)| id.clone());
                        subscriber = self.subscribe(since).await;
                    }
                }
            }
            delivered
        };
        // Bounded: a drill whose cluster never recovers fails here, with
        // this message, instead of sending into a down cluster for as long
        // as CI lets it.
        let drill = async { tokio::join!(sending, faulting, receiving) };
        let ((sent, failed), (), delivered) = tokio::time::timeout(DRILL_LIMIT, drill)
            .await
            .unwrap_or_else(|_| panic!("the drill did not end within {DRILL_LIMIT:?}"));
        eprintln!(
            "{} sent, {failed} failed with STORAGE_ERROR, {} delivered",
            sent.len(),
            delivered.len()
        );
        assert_exactly_once_in_order(&sent, &delivered);
    }
}

fn assert_exactly_once_in_order(sent: &[String], delivered: &[(String, String)]) {
    let ids: Vec<&String> = delivered.iter().map(|(id, _)| id).collect();
    let unique: HashSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a message delivered twice");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, content) in delivered {
        *counts.entry(content.as_str()).or_default() += 1;
    }
    let lost: Vec<&String> = sent
        .iter()
        .filter(|c| !counts.contains_key(c.as_str()))
        .collect();
    let doubled: Vec<&String> = sent
        .iter()
        .filter(|c| counts.get(c.as_str()).is_some_and(|n| *n > 1))
        .collect();
    assert!(lost.is_empty(), "reported sent, never delivered: {lost:?}");
    assert!(doubled.is_empty(), "stored twice: {doubled:?}");
    // In order: positions only grow.
    let positions: Vec<(u64, u64)> = ids
        .iter()
        .map(|id| {
            let (ms, seq) = id.split_once('-').expect("stream id");
            (ms.parse().expect("ms"), seq.parse().expect("seq"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order");
}

#[tokio::test]
async fn failover_loses_nothing_reported_sent() {
    let Some(drill) = Drill::start().await else {
        return;
    };
    let victim = owner_of(&drill.cluster.url(), &drill.key).await;
    eprintln!("failover of master :{victim}");
    drill
        .run(async {
            drill.cluster.kill(victim);
        })
        .await;
}

/// A node's connection to one cluster node, for the resharding steps.
async fn node(port: u16) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("cluster node")
}

async fn node_id(port: u16) -> String {
    redis::cmd("CLUSTER")
        .arg("MYID")
        .query_async(&mut node(port).await)
        .await
        .expect("CLUSTER MYID")
}

/// Moves `slot` from master `from` to master `to` as `redis-cli --cluster
/// reshard` does, key by key, pausing at each step so that commands meet
/// every state of a migration: `ASK` while the slot is migrating, `TRYAGAIN`
/// for scripts whose keys are split, `MOVED` once it has moved.
async fn migrate_slot(ports: &[u16], slot: u16, from: u16, to: u16) {
    let pause = || tokio::time::sleep(Duration::from_millis(300));
    let (from_id, to_id) = (node_id(from).await, node_id(to).await);
    let setslot = |port: u16, state: &'static str, id: String| async move {
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SETSLOT").arg(slot).arg(state).arg(id);
        let done: redis::RedisResult<()> = cmd.query_async(&mut node(port).await).await;
        done.unwrap_or_else(|e| panic!("SETSLOT {state} on :{port}: {e}"));
    };
    setslot(to, "IMPORTING", from_id.clone()).await;
    setslot(from, "MIGRATING", to_id.clone()).await;
    pause().await;
    let mut source = node(from).await;
    let mut migrated = 0;
    loop {
        let keys: Vec<String> = redis::cmd("CLUSTER")
            .arg("GETKEYSINSLOT")
            .arg(slot)
            .arg(1)
            .query_async(&mut source)
            .await
            .expect("GETKEYSINSLOT");
        let Some(key) = keys.first() else {
            break;
        };
        let moved: redis::RedisResult<()> = redis::cmd("MIGRATE")
            .arg("127.0.0.1")
            .arg(to)
            .arg("")
            .arg(0)
            .arg(5000)
            .arg("KEYS")
            .arg(key)
            .query_async(&mut source)
            .await;
        moved.expect("MIGRATE");
        migrated += 1;
        pause().await;
    }
    eprintln!("{migrated} keys of slot {slot} migrated");
    // The new owner first, then everyone else, as redis-cli does.
    setslot(to, "NODE", to_id.clone()).await;
    setslot(from, "NODE", to_id.clone()).await;
    for port in ports.iter().filter(|p| **p != from && **p != to) {
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SETSLOT").arg(slot).arg("NODE").arg(&to_id);
        // A replica refuses SETSLOT; the masters learn it, replicas follow.
        let _: redis::RedisResult<()> = cmd.query_async(&mut node(*port).await).await;
    }
}

#[tokio::test]
async fn resharding_loses_nothing_reported_sent() {
    let Some(drill) = Drill::start().await else {
        return;
    };
    let url = drill.cluster.url();
    let from = owner_of(&url, &drill.key).await;
    let to = cluster_masters(&url)
        .await
        .expect("masters")
        .iter()
        .filter_map(|m| m.rsplit(':').next()?.parse::<u16>().ok())
        .find(|port| *port != from)
        .expect("another master");
    let slot: u16 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(&drill.key)
        .query_async(&mut node(from).await)
        .await
        .expect("KEYSLOT");
    eprintln!("slot {slot} of the conversation moves from :{from} to :{to}");
    drill
        .run(migrate_slot(&drill.cluster.ports, slot, from, to))
        .await;
    assert_eq!(owner_of(&url, &drill.key).await, to, "the slot moved");
}
