//! `inbox`: the conversation list with unread counts. One user in C
//! conversations, each holding M messages sent by someone else (all unread
//! for the reader), then the first page of the list over REST and GraphQL,
//! one request at a time: latency percentiles per surface.

use std::time::Instant;

use futures::{StreamExt, stream};
use serde_json::json;

use crate::{
    api::{self, Api},
    report,
};

#[derive(clap::Args)]
pub struct Args {
    /// Conversations the reader is in.
    #[arg(long, default_value_t = 50)]
    conversations: usize,
    /// Unread messages in each conversation.
    #[arg(long, default_value_t = 2000)]
    messages: usize,
    /// List requests per surface, one at a time.
    #[arg(long, default_value_t = 300)]
    requests: usize,
}

const GRAPHQL_LIST: &str = "{ conversations(limit: 50) { count results { id name unreadCount lastReadId lastMessage { id content createdAt sender { id username } } participants { user { id username } role } } } }";

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let tag = api::run_tag();
    let reader = api.signup(&format!("lgi{tag}r")).await?;
    let writer = api.signup(&format!("lgi{tag}w")).await?;
    let seeding = Instant::now();
    for c in 0..args.conversations {
        let conversation = api
            .create_conversation(&writer, &format!("inbox {tag} {c}"))
            .await?;
        api.add_participant(&writer, &conversation, &reader).await?;
        let sent: Vec<anyhow::Result<u16>> = stream::iter(0..args.messages)
            .map(|i| {
                let (api, writer, conversation) =
                    (api.clone(), writer.clone(), conversation.clone());
                async move {
                    api.send(&writer, &conversation, &format!("unread {i}"))
                        .await
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for status in sent {
            let status = status?;
            anyhow::ensure!(
                status == 201,
                "seeding failed with {status}: raise RATE_LIMIT_MESSAGES on the server"
            );
        }
    }
    eprintln!(
        "seeded {} conversations x {} messages in {:.1}s",
        args.conversations,
        args.messages,
        seeding.elapsed().as_secs_f64()
    );
    let mut results = json!({
        "conversations": args.conversations,
        "unread_per_conversation": args.messages,
    });
    let mut human = String::new();
    for kind in ["rest", "graphql"] {
        let mut latency = report::histogram();
        let mut errors = 0u64;
        for _ in 0..args.requests {
            let started = Instant::now();
            let response = match kind {
                "rest" => {
                    api.http
                        .get(format!("{}/api/v1/conversations/?limit=50", api.base))
                        .bearer_auth(&reader.access)
                        .send()
                        .await
                }
                _ => {
                    api.http
                        .post(format!("{}/graphql", api.base))
                        .bearer_auth(&reader.access)
                        .json(&json!({ "query": GRAPHQL_LIST }))
                        .send()
                        .await
                }
            };
            // The whole body is part of the cost.
            let ok = match response {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            };
            let _ = latency.record(started.elapsed().as_micros() as u64);
            if !ok {
                errors += 1;
            }
        }
        human.push_str(&format!(
            "{kind}: {} lists of {} conversations x {} unread, one at a time: p50 {:.2} ms p99 {:.2} ms, errors {errors}\n",
            args.requests,
            args.conversations,
            args.messages,
            latency.value_at_quantile(0.5) as f64 / 1000.0,
            latency.value_at_quantile(0.99) as f64 / 1000.0
        ));
        results[kind] = json!({ "errors": errors, "latency": report::percentiles(&latency) });
    }
    report::emit("inbox", human.trim_end(), results);
    Ok(())
}
