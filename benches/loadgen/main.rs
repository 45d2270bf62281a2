//! chatstream's load generator: drives a running server over the network like
//! any client and reports throughput, latency percentiles and correctness.
//!
//! ```text
//! cargo bench --bench loadgen -- fanout --subscribers 1000 --rate 50 --duration 20
//! cargo bench --bench loadgen -- fanout --protocol legacy --subscribers 2000 --max
//! cargo bench --bench loadgen -- connections --connections 10000 --server-pid $(pgrep chatstream)
//! cargo bench --bench loadgen -- history --concurrency 10 --duration 20
//! cargo bench --bench loadgen -- auth --concurrency 4 --duration 10
//! cargo bench --bench loadgen -- typing --users 200 --conversations 20 --node http://127.0.0.1:8001
//! cargo bench --bench loadgen -- archive --messages 1000000 --conversations 1000
//! cargo bench --bench loadgen -- sends --concurrency 50 --conversations 50 --duration 15 --redis-url redis://127.0.0.1:6379
//! cargo bench --bench loadgen -- storm --subscribers 10000 --conversations 100
//! ```
//! The server must allow the send rate: run it with a high
//! `RATE_LIMIT_MESSAGES`. Every loop is bounded in time and count, and the
//! target is 127.0.0.1 unless `--url` says otherwise.
#![expect(
    clippy::expect_used,
    reason = "a load generator that cannot set itself up should stop at once"
)]

mod api;
mod archive;
mod auth;
mod connections;
mod fanout;
mod history;
mod inbox;
mod report;
mod sends;
mod storm;
mod typing;
mod ws;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "loadgen", about = "Load generator for chatstream")]
struct Cli {
    /// Server base URL.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8000")]
    url: String,
    #[command(subcommand)]
    scenario: Scenario,
}

/// Which WebSocket protocol subscribers speak.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Protocol {
    /// graphql-transport-ws at /graphql/ws.
    Graphql,
    /// django-chat's protocol at /ws/conversations/{id}/.
    Legacy,
}

#[derive(Subcommand)]
enum Scenario {
    /// K subscribers, senders at a fixed total rate; delivery correctness and latency.
    Fanout(fanout::Args),
    /// N idle authenticated subscriptions; server memory per connection.
    Connections(connections::Args),
    /// History pages over REST and GraphQL at a fixed concurrency.
    History(history::Args),
    /// Signups and logins per second (argon2-bound by design).
    Auth(auth::Args),
    /// The conversation list with unread counts, one request at a time.
    Inbox(inbox::Args),
    /// Users typing at keystroke rate and sending now and then, over one
    /// or several nodes: typing signals, presence, Redis commands.
    Typing(typing::Args),
    /// M messages across N conversations with the archive on: Redis memory,
    /// archive lag, history from Redis vs the database.
    Archive(archive::Args),
    /// C concurrent senders across K conversations over REST and GraphQL:
    /// sends/s and latency, against raw Redis XADD measured in the same run.
    Sends(sends::Args),
    /// S subscribers in C conversations drop at once and reconnect with
    /// `since`: time until all caught up, losses, the server's log reads.
    Storm(storm::Args),
}

fn main() -> anyhow::Result<()> {
    // cargo bench passes `--bench`; it is not ours.
    let args = std::env::args().filter(|a| a != "--bench");
    let cli = Cli::parse_from(args);
    anyhow::ensure!(
        cli.url.starts_with("http://127.0.0.1")
            || cli.url.starts_with("http://localhost")
            || std::env::var_os("LOADGEN_ALLOW_REMOTE").is_some(),
        "refusing to load {} without LOADGEN_ALLOW_REMOTE=1",
        cli.url
    );
    raise_fd_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let api = api::Api::new(&cli.url);
        match cli.scenario {
            Scenario::Fanout(args) => fanout::run(&api, args).await,
            Scenario::Connections(args) => connections::run(&api, args).await,
            Scenario::History(args) => history::run(&api, args).await,
            Scenario::Auth(args) => auth::run(&api, args).await,
            Scenario::Inbox(args) => inbox::run(&api, args).await,
            Scenario::Typing(args) => typing::run(&api, args).await,
            Scenario::Archive(args) => archive::run(&api, args).await,
            Scenario::Sends(args) => sends::run(&api, args).await,
            Scenario::Storm(args) => storm::run(&api, args).await,
        }
    })
}

fn raise_fd_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => eprintln!("open-file limit: {limit}"),
        Err(e) => eprintln!("cannot raise the open-file limit: {e}"),
    }
}
