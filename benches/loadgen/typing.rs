//! `typing`: N users in C conversations, each connected over graphql-ws
//! (spread over the nodes given) and subscribed to their conversation's
//! `conversationEvents`; each calls `setTyping` at keystroke rate and sends
//! a message now and then. Reports the typing signals delivered per second
//! (after the server's coalescing), `setTyping` latency, whether every node
//! lists every connected participant as online, and Redis commands per
//! second per node.
//!
//! Signal latency: the first user is a probe that calls `setTyping` every
//! 2.1 s, just past the coalescing window, so each call is sent at once;
//! its conversation's members (on every node) time each from the call.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use serde_json::json;

use crate::{
    api::{self, Api, User},
    report, ws,
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 200)]
    users: usize,
    #[arg(long, default_value_t = 20)]
    conversations: usize,
    /// `setTyping` calls per user per second.
    #[arg(long, default_value_t = 5.0)]
    keystrokes: f64,
    /// Seconds between one user's messages.
    #[arg(long, default_value_t = 10.0)]
    send_every: f64,
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// Nodes to spread the users over (repeat the flag); default `--url`.
    #[arg(long = "node")]
    nodes: Vec<String>,
    /// The Redis the nodes share, for commands per second.
    #[arg(long)]
    redis_url: Option<String>,
}

const EVENTS: &str = "subscription($id: ID!) { conversationEvents(conversationId: $id) { __typename ... on TypingChanged { typing user { id } } ... on PresenceChanged { online user { id } } } }";
const SET_TYPING: &str = "mutation($id: ID!) { setTyping(conversationId: $id) }";
const ONLINE: &str = "query($id: ID!) { conversation(id: $id) { onlineParticipants { id } } }";

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let nodes: Vec<Api> = if args.nodes.is_empty() {
        vec![api.clone()]
    } else {
        args.nodes.iter().map(|url| Api::new(url)).collect()
    };
    let tag = api::run_tag();
    let users = api::users(api, &format!("lgt{tag}u"), args.users).await?;
    let conversations = args.conversations.clamp(1, users.len().max(1));
    // User i is in conversation i % C; its first member creates it.
    let mut ids = Vec::with_capacity(conversations);
    for (c, owner) in users.iter().take(conversations).enumerate() {
        ids.push(
            api.create_conversation(owner, &format!("typing {tag} {c}"))
                .await?,
        );
    }
    for (i, user) in users.iter().enumerate().skip(conversations) {
        api.add_participant(&users[i % conversations], &ids[i % conversations], user)
            .await?;
    }
    let connecting = Instant::now();
    let sockets: Vec<anyhow::Result<ws::Socket>> = stream::iter(users.iter().enumerate())
        .map(|(i, user)| {
            let node = &nodes[i % nodes.len()];
            ws::graphql(node, user, EVENTS, json!({ "id": ids[i % conversations] }))
        })
        .buffered(64)
        .collect()
        .await;
    let sockets: Vec<ws::Socket> = sockets.into_iter().collect::<anyhow::Result<_>>()?;
    eprintln!(
        "connected {} users on {} node(s) in {:.1}s",
        users.len(),
        nodes.len(),
        connecting.elapsed().as_secs_f64()
    );
    let typing_seen = Arc::new(AtomicU64::new(0));
    let presence_seen = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    // When the probe last called, in µs since `epoch`; 0 before its first.
    let probe_call = Arc::new(AtomicU64::new(0));
    let probe_latency = Arc::new(std::sync::Mutex::new(report::histogram()));
    let probe_id = format!("\"id\":\"{}\"", users[0].id);
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let (typing, presence) = (typing_seen.clone(), presence_seen.clone());
            let (probe_call, probe_latency) = (probe_call.clone(), probe_latency.clone());
            let probe_id = probe_id.clone();
            tokio::spawn(async move {
                while let Some(frame) = socket.next_text().await {
                    if frame.contains("TypingChanged") {
                        typing.fetch_add(1, Ordering::Relaxed);
                        let called = probe_call.load(Ordering::Relaxed);
                        if called > 0 && frame.contains(&probe_id) && frame.contains("true") {
                            let now = epoch.elapsed().as_micros() as u64;
                            if let Ok(mut h) = probe_latency.lock() {
                                let _ = h.record(now.saturating_sub(called).max(1));
                            }
                        }
                    } else if frame.contains("PresenceChanged") {
                        presence.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    let (correct, sampled) = presence_check(&nodes, &users, &ids).await;
    let redis_before = redis_commands(args.redis_url.as_deref()).await;
    typing_seen.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let calls = Arc::new(std::sync::Mutex::new(report::histogram()));
    let failures = Arc::new(AtomicU64::new(0));
    let probe = {
        let (node, user, conversation) = (nodes[0].clone(), users[0].clone(), ids[0].clone());
        let probe_call = probe_call.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(2100));
            while Instant::now() < deadline {
                every.tick().await;
                probe_call.store(epoch.elapsed().as_micros() as u64, Ordering::Relaxed);
                let body = json!({ "query": SET_TYPING, "variables": { "id": conversation } });
                let _ = node.post("/graphql", Some(&user.access), body).await;
            }
        })
    };
    let typists: Vec<_> = users
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, user)| {
            let node = nodes[i % nodes.len()].clone();
            let (user, conversation) = (user.clone(), ids[i % conversations].clone());
            let (calls, failures) = (calls.clone(), failures.clone());
            let (keystroke, send_every) = (
                Duration::from_secs_f64(1.0 / args.keystrokes.max(0.1)),
                Duration::from_secs_f64(args.send_every.max(0.1)),
            );
            tokio::spawn(async move {
                type_until(
                    &node,
                    &user,
                    &conversation,
                    (keystroke, send_every),
                    deadline,
                    (&calls, &failures),
                )
                .await;
            })
        })
        .collect();
    for typist in typists {
        let _ = typist.await;
    }
    let _ = probe.await;
    let elapsed = started.elapsed().as_secs_f64();
    let redis_after = redis_commands(args.redis_url.as_deref()).await;
    let typing = typing_seen.load(Ordering::Relaxed);
    for reader in readers {
        reader.abort();
    }
    let calls = calls
        .lock()
        .map(|h| h.clone())
        .unwrap_or_else(|_| report::histogram());
    let latency = probe_latency
        .lock()
        .map(|h| h.clone())
        .unwrap_or_else(|_| report::histogram());
    let redis_per_node = match (redis_before, redis_after) {
        (Some(before), Some(after)) => Some((after - before) as f64 / elapsed / nodes.len() as f64),
        _ => None,
    };
    let human = format!(
        "{} users in {} conversations on {} node(s), {:.0} setTyping/s offered ({} failed): p50 {:.2} ms p99 {:.2} ms\n\
         typing signals delivered: {:.0}/s ({typing} in {elapsed:.1}s); call to delivery (probe, every node): p50 {:.2} ms p99 {:.2} ms ({} samples)\n\
         presence: {correct}/{sampled} (node, conversation) samples listed every member online\n\
         redis: {}",
        users.len(),
        conversations,
        nodes.len(),
        calls.len() as f64 / elapsed,
        failures.load(Ordering::Relaxed),
        calls.value_at_quantile(0.5) as f64 / 1000.0,
        calls.value_at_quantile(0.99) as f64 / 1000.0,
        typing as f64 / elapsed,
        latency.value_at_quantile(0.5) as f64 / 1000.0,
        latency.value_at_quantile(0.99) as f64 / 1000.0,
        latency.len(),
        redis_per_node.map_or("not measured (--redis-url)".to_owned(), |r| format!(
            "{r:.0} commands/s per node"
        )),
    );
    report::emit(
        "typing",
        &human,
        json!({
            "users": users.len(),
            "conversations": conversations,
            "nodes": nodes.len(),
            "set_typing": report::percentiles(&calls),
            "set_typing_failed": failures.load(Ordering::Relaxed),
            "typing_signals_per_s": typing as f64 / elapsed,
            "signal_latency": report::percentiles(&latency),
            "presence_correct": correct,
            "presence_sampled": sampled,
            "redis_commands_per_s_per_node": redis_per_node,
        }),
    );
    Ok(())
}

