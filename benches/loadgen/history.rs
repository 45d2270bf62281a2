//! `history`: pages of 50 messages over REST and GraphQL at concurrency C
//! for D seconds: requests per second and latency percentiles.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{
    api::{self, Api},
    report,
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Messages in the conversation before measuring.
    #[arg(long, default_value_t = 500)]
    messages: usize,
    /// The server's process id: report its CPU time per request (from
    /// /proc/<pid>/stat) for each surface.
    #[arg(long)]
    server_pid: Option<u32>,
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let tag = api::run_tag();
    let owner = api.signup(&format!("lgh{tag}")).await?;
    let conversation = api
        .create_conversation(&owner, &format!("history {tag}"))
        .await?;
    // Seeding doubles as the send measurement: one REST send at a time.
    let mut send = report::histogram();
    for i in 0..args.messages {
        let started = Instant::now();
        let status = api
            .send(&owner, &conversation, &format!("history message {i}"))
            .await?;
        let _ = send.record(started.elapsed().as_micros() as u64);
        anyhow::ensure!(
            status == 201,
            "seeding failed with {status}: raise RATE_LIMIT_MESSAGES on the server"
        );
    }
    let mut results = json!({ "send": { "latency": report::percentiles(&send) } });
    let mut human = format!(
        "send (REST, one at a time, {} messages): p50 {:.2} ms p99 {:.2} ms\n",
        args.messages,
        send.value_at_quantile(0.5) as f64 / 1000.0,
        send.value_at_quantile(0.99) as f64 / 1000.0
    );
    for kind in ["rest", "graphql"] {
        let meter = report::CpuMeter::start(args.server_pid)?;
        let deadline = Instant::now() + Duration::from_secs(args.duration);
        let mut workers = Vec::new();
        for _ in 0..args.concurrency {
            let (api, token, conversation) =
                (api.clone(), owner.access.clone(), conversation.clone());
            workers.push(tokio::spawn(async move {
                let mut latency = report::histogram();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let ok = match kind {
                        "rest" => api
                            .http
                            .get(format!("{}/api/v1/conversations/{conversation}/messages?limit=50", api.base))
                            .bearer_auth(&token)
                            .send()
                            .await
                            .map(|r| r.status().is_success()),
                        _ => api
                            .http
                            .post(format!("{}/graphql", api.base))
                            .bearer_auth(&token)
                            .json(&json!({
                                "query": "query($id: ID!) { messages(conversationId: $id, limit: 50) { messages { id content createdAt sender { id username } } nextFrom hasMore } }",
                                "variables": { "id": conversation },
                            }))
                            .send()
                            .await
                            .map(|r| r.status().is_success()),
                    };
                    let _ = latency.record(started.elapsed().as_micros() as u64);
                    if !matches!(ok, Ok(true)) {
                        errors += 1;
                    }
                }
                (latency, errors)
            }));
        }
        let mut latency = report::histogram();
        let mut errors = 0;
        for worker in workers {
            if let Ok((h, e)) = worker.await {
                let _ = latency.add(&h);
                errors += e;
            }
        }
        let (cpu_json, cpu_human) = report::cpu(meter.stop()?, latency.len(), "request");
        let rps = latency.len() as f64 / args.duration as f64;
        human.push_str(&format!(
            "{kind}: {rps:.0} req/s at concurrency {}, p50 {:.2} ms p99 {:.2} ms, errors {errors}{}{cpu_human}\n",
            args.concurrency,
            latency.value_at_quantile(0.5) as f64 / 1000.0,
            latency.value_at_quantile(0.99) as f64 / 1000.0,
            if cpu_human.is_empty() { "" } else { "; " },
        ));
        results[kind] = json!({ "requests_per_sec": rps, "errors": errors, "latency": report::percentiles(&latency) });
        report::merge(&mut results[kind], cpu_json);
    }
    results["concurrency"] = json!(args.concurrency);
    report::emit("history", human.trim_end(), results);
    Ok(())
}
