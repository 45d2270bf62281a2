//! `storm`: S graphql-ws subscribers (`messageAdded`) in C conversations
//! receive M messages each; then every socket is dropped at once (no close
//! frame: the sockets are closed under the WebSocket, so the server sees the
//! TCP connection end, as when a network or a proxy fails), K more messages
//! are sent to each conversation while they are down, and every subscriber
//! reconnects with `since` = the last id it received. Reports how long until
//! all had caught up, lost / duplicated / out-of-order deliveries, and the
//! server's catch-up log reads during the storm (real and shared, from
//! `/metrics`).
//!
//! Each conversation's owner holds all of its conversation's sockets (the
//! server must allow it: `MAX_SOCKETS_PER_USER`), so only C users sign up.
//! Sockets come from several loopback source addresses (`--sources`):
//! 10,000 dropped connections wait in TIME_WAIT while 10,000 new ones open.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::{
    api::{self, Api, User},
    report, ws,
};

const QUERY: &str = "subscription($id: ID!, $since: StreamId) { messageAdded(conversationId: $id, since: $since) { id content } }";

#[derive(clap::Args)]
pub struct Args {
    /// Subscribers (sockets, one subscription each).
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Conversations they are spread over.
    #[arg(long, default_value_t = 100)]
    conversations: usize,
    /// Messages per conversation before the drop.
    #[arg(long, default_value_t = 20)]
    before: u64,
    /// Messages per conversation while the subscribers are down.
    #[arg(long, default_value_t = 5)]
    during: u64,
    /// Sockets connecting at once when reconnecting (all of them is a
    /// storm the listen backlog cannot hold).
    #[arg(long, default_value_t = 1000)]
    reconnect_concurrency: usize,
    /// Loopback source addresses to spread sockets over (127.0.0.2, ...).
    #[arg(long, default_value_t = 4)]
    sources: u8,
    /// Seconds to wait for every subscriber to have every message, per phase.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Seconds to keep listening once all have caught up (late duplicates).
    #[arg(long, default_value_t = 1)]
    settle: u64,
    /// `/metrics` bearer token, when the server requires one.
    #[arg(long)]
    metrics_token: Option<String>,
    /// The server's process id: report its CPU time from the drop until
    /// all have caught up.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// What one subscriber received, over both of its connections.
#[derive(Default)]
struct Seen {
    /// By sequence number (1-based, unique per conversation).
    received: Vec<bool>,
    unique: u64,
    duplicated: u64,
    out_of_order: u64,
    last_id: Option<(u64, u64)>,
    /// When the newest new message arrived.
    last_new: Option<Instant>,
    /// How the current connection's subscription ended early (an `error`
    /// frame, or the socket closed by the server), if it did.
    ended: Option<String>,
}

impl Seen {
    fn record(&mut self, delivered: &ws::Delivered) {
        let seq = delivered.seq as usize;
        if seq >= self.received.len() {
            self.received.resize(seq + 1, false);
        }
        if self.received[seq] {
            self.duplicated += 1;
        } else {
            self.received[seq] = true;
            self.unique += 1;
            self.last_new = Some(Instant::now());
        }
        if self.last_id.is_some_and(|last| delivered.id <= last) {
            self.out_of_order += 1;
        }
        self.last_id = Some(delivered.id);
    }