/// One user: `setTyping` every keystroke, a message every `send_every`.
async fn type_until(
    node: &Api,
    user: &User,
    conversation: &str,
    (keystroke, send_every): (Duration, Duration),
    deadline: Instant,
    (calls, failures): (&std::sync::Mutex<hdrhistogram::Histogram<u64>>, &AtomicU64),
) {
    let mut tick = tokio::time::interval(keystroke);
    let mut last_send = Instant::now();
    let mut sent = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        let started = Instant::now();
        let ok = if last_send.elapsed() >= send_every {
            last_send = Instant::now();
            sent += 1;
            node.send(user, conversation, &format!("typed {sent}"))
                .await
                .is_ok_and(|status| status == 201)
        } else {
            let body = json!({ "query": SET_TYPING, "variables": { "id": conversation } });
            match node.post("/graphql", Some(&user.access), body).await {
                Ok((200, body)) => body["data"]["setTyping"] == true,
                _ => false,
            }
        };
        if ok {
            if let Ok(mut calls) = calls.lock() {
                let _ = calls.record(started.elapsed().as_micros() as u64);
            }
        } else {
            failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Asks every node, for up to 20 conversations, who is online: every
/// member is connected, so each answer must list them all.
async fn presence_check(nodes: &[Api], users: &[User], ids: &[String]) -> (usize, usize) {
    // Presence is announced as sockets open; give the last ones a moment.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (mut correct, mut sampled) = (0, 0);
    for node in nodes {
        for (c, id) in ids.iter().enumerate().take(20) {
            let reader = &users[c];
            let expected = users.iter().skip(c).step_by(ids.len()).count();
            let body = json!({ "query": ONLINE, "variables": { "id": id } });
            let listed = match node.post("/graphql", Some(&reader.access), body).await {
                Ok((200, body)) => body["data"]["conversation"]["onlineParticipants"]
                    .as_array()
                    .map_or(0, Vec::len),
                _ => 0,
            };
            sampled += 1;
            if listed == expected {
                correct += 1;
            }
        }
    }
    (correct, sampled)
}

/// Redis's `total_commands_processed`, if a Redis URL was given.
async fn redis_commands(url: Option<&str>) -> Option<u64> {
    let client = redis::Client::open(url?).ok()?;
    let mut connection = client.get_multiplexed_async_connection().await.ok()?;
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut connection)
        .await
        .ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|v| v.trim().parse().ok())
}
