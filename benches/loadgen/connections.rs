//! `connections`: N idle authenticated subscriptions held open; the server's
//! resident memory before and after, and KiB per connection.
//!
//! Past ~28,000 sockets one source address runs out of ephemeral ports
//! towards the server's one port, so the sockets are spread over several
//! loopback source addresses (`--sources`).

use std::{
    net::{IpAddr, Ipv4Addr},
    time::{Duration, Instant},
};

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
    /// Subscriptions opened before the baseline is taken.
    #[arg(long, default_value_t = 1000)]
    warm: usize,
    /// Seconds to hold the connections after measuring.
    #[arg(long, default_value_t = 0)]
    hold: u64,
    /// Users the sockets are spread over, each a participant (1: every
    /// socket is the owner's). Presence is kept per user: more users show
    /// what it costs.
    #[arg(long, default_value_t = 1)]
    users: usize,
    /// Loopback source addresses the sockets are spread over: 127.0.0.2,
    /// 127.0.0.3, … (default: one per 25,000 sockets, warm-up included;
    /// 0: every socket from the system's choice, 127.0.0.1).
    #[arg(long)]
    sources: Option<u8>,
}

/// Sockets per source address by default: the ephemeral range
/// (`net.ipv4.ip_local_port_range`, 32768–60999 by default) has 28,232
/// ports, and ports in TIME_WAIT from a previous run still count.
const SOCKETS_PER_SOURCE: usize = 25_000;

/// The source addresses for `sockets` sockets.
fn sources(requested: Option<u8>, sockets: usize) -> Vec<Option<IpAddr>> {
    let count = match requested {
        Some(0) => return vec![None],
        Some(count) => usize::from(count),
        None => sockets.div_ceil(SOCKETS_PER_SOURCE).clamp(1, 254),
    };
    (0..count)
        .map(|n| Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + n as u8))))
        .collect()
}

/// File descriptors beyond the sockets: the REST client's pool, the
/// runtime, standard streams.
const SPARE_FDS: u64 = 1024;

/// Fails early, with what to change, when either process could not hold
/// every socket open (a run that fails halfway says much less).
fn check_fd_limits(sockets: usize, server_pid: u32) -> anyhow::Result<()> {
    let needed = sockets as u64 + SPARE_FDS;
    let (own, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    let limits = std::fs::read_to_string(format!("/proc/{server_pid}/limits"))
        .context("read /proc/<pid>/limits")?;
    let server = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    anyhow::ensure!(
        own >= needed && server >= needed,
        "{sockets} sockets need {needed} open files in each process; the load generator may \
         open {own}, the server {server}: raise the hard limit (`ulimit -Hn`, at most \
         fs.nr_open) in the shells that start them"
    );
    Ok(())
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
    let total = args.warm + args.connections;
    check_fd_limits(total, args.server_pid)?;
    let sources = sources(args.sources, total);
    let tag = api::run_tag();
    let owner = api.signup(&format!("lgc{tag}")).await?;
    let conversation = api
        .create_conversation(&owner, &format!("idle {tag}"))
        .await?;
    let mut users = vec![owner.clone()];
    if args.users > 1 {
        let others = api::users(api, &format!("lgc{tag}u"), args.users - 1).await?;
        for user in &others {
            api.add_participant(&owner, &conversation, user).await?;
        }
        users.extend(others);
    }
    let target = Target {
        api,
        protocol: args.protocol,
        owner: &owner,
        conversation: &conversation,
        sources: &sources,
    };
    // The baseline is taken with a first batch already open: one-off costs
    // (pools, the allocator's first pages, where it keeps the 19 MiB argon2
    // buffer of the signup above) would otherwise move it by megabytes.
    // The owner's alone: the users come online in the measured batch.
    let (warm, _, _) = target.open(0..args.warm, &users[..1]).await?;
    let before = rss_kib(args.server_pid)?;
    let started = Instant::now();
    let (sockets, live, opened) = target.open(args.warm..total, &users).await?;
    let all_live = started.elapsed().as_secs_f64();
    let after = rss_kib(args.server_pid)?;
    let per = (after.saturating_sub(before)) as f64 / args.connections.max(1) as f64;
    // On the way up: authenticated handshakes (connection_init with a JWT,
    // acknowledged) with their subscribe sent, per second; and until every
    // subscription had delivered a message (probes go out every 0.5 s, so
    // this one is a lower bound).
    let opened = opened.as_secs_f64().max(1e-9);
    let subscribe_rate = args.connections as f64 / opened;
    let live_rate = live as f64 / all_live.max(1e-9);
    let human = format!(
        "{} {:?} subscriptions of {} user(s) from {} source address(es) ({live} confirmed live) in {all_live:.1}s after {} warm-up ones; handshake+subscribe {subscribe_rate:.0}/s ({opened:.2}s), live {live_rate:.0}/s; server RSS {before} KiB -> {after} KiB: {per:.2} KiB per connection",
        args.connections,
        args.protocol,
        users.len(),
        sources.len(),
        args.warm,
    );
    report::emit(
        "connections",
        &human,
        json!({ "protocol": format!("{:?}", args.protocol).to_lowercase(), "connections": args.connections, "users": users.len(), "sources": sources.len(),
                "warm_up": args.warm, "live": live, "rss_before_kib": before, "rss_after_kib": after,
                "kib_per_connection": per, "subscribes_per_s": subscribe_rate, "live_per_s": live_rate }),
    );
    if args.hold > 0 {
        tokio::time::sleep(Duration::from_secs(args.hold)).await;
    }
    drop((warm, sockets));
    Ok(())
}

struct Target<'a> {
    api: &'a Api,
    protocol: Protocol,
    owner: &'a api::User,
    conversation: &'a str,
    sources: &'a [Option<IpAddr>],
}

impl Target<'_> {
    /// Opens the subscriptions numbered `range` (the number picks the user
    /// and the source address) and waits until each has seen a message;
    /// returns them, how many confirmed, and how long opening them took
    /// (every handshake acknowledged and subscribe sent).
    async fn open(
        &self,
        range: std::ops::Range<usize>,
        users: &[api::User],
    ) -> anyhow::Result<(Vec<ws::Socket>, usize, Duration)> {
        let started = Instant::now();
        let sockets: Vec<anyhow::Result<ws::Socket>> = stream::iter(range)
            .map(|n| {
                let user = &users[n % users.len()];
                let source = self.sources[n % self.sources.len()];
                ws::subscribe_from(self.api, self.protocol, user, self.conversation, source)
            })
            .buffer_unordered(128)
            .collect()
            .await;
        let opened = started.elapsed();
        let mut sockets = sockets.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        // graphql-ws does not acknowledge a subscription: keep sending until
        // the last one has armed.
        let confirm = {
            let (api, owner) = (self.api.clone(), self.owner.clone());
            let conversation = self.conversation.to_owned();
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
        Ok((sockets, got.iter().filter(|g| **g).count(), opened))
    }
}