    /// `since` for a resume: the last id received.
    fn since(&self) -> Option<String> {
        self.last_id.map(|(ms, seq)| format!("{ms}-{seq}"))
    }
}

struct Subscriber {
    conversation: usize,
    seen: Arc<Mutex<Seen>>,
    /// Reads the current connection; aborting it drops the socket.
    reader: Option<JoinHandle<()>>,
    /// When it began reconnecting.
    reconnected: Option<Instant>,
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The address subscriber `n` connects from.
fn source(n: usize, sources: u8) -> IpAddr {
    let offset = u8::try_from(n % usize::from(sources.max(1))).unwrap_or(0);
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + offset))
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        api.base.starts_with("http://127.0.0.1") || api.base.starts_with("http://localhost"),
        "storm connects from loopback source addresses: the server must be on 127.0.0.1"
    );
    let conversations = args.conversations.max(1);
    let tag = api::run_tag();
    let owners = api::users(api, &format!("lgst{tag}_"), conversations).await?;
    let mut ids = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        ids.push(
            api.create_conversation(owner, &format!("storm {tag} {i}"))
                .await?,
        );
    }
    let sent: Arc<Vec<AtomicU64>> = Arc::new(ids.iter().map(|_| AtomicU64::new(0)).collect());
    let timeout = Duration::from_secs(args.timeout);

    // Subscribed from the start of each log, so every message sent after
    // reaches them whatever the timing: no warm-up needed.
    let started = Instant::now();
    let mut subscribers = Vec::with_capacity(args.subscribers);
    let connected: Vec<anyhow::Result<(usize, Subscriber)>> = stream::iter(0..args.subscribers)
        .map(|n| {
            let c = n % conversations;
            let seen = Arc::new(Mutex::new(Seen::default()));
            let (owner, id) = (&owners[c], &ids[c]);
            async move {
                let from = source(n, args.sources);
                let reader = listen(api, owner, from, id, Some("0-0".into()), seen.clone()).await?;
                Ok((
                    n,
                    Subscriber {
                        conversation: c,
                        seen,
                        reader: Some(reader),
                        reconnected: None,
                    },
                ))
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut connected = connected.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    connected.sort_by_key(|(n, _)| *n);
    subscribers.extend(connected.into_iter().map(|(_, s)| s));
    eprintln!(
        "connected {} subscribers in {:.1}s",
        subscribers.len(),
        started.elapsed().as_secs_f64()
    );

    let failed_before = send_round(api, &owners, &ids, &sent, 1, args.before).await;
    let ready = wait_all(&subscribers, &sent, timeout).await;
    anyhow::ensure!(
        ready,
        "not every subscriber received the first {} messages within {} s",
        args.before,
        args.timeout
    );
    eprintln!(
        "all {} subscribers received {} messages each",
        subscribers.len(),
        args.before
    );

    // The storm.
    let meter = report::CpuMeter::start(args.server_pid)?;
    let reads_before = catch_up_reads(api, args.metrics_token.as_deref()).await?;
    let dropped = Instant::now();
    let readers: Vec<_> = subscribers
        .iter_mut()
        .filter_map(|s| s.reader.take())
        .collect();
    for reader in &readers {
        reader.abort();
    }
    for reader in readers {
        let _ = reader.await;
    }
    let failed_during = send_round(api, &owners, &ids, &sent, args.before + 1, args.during).await;
    let sends_done = dropped.elapsed();
    let reconnecting = Instant::now();
    let failed_reconnects = reconnect(api, &args, &owners, &ids, &mut subscribers).await;
    let caught_up = wait_all(&subscribers, &sent, timeout).await;
    let total = dropped.elapsed();
    let cpu_s = meter.stop()?;
    if caught_up {
        tokio::time::sleep(Duration::from_secs(args.settle)).await;
    }
    let reads_after = catch_up_reads(api, args.metrics_token.as_deref()).await?;
    let mut since_drop = report::histogram();
    let mut since_reconnect = report::histogram();
    let (mut expected, mut unique, mut duplicated, mut out_of_order) = (0, 0, 0, 0);
    let (mut ended, mut why) = (0u64, None);
    for s in &subscribers {
        let seen = lock(&s.seen);
        if let Some(reason) = &seen.ended {
            ended += 1;
            why.get_or_insert_with(|| reason.clone());
        }
        let want = sent[s.conversation].load(Ordering::Relaxed);
        expected += want;
        unique += seen.unique;
        duplicated += seen.duplicated;
        out_of_order += seen.out_of_order;
        if let (true, Some(last)) = (seen.unique >= want, seen.last_new) {
            let us = |from: Instant| last.saturating_duration_since(from).as_micros() as u64;
            let _ = since_drop.record(us(dropped).max(1));
            if let Some(reconnected) = s.reconnected {
                let _ = since_reconnect.record(us(reconnected).max(1));
            }
        }
    }
    for reader in subscribers.iter_mut().filter_map(|s| s.reader.take()) {
        reader.abort();
    }
    let lost = expected.saturating_sub(unique);
    let reads = reads_before
        .zip(reads_after)
        .map(|(before, after)| (after.0 - before.0, after.1 - before.1));
    let reads_human = match reads {
        Some((real, shared)) => format!("{real} real, {shared} shared"),
        None => "not counted by this server".to_owned(),
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (cpu_json, cpu_human) = report::cpu(cpu_s, args.subscribers as u64, "subscriber");
    let mut human = format!(
        "{} subscribers in {conversations} conversations, {} messages each before the drop, {} while down\n\
         all caught up: {} in {:.0} ms after the drop ({:.0} ms sending while down, then {:.0} ms reconnecting and catching up)\n\
         per subscriber, drop to caught up: p50 {:.0} ms p99 {:.0} ms max {:.0} ms; own reconnect to caught up: p50 {:.0} ms p99 {:.0} ms max {:.0} ms\n\
         expected {expected} deliveries, lost {lost}, duplicated {duplicated}, out of order {out_of_order}; failed sends {}, failed reconnects {failed_reconnects}\n\
         catch-up log reads during the storm: {reads_human}",
        args.subscribers,
        args.before,
        args.during,
        if caught_up { "yes" } else { "NO" },
        ms(total),
        ms(sends_done),
        ms(total.saturating_sub(reconnecting - dropped)),
        since_drop.value_at_quantile(0.5) as f64 / 1000.0,
        since_drop.value_at_quantile(0.99) as f64 / 1000.0,
        since_drop.max() as f64 / 1000.0,
        since_reconnect.value_at_quantile(0.5) as f64 / 1000.0,
        since_reconnect.value_at_quantile(0.99) as f64 / 1000.0,
        since_reconnect.max() as f64 / 1000.0,
        failed_before + failed_during,
    );
    if let Some(why) = &why {
        human.push_str(&format!(
            "\n{ended} subscriptions ended early after reconnecting, e.g. {why}"
        ));
    }
    if !cpu_human.is_empty() {
        human.push_str(&format!("\n{cpu_human}"));
    }
    let mut json = json!({
        "subscribers": args.subscribers, "conversations": conversations,
        "messages_before": args.before, "messages_during": args.during,
        "all_caught_up": caught_up, "total_ms": ms(total), "sending_while_down_ms": ms(sends_done),
        "catch_up": report::percentiles(&since_drop),
        "reconnect_to_caught_up": report::percentiles(&since_reconnect),
        "expected_deliveries": expected, "lost": lost, "duplicated": duplicated,
        "out_of_order": out_of_order, "failed_sends": failed_before + failed_during,
        "failed_reconnects": failed_reconnects, "subscriptions_ended_early": ended,
        "log_reads": reads.map(|(real, shared)| json!({ "real": real, "shared": shared })),
    });
    report::merge(&mut json, cpu_json);
    report::emit("storm", &human, json);
    Ok(())
}

/// Connects `user` from `from`, subscribes to `conversation` after `since`
/// and records what arrives in `seen`, until the task is aborted.
async fn listen(
    api: &Api,
    user: &User,
    from: IpAddr,
    conversation: &str,
    since: Option<String>,
    seen: Arc<Mutex<Seen>>,
) -> anyhow::Result<JoinHandle<()>> {
    let variables = json!({ "id": conversation, "since": since });
    let mut socket = ws::graphql_from(api, user, Some(from), QUERY, variables).await?;
    lock(&seen).ended = None;
    Ok(tokio::spawn(async move {
        while let Some(frame) = socket.next_text().await {
            if let Some(delivered) = ws::parse(&frame) {
                lock(&seen).record(&delivered);
            } else if frame.contains("\"errors\"") || frame.contains("\"type\":\"error\"") {
                lock(&seen).ended = Some(frame.chars().take(300).collect());
            } else if frame.contains("\"type\":\"complete\"") {
                let mut seen = lock(&seen);
                seen.ended.get_or_insert_with(|| frame.to_string());
            }
        }
        lock(&seen)
            .ended
            .get_or_insert_with(|| "closed by the server".into());
    }))
}

/// Reconnects every subscriber after the last id it received, a bounded
/// number at once; each tries three times. Returns how many never did.
async fn reconnect(
    api: &Api,
    args: &Args,
    owners: &[User],
    ids: &[String],
    subscribers: &mut [Subscriber],
) -> u64 {
    let failed = AtomicU64::new(0);
    let sources = args.sources;
    let attempts: Vec<_> = subscribers
        .iter_mut()
        .enumerate()
        .map(|(n, s)| {
            let c = s.conversation;
            let (owner, id, seen) = (&owners[c], &ids[c], s.seen.clone());
            let failed = &failed;
            async move {
                let started = Instant::now();
                let since = lock(&seen).since();
                for attempt in 0..3u64 {
                    // A second source when the first failed (ports, backlog).
                    let from = source(n + attempt as usize, sources);
                    match listen(api, owner, from, id, since.clone(), seen.clone()).await {
                        Ok(reader) => {
                            s.reader = Some(reader);
                            s.reconnected = Some(started);
                            return;
                        }
                        Err(e) if attempt == 2 => eprintln!("reconnect failed: {e:#}"),
                        Err(_) => tokio::time::sleep(Duration::from_millis(100 << attempt)).await,
                    }
                }
                failed.fetch_add(1, Ordering::Relaxed);
            }
        })
        .collect();
    stream::iter(attempts)
        .buffer_unordered(args.reconnect_concurrency.max(1))
        .collect::<()>()
        .await;
    failed.into_inner()
}

/// Sends `count` messages to every conversation (sequence numbers from
/// `first`), several conversations at once; counts successes per
/// conversation in `sent` and returns the failures.
async fn send_round(
    api: &Api,
    owners: &[User],
    ids: &[String],
    sent: &Arc<Vec<AtomicU64>>,
    first: u64,
    count: u64,
) -> u64 {
    let failed = AtomicU64::new(0);
    let sends = (0..ids.len()).flat_map(|c| (first..first + count).map(move |seq| (c, seq)));
    stream::iter(sends)
        .map(|(c, seq)| {
            let failed = &failed;
            async move {
                match api
                    .send(&owners[c], &ids[c], &format!("lg|1|{seq}|0"))
                    .await
                {
                    Ok(201) => {
                        sent[c].fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
        .buffer_unordered(32)
        .collect::<()>()
        .await;
    failed.into_inner()
}

/// Waits until every subscriber has every message sent to its
/// conversation, or `timeout`; whether all did.
async fn wait_all(subscribers: &[Subscriber], sent: &[AtomicU64], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let behind = subscribers
            .iter()
            .any(|s| lock(&s.seen).unique < sent[s.conversation].load(Ordering::Relaxed));
        if !behind {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `live_catch_up_reads_total`: (real, shared) as the server counts them;
/// `None` from a server that does not count them (before they were shared).
async fn catch_up_reads(api: &Api, token: Option<&str>) -> anyhow::Result<Option<(f64, f64)>> {
    let mut request = api.http.get(format!("{}/metrics", api.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let text = request.send().await?.error_for_status()?.text().await?;
    let sample = |shared: &str| -> Option<f64> {
        let name = format!("live_catch_up_reads_total{{shared=\"{shared}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&name))
            .and_then(|v| v.trim().parse().ok())
    };
    Ok(sample("false").zip(sample("true")))
}
