//! A django-chat deployment as data (`tests/fixtures/django-chat/`, made by
//! running django-chat itself), loaded into a test's own PostgreSQL
//! database and Redis key prefix: what chatstream takes over.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::helpers::{TestEnv, TestUser};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/django-chat");

/// The accounts of the fixture's README: (email, password).
pub const ACCOUNTS: [(&str, &str); 4] = [
    ("ada@example.com", "Analytical-Engine-1843"),
    ("grace@example.com", "Compiler-A0-1952!"),
    ("linus@example.com", "Just-For-Fun-1991"),
    ("admin@example.com", "Admin-Passw0rd-2026"),
];

pub const ENGINES: &str = "f606dfab-69fe-498f-be0b-d0dd502a1016";
pub const KERNEL: &str = "510e94db-bc6d-42c5-b774-4ac281c389b9";

/// A test environment holding the django-chat deployment, before any
/// chatstream node has started on it.
pub struct DjangoChat {
    pub env: TestEnv,
    pub database_url: String,
    pub redis_url: String,
    pub prefix: String,
}

/// Loads the fixture, or `None` (with a note) in embedded mode: django-chat
/// runs on PostgreSQL and Redis only.
pub async fn load() -> Option<DjangoChat> {
    let env = TestEnv::new().await;
    let vars = env.vars();
    let database_url = vars["DATABASE_URL"].clone();
    if !env.uses_redis() || !database_url.starts_with("postgres") {
        eprintln!("skipped: a django-chat deployment needs TEST_DATABASE_URL and TEST_REDIS_URL");
        return None;
    }
    if crate::helpers::redis_cluster() {
        eprintln!("skipped on a Redis Cluster: django-chat's key names are single-server");
        return None;
    }
    let redis_url = vars["REDIS_URL"].clone();
    let prefix = vars["REDIS_KEY_PREFIX"].clone();
    load_database(&database_url);
    load_streams(&redis_url, &prefix).await;
    Some(DjangoChat {
        env,
        database_url,
        redis_url,
        prefix,
    })
}

/// The dump through `psql`, as the fixture's README says. psql's
/// `\restrict` lines are dropped: psql releases before August 2025 do not
/// know them, and they only guard against a hostile server.
fn load_database(url: &str) {
    let dump = std::fs::read_to_string(format!("{FIXTURE}/database.sql")).expect("database.sql");
    let script: String = dump
        .lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .flat_map(|line| [line, "\n"])
        .collect();
    let mut psql = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql runs (the django-chat tests need the PostgreSQL client tools)");
    psql.stdin
        .take()
        .expect("psql stdin")
        .write_all(script.as_bytes())
        .expect("dump written to psql");
    assert!(
        psql.wait().expect("psql finished").success(),
        "psql loaded database.sql"
    );
}

/// The fixture's streams, as `key -> [{id, fields}]`.
pub fn streams() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(format!("{FIXTURE}/streams.json")).expect("streams.json");
    match serde_json::from_str(&text).expect("streams.json is JSON") {
        Value::Object(streams) => streams,
        other => panic!("streams.json is an object, not {other}"),
    }
}

/// `XADD key <id> field value ...` per entry, in order, under the test's
/// prefix (which is how chatstream names its keys when given one).
async fn load_streams(redis_url: &str, prefix: &str) {
    let mut conn = redis_connection(redis_url).await;
    for (key, entries) in streams() {
        for entry in entries.as_array().expect("entries") {
            let mut xadd = redis::cmd("XADD");
            xadd.arg(format!("{prefix}{key}"))
                .arg(entry["id"].as_str().expect("id"));
            for (field, value) in entry["fields"].as_object().expect("fields") {
                xadd.arg(field).arg(value.as_str().expect("string field"));
            }
            let _: String = xadd.query_async(&mut conn).await.expect("XADD");
        }
    }
}

pub async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection")
}

/// The tables the dump created, in its order.
pub fn dumped_tables() -> Vec<String> {
    let dump = std::fs::read_to_string(format!("{FIXTURE}/database.sql")).expect("database.sql");
    dump.lines()
        .filter_map(|line| line.strip_prefix("CREATE TABLE public."))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// `pg_dump` output with `args`, without the random `\restrict` key lines.
pub fn pg_dump(url: &str, args: &[&str]) -> String {
    let output = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", "-d", url])
        .args(args)
        .output()
        .expect("pg_dump runs (the django-chat tests need the PostgreSQL client tools)");
    assert!(
        output.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 dump")
        .lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .flat_map(|line| [line, "\n"])
        .collect()
}

/// `pg_dump` of the dump's own tables: their definitions or their rows.
pub fn dump_django_tables(url: &str, part: &str) -> String {
    let tables = dumped_tables();
    let mut args = vec![part];
    for table in &tables {
        args.extend(["-t", table.as_str()]);
    }
    pg_dump(url, &args)
}

/// Appends `count` messages of `sender` to `key` as django-chat writes
/// them (its fields, no ordinal of ours); returns their ids.
pub async fn xadd_as_django_chat(
    redis: &mut redis::aio::MultiplexedConnection,
    key: &str,
    sender: &TestUser,
    count: usize,
) -> Vec<String> {
    let mut pipe = redis::pipe();
    for n in 0..count {
        pipe.cmd("XADD")
            .arg(key)
            .arg("*")
            .arg("user_id")
            .arg(sender.id)
            .arg("username")
            .arg(&sender.username)
            .arg("content")
            .arg(format!("django {n}"))
            .arg("timestamp")
            .arg("2024-05-01T12:00:00.000000");
    }
    pipe.query_async(redis).await.expect("xadd")
}

/// Every entry of the stream `key`, oldest first.
pub async fn stream_entries(
    redis: &mut redis::aio::MultiplexedConnection,
    key: &str,
) -> redis::streams::StreamRangeReply {
    redis::cmd("XRANGE")
        .arg(key)
        .arg("-")
        .arg("+")
        .query_async(redis)
        .await
        .expect("XRANGE")
}

/// Reads `key` as a django-chat node would, which breaks unless every entry
/// is a message in django-chat's form: an integer `user_id`, a `username`,
/// a `content` and a naive ISO `timestamp`. Answers how many entries there are.
pub async fn read_as_django_chat(
    redis: &mut redis::aio::MultiplexedConnection,
    key: &str,
) -> usize {
    let entries = stream_entries(redis, key).await;
    for entry in &entries.ids {
        let field = |name: &str| -> String {
            entry
                .get(name)
                .unwrap_or_else(|| panic!("{} has no {name}", entry.id))
        };
        field("user_id").parse::<i64>().expect("an integer user_id");
        assert!(!field("username").is_empty());
        assert!(!field("content").is_empty());
        let timestamp = field("timestamp");
        chrono::NaiveDateTime::parse_from_str(&timestamp, "%Y-%m-%dT%H:%M:%S%.6f")
            .unwrap_or_else(|e| panic!("{timestamp:?} is not a naive isoformat time: {e}"));
    }
    entries.ids.len()
}
