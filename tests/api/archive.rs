//! The archive (`STREAM_HOT_MESSAGES`): in Redis mode each stream keeps its
//! latest entries and older ones move to the database. History, `since`
//! replay, edits and deletes read across that boundary with no gap and no
//! duplicate; a half-done batch of a dead node and its expiring lease end
//! with each entry archived once. On the embedded backend the same reads
//! run over its one table (the setting does not apply there).

use std::time::Duration;

use chatstream::{
    backends::message_log::archive::{Archive, Archived},
    domain::{ConversationId, StreamId, User, UserId, message::Message},
};
use redis::aio::MultiplexedConnection;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    django_fixture::{stream_entries, xadd_as_django_chat},
    helpers::{TestApp, TestEnv, TestUser},
    support::id_of,
    ws_client::WsClient,
};

const HOT: usize = 100;
/// A stream is archived once it is a tenth over the limit.
const THRESHOLD: usize = HOT + HOT / 10;

const HISTORY: &str = r#"query($id: ID!, $from: StreamId, $before: StreamId, $limit: Int) {
  messages(conversationId: $id, from: $from, before: $before, limit: $limit) {
    messages { id content editedAt deleted } hasMore
  }
}"#;

/// An environment whose streams keep `HOT` entries and archive the rest.
async fn archive_env() -> TestEnv {
    let mut env = TestEnv::new().await;
    env.set("STREAM_HOT_MESSAGES", &HOT.to_string());
    // Archive at once: the stream readers of these small tests are never
    // a hundred entries behind.
    env.set("STREAM_ARCHIVE_MIN_AGE_SECS", "0");
    env.set("RATE_LIMIT_MESSAGES", "100000");
    env
}

/// [`archive_env`] on Redis, with a connection to it and the key prefix;
/// `None` when embedded (the archive is Redis mode's).
async fn archive_on_redis() -> Option<(TestEnv, MultiplexedConnection, String)> {
    let env = archive_env().await;
    let (redis, prefix) = env.redis().await?;
    Some((env, redis, prefix))
}

/// The environment's database, as the archive sees it.
async fn database(env: &TestEnv) -> DatabaseConnection {
    Database::connect(&env.vars()["DATABASE_URL"])
        .await
        .expect("database")
}

/// Sends `count` messages from four concurrent senders; returns them
/// (REST JSON) in id order.
async fn send_many(app: &TestApp, user: &TestUser, conversation: &str, count: usize) -> Vec<Value> {
    let sent = app
        .send_concurrently(user, conversation, count, 4, |n| format!("message {n}"))
        .await;
    let mut sent: Vec<Value> = sent.into_iter().flatten().collect();
    sent.sort_by_key(stream_id);
    sent
}

fn stream_id(message: &Value) -> StreamId {
    message["id"]
        .as_str()
        .expect("an id")
        .parse()
        .expect("a stream id")
}

