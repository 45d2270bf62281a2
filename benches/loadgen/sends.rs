//! `sends`: C concurrent senders across K conversations for D seconds, over
//! REST and then GraphQL (`sendMessage`): sends/s, p50/p99, errors. With
//! `--redis-url`, the same C tasks then do raw `XADD`s on one multiplexed
//! connection to that Redis for D seconds: the ceiling the whole stack is
//! compared with (sends/XADD).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::{
    api::{self, Api},
    report,
};

#[derive(clap::Args)]
pub struct Args {
    /// Senders in flight at once.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Conversations the senders are spread over (one owner each).
    #[arg(long, default_value_t = 50)]
    conversations: usize,
    /// Seconds per surface (and for the XADD baseline).
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// The server's Redis, for the raw XADD baseline on a scratch key.
    #[arg(long)]
    redis_url: Option<String>,
    /// The server's process id: report its CPU time per send.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// What one measured phase saw, all workers together.
struct Phase {
    latency: Histogram<u64>,
    errors: u64,
    seconds: f64,
}

impl Phase {
    fn per_sec(&self) -> f64 {
        self.latency.len() as f64 / self.seconds
    }

    fn human(&self, name: &str) -> String {
        format!(
            "{name}: {:.0}/s, p50 {:.2} ms p99 {:.2} ms, errors {}",
            self.per_sec(),
            self.latency.value_at_quantile(0.5) as f64 / 1000.0,
            self.latency.value_at_quantile(0.99) as f64 / 1000.0,
            self.errors
        )
    }

    fn json(&self) -> Value {
        json!({ "per_sec": self.per_sec(), "ok": self.latency.len(), "errors": self.errors,
                "latency": report::percentiles(&self.latency) })
    }
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let conversations = args.conversations.max(1);
    let tag = api::run_tag();
    let owners = api::users(api, &format!("lgw{tag}_"), conversations).await?;
    let mut ids = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        ids.push(
            api.create_conversation(owner, &format!("sends {tag} {i}"))
                .await?,
        );
    }
    let targets: Arc<Vec<(String, String)>> = owners
        .iter()
        .zip(&ids)
        .map(|(o, id)| (o.access.clone(), id.clone()))
        .collect::<Vec<_>>()
        .into();

    let mut results = json!({ "concurrency": args.concurrency, "conversations": conversations,
                              "duration_s": args.duration });
    let mut human = format!(
        "{} senders across {conversations} conversations, {} s per surface\n",
        args.concurrency, args.duration
    );
    for surface in ["rest", "graphql"] {
        let meter = report::CpuMeter::start(args.server_pid)?;
        let (api, targets) = (api.clone(), targets.clone());
        let phase = measure(args.concurrency, args.duration, move |worker, n| {
            let (api, (token, id)) = (api.clone(), targets[worker % targets.len()].clone());
            async move { send(&api, surface, &token, &id, n).await }
        })
        .await;
        let (cpu_json, cpu_human) = report::cpu(meter.stop()?, phase.latency.len(), "send");
        human.push_str(&phase.human(surface));
        if !cpu_human.is_empty() {
            human.push_str(&format!("; {cpu_human}"));
        }
        human.push('\n');
        results[surface] = phase.json();
        report::merge(&mut results[surface], cpu_json);
    }
    if let Some(url) = &args.redis_url {
        let xadd = xadd_baseline(url, &tag, args.concurrency, args.duration).await?;
        human.push_str(&xadd.human("raw XADD"));
        results["xadd"] = xadd.json();
        for surface in ["rest", "graphql"] {
            let ratio = results[surface]["per_sec"].as_f64().unwrap_or(0.0) / xadd.per_sec();
            results[surface]["ratio_to_xadd"] = json!(ratio);
            human.push_str(&format!("; {surface}/XADD {:.1} %", ratio * 100.0));
        }
    }
    report::emit("sends", human.trim_end(), results);
    Ok(())
}

/// One send; whether it was stored (REST 201, GraphQL without errors).
async fn send(api: &Api, surface: &str, token: &str, id: &str, n: u64) -> bool {
    let content = format!("sends {n}");
    let response = match surface {
        "rest" => {
            api.http
                .post(format!("{}/api/v1/conversations/{id}/messages", api.base))
                .bearer_auth(token)
                .json(&json!({ "content": content }))
                .send()
                .await
        }
        _ => {
            api.http
                .post(format!("{}/graphql", api.base))
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation($id: ID!, $content: String!) { sendMessage(conversationId: $id, content: $content) { id } }",
                    "variables": { "id": id, "content": content },
                }))
                .send()
                .await
        }
    };
    let Ok(response) = response else {
        return false;
    };
    match surface {
        "rest" => response.status().as_u16() == 201,
        _ => {
            response.status().is_success()
                && response.json::<Value>().await.is_ok_and(|body| {
                    body.get("errors").is_none() && !body["data"]["sendMessage"]["id"].is_null()
                })
        }
    }
}

/// `concurrency` workers calling `op(worker, n)` back to back for `duration`
/// seconds; each call's latency is recorded, failures counted.
async fn measure<F, Fut>(concurrency: usize, duration: u64, op: F) -> Phase
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(duration);
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|worker| {
            let op = op.clone();
            tokio::spawn(async move {
                let (mut latency, mut errors, mut n) = (report::histogram(), 0u64, 0u64);
                while Instant::now() < deadline {
                    let call = Instant::now();
                    let ok = op(worker, n).await;
                    n += 1;
                    if ok {
                        let _ = latency.record(call.elapsed().as_micros() as u64);
                    } else {
                        errors += 1;
                    }
                }
                (latency, errors)
            })
        })
        .collect();
    let mut phase = Phase {
        latency: report::histogram(),
        errors: 0,
        seconds: 0.0,
    };
    for worker in workers {
        if let Ok((latency, errors)) = worker.await {
            let _ = phase.latency.add(&latency);
            phase.errors += errors;
        }
    }
    phase.seconds = started.elapsed().as_secs_f64().max(0.001);
    phase
}

/// Raw `XADD`s on a scratch key of the server's Redis, `concurrency` in
/// flight on one multiplexed connection (as the server's own is); the key is
/// deleted afterwards.
async fn xadd_baseline(
    url: &str,
    tag: &str,
    concurrency: usize,
    duration: u64,
) -> anyhow::Result<Phase> {
    let redis = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await
        .context("--redis-url is not reachable")?;
    let key = format!("loadgen:sends:{tag}");
    let phase = {
        let (redis, key) = (redis.clone(), key.clone());
        measure(concurrency, duration, move |_, _| {
            let (mut redis, key) = (redis.clone(), key.clone());
            async move {
                redis::cmd("XADD")
                    .arg(&key)
                    .arg("*")
                    .arg("content")
                    .arg("x")
                    .query_async::<String>(&mut redis)
                    .await
                    .is_ok()
            }
        })
        .await
    };
    let mut redis = redis;
    let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut redis).await?;
    Ok(phase)
}
