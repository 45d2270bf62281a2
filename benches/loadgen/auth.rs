//! `auth`: signups then logins at concurrency C: per second and latency.
//! argon2id makes both deliberately expensive.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{
    api::{self, Api},
    report,
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seconds per phase (signup, then login).
    #[arg(long, default_value_t = 10)]
    duration: u64,
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let tag = api::run_tag();
    let mut results = json!({ "concurrency": args.concurrency });
    let mut human = String::new();
    for phase in ["signup", "login"] {
        let deadline = Instant::now() + Duration::from_secs(args.duration);
        let mut workers = Vec::new();
        for w in 0..args.concurrency {
            let (api, tag) = (api.clone(), tag.clone());
            workers.push(tokio::spawn(async move {
                let mut latency = report::histogram();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let name = format!("lga{tag}_{w}_{n}");
                    let started = Instant::now();
                    let ok = if phase == "signup" {
                        api.signup(&name).await.is_ok()
                    } else {
                        // Log in as the users the signup phase created.
                        let name = format!("lga{tag}_{w}_0");
                        api.post("/api/v1/auth/login/", None, json!({ "email": format!("{name}@load.test"), "password": api::PASSWORD }))
                            .await
                            .is_ok_and(|(status, _)| status == 200)
                    };
                    if ok {
                        let _ = latency.record(started.elapsed().as_micros() as u64);
                    }
                    n += 1;
                }
                latency
            }));
        }
        let mut latency = report::histogram();
        for worker in workers {
            if let Ok(h) = worker.await {
                let _ = latency.add(&h);
            }
        }
        let per_sec = latency.len() as f64 / args.duration as f64;
        human.push_str(&format!(
            "{phase}: {per_sec:.1}/s at concurrency {}, p50 {:.1} ms p99 {:.1} ms\n",
            args.concurrency,
            latency.value_at_quantile(0.5) as f64 / 1000.0,
            latency.value_at_quantile(0.99) as f64 / 1000.0
        ));
        results[phase] = json!({ "per_sec": per_sec, "latency": report::percentiles(&latency) });
    }
    report::emit("auth", human.trim_end(), results);
    Ok(())
}