fn ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Every id in the conversation, paging forward over REST, `limit` a page.
async fn forward(app: &TestApp, user: &TestUser, conversation: &str, limit: usize) -> Vec<String> {
    let (mut all, mut cursor) = (Vec::new(), "0-0".to_owned());
    loop {
        let (status, body) = app
            .get(
                &format!(
                    "/api/v1/conversations/{conversation}/messages?from={cursor}&limit={limit}"
                ),
                Some(&user.access),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let page = ids(body["messages"].as_array().expect("messages"));
        if page.is_empty() {
            return all;
        }
        cursor = body["next_from"].as_str().expect("next_from").to_owned();
        all.extend(page);
    }
}

/// Every id in the conversation, paging backward over GraphQL.
async fn backward(app: &TestApp, user: &TestUser, conversation: &str, limit: usize) -> Vec<String> {
    let (mut all, mut before) = (Vec::<String>::new(), None::<String>);
    loop {
        let body = app
            .graphql(
                HISTORY,
                json!({ "id": conversation, "before": before, "limit": limit }),
                Some(&user.access),
            )
            .await;
        let page = &body["data"]["messages"];
        let chunk = ids(page["messages"].as_array().expect("messages"));
        assert!(!chunk.is_empty(), "{body}");
        before = Some(chunk[0].clone());
        all.splice(0..0, chunk);
        if page["hasMore"] != true {
            return all;
        }
    }
}

async fn stream_length(redis: &mut MultiplexedConnection, key: &str) -> usize {
    redis::cmd("XLEN")
        .arg(key)
        .query_async(redis)
        .await
        .expect("XLEN")
}

/// Waits until the archiver has brought the stream back within its limit
/// (a readiness poll, with a deadline); returns its length.
async fn archived(redis: &mut MultiplexedConnection, key: &str) -> usize {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let length = stream_length(redis, key).await;
        if length <= THRESHOLD {
            return length;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {length} entries in {key}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The stream ids in the archive table and in the Redis stream (each
/// test has a database of its own, so every row is this test's), read
/// when no batch is between its insert and its trim: until then a batch's
/// entries are rightly in both tiers, so the reads are repeated (with a
/// deadline) until the stream is the same before and after the table is
/// read and its oldest entry is not in the table. Past the deadline the
/// last reading is returned, for the caller's assertions to report.
async fn tiers(
    redis: &mut MultiplexedConnection,
    key: &str,
    db: &DatabaseConnection,
) -> (Vec<String>, Vec<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let hot = hot_ids(redis, key).await;
        let cold = archived_ids(db).await;
        let settled = hot == hot_ids(redis, key).await
            && hot.first().is_none_or(|oldest| !cold.contains(oldest));
        if settled || tokio::time::Instant::now() >= deadline {
            return (cold, hot);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn hot_ids(redis: &mut MultiplexedConnection, key: &str) -> Vec<String> {
    let hot = stream_entries(redis, key).await;
    hot.ids.into_iter().map(|e| e.id).collect()
}

async fn archived_ids(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT ms, seq FROM messages ORDER BY ms, seq",
        ))
        .await
        .expect("archive rows");
    rows.iter()
        .map(|row| {
            let ms: i64 = row.try_get("", "ms").expect("ms");
            let seq: i64 = row.try_get("", "seq").expect("seq");
            format!("{ms}-{seq}")
        })
        .collect()
}

/// Each sent id is in exactly one tier, the archive holding the oldest.
fn assert_each_once(sent: &[String], (cold, hot): (Vec<String>, Vec<String>)) {
    assert!(
        (HOT..=THRESHOLD).contains(&hot.len()),
        "Redis keeps about {HOT}: {}",
        hot.len()
    );
    let mut both = cold.clone();
    both.extend(hot);
    assert_eq!(both, sent, "archive then stream: every id once, in order");
    assert!(cold.len() >= sent.len() - THRESHOLD);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_across_the_archive_boundary_equal_what_was_sent() {
    let env = archive_env().await;
    let app = env.spawn().await;
    let user = app.signup("archivist").await;
    let c = create_conversation(&app, &user, "long", &[]).await;
    let entries_before = metric_or_zero(&app, "archive_entries_total").await;
    let sent = ids(&send_many(&app, &user, &c, 1000).await);

    if let Some((mut redis, prefix)) = env.redis().await {
        let key = format!("{prefix}stream:conv:{c}");
        archived(&mut redis, &key).await;
        let db = database(&env).await;
        let (cold, hot) = tiers(&mut redis, &key, &db).await;
        let archived_rows = cold.len();
        assert_each_once(&sent, (cold, hot));
        let entries = app.metric("archive_entries_total").await;
        assert!(entries - entries_before >= archived_rows as f64);
        let _lag = app.metric("archive_lag_seconds").await;
    }

    assert_eq!(forward(&app, &user, &c, 100).await, sent);
    assert_eq!(backward(&app, &user, &c, 37).await, sent);
    // One page from the archive into the stream: an ordinary page.
    let body = app
        .graphql(
            HISTORY,
            json!({ "id": c, "from": sent[849], "limit": 100 }),
            Some(&user.access),
        )
        .await;
    let page = body["data"]["messages"]["messages"]
        .as_array()
        .expect("page")
        .clone();
    assert_eq!(ids(&page), sent[850..950]);
    let body = app
        .graphql(HISTORY, json!({ "id": c, "limit": 10 }), Some(&user.access))
        .await;
    let latest = body["data"]["messages"]["messages"]
        .as_array()
        .expect("page")
        .clone();
    assert_eq!(ids(&latest), sent[990..]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_replay_edits_and_deletes_reach_archived_messages() {
    let env = archive_env().await;
    let app = env.spawn().await;
    let (alice, bob, c) = app.pair("old news").await;
    let sent = ids(&send_many(&app, &alice, &c, 300).await);
    if let Some((mut redis, prefix)) = env.redis().await {
        archived(&mut redis, &format!("{prefix}stream:conv:{c}")).await;
    }

    // `since` an archived message: the rest of the archive, the stream,
    // then live.
    let mut client = WsClient::watching(&app, &alice.access, "s", &c, Some(&sent[10])).await;
    let mut replayed = Vec::new();
    while replayed.len() < sent.len() - 11 {
        replayed.push(id_of(&client.next_message("s").await));
    }
    assert_eq!(replayed, sent[11..]);
    let live = app.send_message(&alice, &c, "live").await;
    assert_eq!(client.next_message("s").await["id"], live["id"]);

    // Edit and delete messages that are in the archive by now.
    let edit = app.edit_message(&alice, &c, &sent[5], "rewritten").await;
    assert_eq!(
        edit["data"]["editMessage"]["content"], "rewritten",
        "{edit}"
    );
    let delete = app.delete_message(&alice, &c, &sent[6]).await;
    assert_eq!(delete["data"]["deleteMessage"]["deleted"], true, "{delete}");
    let body = app
        .graphql(
            HISTORY,
            json!({ "id": c, "before": sent[8], "limit": 5 }),
            Some(&alice.access),
        )
        .await;
    let page = body["data"]["messages"]["messages"]
        .as_array()
        .expect("page")
        .clone();
    assert_eq!(ids(&page), sent[3..8]);
    assert_eq!(page[2]["content"], "rewritten");
    assert!(page[2]["editedAt"].is_string());
    assert_eq!(page[3]["deleted"], true);
    assert_eq!(page[3]["content"], "");

    // A read marker on an archived message: its place comes from the
    // archive (301 messages, 11 read, the deleted one among those read).
    let body = app.mark_read(&bob, &c, &sent[10]).await;
    assert_eq!(body["data"]["markRead"]["unreadCount"], 290, "{body}");
    assert_eq!(body["data"]["markRead"]["lastReadId"], sent[10].as_str());
    app.stop().await;
}

/// A node died holding the lease, after committing a batch and before
/// trimming it: once its lease expires another node archives the rest,
/// and each entry ends up in exactly one place, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_half_done_batch_and_lease_archive_each_entry_once() {
    let Some((env, mut redis, prefix)) = archive_on_redis().await else {
        return;
    };
    let lease = format!("{prefix}chatstream:archive:lease");
    let _: () = redis::cmd("SET")
        .arg(&lease)
        .arg("a-dead-node")
        .arg("PX")
        .arg(600_000)
        .query_async(&mut redis)
        .await
        .expect("SET lease");
    let app = env.spawn().await;
    let alice = app.signup("alice").await;
    let c = create_conversation(&app, &alice, "crash", &[]).await;
    let sent_json = send_many(&app, &alice, &c, 400).await;
    let sent = ids(&sent_json);
    let key = format!("{prefix}stream:conv:{c}");
    assert_eq!(
        stream_length(&mut redis, &key).await,
        400,
        "nothing is archived while another node holds the lease"
    );

    // The dead node's committed batch: the oldest 150 in the archive.
    let db = database(&env).await;
    let rows: Vec<Archived> = sent_json[..150]
        .iter()
        .zip(1..)
        .map(|(m, ordinal)| Archived {
            message: as_message(m, &alice),
            ordinal,
        })
        .collect();
    let inserted = Archive::new(db.clone())
        .insert(&rows)
        .await
        .expect("insert");
    assert_eq!(inserted, 150);

    let _: i64 = redis::cmd("PEXPIRE")
        .arg(&lease)
        .arg(1)
        .query_async(&mut redis)
        .await
        .expect("lease expires");
    archived(&mut redis, &key).await;
    assert_each_once(&sent, tiers(&mut redis, &key, &db).await);
    assert_eq!(forward(&app, &alice, &c, 100).await, sent);
    assert_eq!(backward(&app, &alice, &c, 64).await, sent);
    app.stop().await;
}

/// A message as REST showed it, as the archive stores it.
fn as_message(json: &Value, sender: &TestUser) -> Message {
    Message {
        id: stream_id(json),
        conversation_id: ConversationId(
            json["conversation_id"]
                .as_str()
                .expect("conversation id")
                .parse()
                .expect("uuid"),
        ),
        sender: User {
            id: UserId(sender.id),
            email: sender.email.clone(),
            username: sender.username.clone(),
            first_name: sender.username.clone(),
            last_name: "Tester".into(),
        },
        content: json["content"].as_str().expect("content").to_owned(),
        created_at: chrono::DateTime::parse_from_rfc3339(
            json["timestamp"].as_str().expect("timestamp"),
        )
        .expect("rfc 3339")
        .into(),
        edited_at: None,
        deleted: false,
    }
}

async fn metric_or_zero(app: &TestApp, name: &str) -> f64 {
    app.metric_opt(name).await.unwrap_or(0.0)
}

/// The database refuses a batch (here a row in the way of its ordinals,
/// standing in for any failure): the archiver counts the failure and
/// retries with back-off, nothing is trimmed, the node stays healthy and
/// serves history, and once the database accepts the rows it catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_database_leaves_the_node_healthy_and_archiving_resumes() {
    let Some((env, mut redis, prefix)) = archive_on_redis().await else {
        return;
    };
    let app = env.spawn().await;
    let alice = app.signup("alice").await;
    let c = create_conversation(&app, &alice, "blip", &[]).await;
    let db = database(&env).await;
    let first = send_many(&app, &alice, &c, 1).await;
    let mut blocker = as_message(&first[0], &alice);
    blocker.id = StreamId::new(1, 0);
    let rows = [Archived {
        message: blocker,
        ordinal: 5,
    }];
    Archive::new(db.clone())
        .insert(&rows)
        .await
        .expect("insert");
    let failures = metric_or_zero(&app, "archive_failures_total").await;

    let mut sent = ids(&first);
    sent.extend(ids(&send_many(&app, &alice, &c, 299).await));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    // Readiness poll: until the archiver has tried and failed.
    while metric_or_zero(&app, "archive_failures_total").await <= failures {
        assert!(tokio::time::Instant::now() < deadline, "no failure seen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key = format!("{prefix}stream:conv:{c}");
    assert_eq!(
        stream_length(&mut redis, &key).await,
        300,
        "nothing trimmed"
    );
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "healthy");

    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM messages WHERE ms = 1",
    ))
    .await
    .expect("remove the blocker");
    archived(&mut redis, &key).await;
    assert_each_once(&sent, tiers(&mut redis, &key, &db).await);
    assert_eq!(forward(&app, &alice, &c, 100).await, sent);
    app.stop().await;
}

/// Two nodes, both sending, one lease: each entry archived once, and
/// either node serves the whole history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_archive_each_entry_once() {
    let Some((env, mut redis, prefix)) = archive_on_redis().await else {
        return;
    };
    let (one, two) = (env.spawn().await, env.spawn().await);
    let alice = one.signup("alice").await;
    let c = create_conversation(&one, &alice, "shared", &[]).await;
    let (a, b) = tokio::join!(
        send_many(&one, &alice, &c, 300),
        send_many(&two, &alice, &c, 300)
    );
    let mut sent: Vec<Value> = a.into_iter().chain(b).collect();
    sent.sort_by_key(stream_id);
    let sent = ids(&sent);
    let key = format!("{prefix}stream:conv:{c}");
    archived(&mut redis, &key).await;
    let db = database(&env).await;
    assert_each_once(&sent, tiers(&mut redis, &key, &db).await);
    assert_eq!(forward(&two, &alice, &c, 100).await, sent);
    assert_eq!(backward(&one, &alice, &c, 100).await, sent);
    one.stop().await;
    two.stop().await;
}

/// Entries django-chat wrote (no `ordinal` field) are numbered when
/// archived as the stream numbers them, so unread counts stay right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_chat_entries_keep_their_places_in_the_archive() {
    let Some((env, mut redis, prefix)) = archive_on_redis().await else {
        return;
    };
    let app = env.spawn().await;
    let (alice, bob, c) = app.pair("mixed").await;
    let first = app.send_message(&alice, &c, "ours").await;
    let key = format!("{prefix}stream:conv:{c}");
    let django = xadd_as_django_chat(&mut redis, &key, &alice, 300).await;
    // Django-chat's appends do not mark the stream due; one in 64 of ours
    // over the threshold does.
    send_many(&app, &alice, &c, 64).await;
    archived(&mut redis, &key).await;

    let body = app.mark_read(&bob, &c, &django[49]).await;
    // 365 messages, the first 51 read.
    assert_eq!(body["data"]["markRead"]["unreadCount"], 314, "{body}");
    let mut all = vec![first["id"].as_str().expect("id").to_owned()];
    all.extend(django);
    assert_eq!(forward(&app, &bob, &c, 100).await[..301], all[..]);
    app.stop().await;
}

/// Pages read while the archiver moves the boundary under them (forward
/// and backward): every traversal is in order without a duplicate and
/// holds every message acknowledged before it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_while_the_archiver_trims_has_no_gap_or_duplicate() {
    let Some((env, mut redis, prefix)) = archive_on_redis().await else {
        return;
    };
    let app = env.spawn().await;
    let alice = app.signup("alice").await;
    let c = create_conversation(&app, &alice, "moving", &[]).await;
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sender = {
        let (client, url, token, acked) = (
            app.client.clone(),
            app.url(&format!("/api/v1/conversations/{c}/messages")),
            alice.access.clone(),
            acked.clone(),
        );
        tokio::spawn(async move {
            for n in 0..1000 {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "content": format!("moving {n}") }))
                    .send()
                    .await
                    .expect("sent");
                let body: Value = response.json().await.expect("json");
                let id = body["id"].as_str().expect("id").to_owned();
                acked.lock().expect("acked").push(id);
            }
        })
    };
    let mut traversals = 0;
    while !sender.is_finished() {
        let before: Vec<String> = acked.lock().expect("acked").clone();
        // Forward over REST and backward over GraphQL, in turns.
        let seen = if traversals % 2 == 1 && !before.is_empty() {
            backward(&app, &alice, &c, 100).await
        } else {
            forward(&app, &alice, &c, 100).await
        };
        let parsed: Vec<StreamId> = seen.iter().map(|s| s.parse().expect("id")).collect();
        assert!(parsed.windows(2).all(|w| w[0] < w[1]), "in order, once");
        let seen: std::collections::HashSet<String> = seen.into_iter().collect();
        assert!(before.iter().all(|id| seen.contains(id)), "no gap");
        traversals += 1;
    }
    sender.await.expect("sender");
    let key = format!("{prefix}stream:conv:{c}");
    archived(&mut redis, &key).await;
    let mut sent = acked.lock().expect("acked").clone();
    sent.sort_by_key(|s| s.parse::<StreamId>().expect("id"));
    assert_eq!(forward(&app, &alice, &c, 100).await, sent);
    assert!(traversals > 0);
    app.stop().await;
}
