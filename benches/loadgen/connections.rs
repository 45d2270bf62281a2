//! `connections`: N idle authenticated subscriptions held open; the server's
//! resident memory before and after, and KiB per connection.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::{StreamExt, stream};
use serde_json::json;

use crate::{
    Protocol,
    api::{self, Api},
    report, ws,
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "graphql")]
    protocol: Protocol,
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// The server's process id, to read its memory from /proc.
    #[arg(long)]
    server_pid: u32,
    /// Seconds to hold the connections after measuring.
    #[arg(long, default_value_t = 0)]
    hold: u64,
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("read /proc/<pid>/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("VmRSS not found")
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let tag = api::run_tag();
    let owner = api.signup(&format!("lgc{tag}")).await?;
    let conversation = api
        .create_conversation(&owner, &format!("idle {tag}"))
        .await?;
    // Signing up runs argon2 (19 MiB per hash): let the server's allocator
    // return that before taking the baseline.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = rss_kib(args.server_pid)?;
    let started = Instant::now();
    let sockets: Vec<anyhow::Result<ws::Socket>> = stream::iter(0..args.connections)
        .map(|_| ws::subscribe(api, args.protocol, &owner, &conversation))
        .buffer_unordered(128)
        .collect()
        .await;
    let mut sockets = sockets.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    // Every subscription is live once each socket has seen one message.
    // graphql-ws does not acknowledge a subscription, so keep sending until
    // the last one has armed.
    let confirm = {
        let (api, owner, conversation) = (api.clone(), owner.clone(), conversation.clone());
        tokio::spawn(async move {
            for round in 0..240 {
                let _ = api
                    .send(&owner, &conversation, &format!("lg|0|{round}|0"))
                    .await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let got: Vec<bool> = stream::iter(sockets.iter_mut())
        .map(|s| async move {
            tokio::time::timeout_at(deadline.into(), s.next_text())
                .await
                .ok()
                .flatten()
                .is_some()
        })
        .buffer_unordered(512)
        .collect()
        .await;
    confirm.abort();
    let live = got.iter().filter(|g| **g).count();
    let after = rss_kib(args.server_pid)?;
    let per = (after.saturating_sub(before)) as f64 / args.connections.max(1) as f64;
    let human = format!(
        "{} {:?} subscriptions ({live} confirmed live) in {:.1}s; server RSS {before} KiB -> {after} KiB: {per:.2} KiB per connection",
        args.connections,
        args.protocol,
        started.elapsed().as_secs_f64()
    );
    report::emit(
        "connections",
        &human,
        json!({ "protocol": format!("{:?}", args.protocol).to_lowercase(), "connections": args.connections,
                "live": live, "rss_before_kib": before, "rss_after_kib": after, "kib_per_connection": per }),
    );
    if args.hold > 0 {
        tokio::time::sleep(Duration::from_secs(args.hold)).await;
    }
    drop(sockets);
    Ok(())
}
