//! `archive`: the soak for history beyond Redis memory. M messages across
//! N conversations on a server in Redis mode with the archive on
//! (`STREAM_HOT_MESSAGES`); reports sends/s, Redis `used_memory` before
//! and after, the archive lag seen (`archive_lag_seconds`, sampled once a
//! second) and history latency for pages served from Redis (the latest)
//! and from the database (the oldest).
//!
//! ```text
//! STREAM_HOT_MESSAGES=10000 RATE_LIMIT_MESSAGES=100000000 chatstream &
//! cargo bench --bench loadgen -- archive --messages 1000000 --conversations 1000 \
//!     --redis-url redis://127.0.0.1:6379
//! ```
//! `used_memory` is the whole Redis instance's: run it on a Redis (or a
//! machine) of its own for a figure that means something.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use futures::{StreamExt, stream};
use serde_json::json;

use crate::{
    api::{self, Api},
    report,
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Sends in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The Redis the server uses, for `INFO memory` and stream lengths.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// The server's `REDIS_KEY_PREFIX`.
    #[arg(long, default_value = "")]
    redis_prefix: String,
    /// History requests per tier.
    #[arg(long, default_value_t = 2000)]
    pages: usize,
    /// Longest wait for the archive to catch up after the last send.
    #[arg(long, default_value_t = 300)]
    settle_secs: u64,
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.conversations > 0, "--conversations must be positive");
    let mut redis = redis::Client::open(args.redis_url.as_str())?
        .get_multiplexed_async_connection()
        .await
        .context("--redis-url is not reachable")?;
    let tag = api::run_tag();
    let owner = api.signup(&format!("lga{tag}")).await?;
    let conversations: Vec<String> = stream::iter(0..args.conversations)
        .map(|n| {
            let (api, owner) = (api.clone(), owner.clone());
            async move { api.create_conversation(&owner, &format!("soak {n}")).await }
        })
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let memory_before = used_memory(&mut redis).await?;

    // Archive lag, sampled while sending and until it is back to zero.
    let sending = Arc::new(AtomicBool::new(true));
    let lag = tokio::spawn(sample_lag(api.clone(), sending.clone(), args.settle_secs));

    let started = Instant::now();
    let mut send = report::histogram();
    let mut refused = 0u64;
    let mut results = stream::iter(0..args.messages)
        .map(|n| {
            let (api, owner) = (api.clone(), owner.clone());
            let conversation = conversations[n % conversations.len()].clone();
            async move {
                let at = Instant::now();
                let status = api.send(&owner, &conversation, &format!("soak {n}")).await;
                (status, at.elapsed())
            }
        })
        .buffer_unordered(args.concurrency.max(1));
    let mut done = 0usize;
    while let Some((status, took)) = results.next().await {
        let _ = send.record(took.as_micros() as u64);
        if !matches!(status, Ok(201)) {
            refused += 1;
        }
        done += 1;
        if done.is_multiple_of(100_000) {
            eprintln!("{done} sent in {:.0}s", started.elapsed().as_secs_f64());
        }
    }
    let send_secs = started.elapsed().as_secs_f64();
    sending.store(false, Ordering::Relaxed);
    let (max_lag, settled_after) = lag.await?;
    let memory_after = used_memory(&mut redis).await?;

    let mut streams = redis::pipe();
    for c in &conversations {
        streams
            .cmd("XLEN")
            .arg(format!("{}stream:conv:{c}", args.redis_prefix));
    }
    let lengths: Vec<u64> = streams.query_async(&mut redis).await?;
    let longest = lengths.iter().copied().max().unwrap_or(0);
    let in_redis: u64 = lengths.iter().sum();

    let mut pages = json!({});
    let mut human = format!(
        "{} messages across {} conversations in {send_secs:.1}s: {:.0} sends/s (p99 {:.2} ms), {refused} refused\n\
         Redis used_memory {} -> {} bytes; {in_redis} entries left in Redis (longest stream {longest})\n\
         archive lag: max {max_lag:.1}s; back to 0 {}\n",
        args.messages,
        args.conversations,
        args.messages as f64 / send_secs,
        send.value_at_quantile(0.99) as f64 / 1000.0,
        memory_before,
        memory_after,
        settled_after.map_or("not within --settle-secs".to_owned(), |s| format!(
            "{s:.1}s after the last send"
        )),
    );
    for (tier, from) in [("redis", None), ("database", Some("0-0"))] {
        let latency = history(api, &owner, &conversations, from, args.pages).await;
        human.push_str(&format!(
            "history from {tier} (limit 50): p50 {:.2} ms p99 {:.2} ms\n",
            latency.value_at_quantile(0.5) as f64 / 1000.0,
            latency.value_at_quantile(0.99) as f64 / 1000.0
        ));
        pages[tier] = report::percentiles(&latency);
    }
    report::emit(
        "archive",
        human.trim_end(),
        json!({
            "messages": args.messages,
            "conversations": args.conversations,
            "sends_per_sec": args.messages as f64 / send_secs,
            "send_latency": report::percentiles(&send),
            "refused": refused,
            "used_memory_before": memory_before,
            "used_memory_after": memory_after,
            "entries_in_redis": in_redis,
            "longest_stream": longest,
            "archive_lag_max_secs": max_lag,
            "archive_settled_secs": settled_after,
            "history": pages,
        }),
    );
    Ok(())
}

async fn used_memory(redis: &mut redis::aio::MultiplexedConnection) -> anyhow::Result<u64> {
    let info: String = redis::cmd("INFO").arg("memory").query_async(redis).await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no used_memory in INFO memory")
}

/// The largest `archive_lag_seconds` seen, and how long after sending
/// stopped it read 0 (none: not within `settle_secs`).
async fn sample_lag(api: Api, sending: Arc<AtomicBool>, settle_secs: u64) -> (f64, Option<f64>) {
    let (mut max, mut stopped) = (0.0f64, None::<Instant>);
    loop {
        let lag = scrape_lag(&api).await.unwrap_or(0.0);
        max = max.max(lag);
        if !sending.load(Ordering::Relaxed) {
            let since = *stopped.get_or_insert_with(Instant::now);
            if lag == 0.0 {
                return (max, Some(since.elapsed().as_secs_f64()));
            }
            if since.elapsed() > Duration::from_secs(settle_secs) {
                return (max, None);
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn scrape_lag(api: &Api) -> Option<f64> {
    let text = api
        .http
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("archive_lag_seconds "))
        .and_then(|v| v.trim().parse().ok())
}

/// `pages` history requests over REST, 8 at a time, spread over the
/// conversations: the latest page (`from` none: in Redis) or the oldest
/// (`from=0-0`: archived once a conversation is past its hot limit).
async fn history(
    api: &Api,
    owner: &api::User,
    conversations: &[String],
    from: Option<&str>,
    pages: usize,
) -> hdrhistogram::Histogram<u64> {
    let query = from.map_or(String::new(), |f| format!("&from={f}"));
    let timings: Vec<Duration> = stream::iter(0..pages)
        .map(|n| {
            let url = format!(
                "{}/api/v1/conversations/{}/messages?limit=50{query}",
                api.base,
                conversations[n % conversations.len()]
            );
            let (http, token) = (api.http.clone(), owner.access.clone());
            async move {
                let at = Instant::now();
                let _ = http.get(url).bearer_auth(token).send().await;
                at.elapsed()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut latency = report::histogram();
    for took in timings {
        let _ = latency.record(took.as_micros() as u64);
    }
    latency
}
