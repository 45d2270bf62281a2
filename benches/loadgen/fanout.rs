//! `fanout`: K subscribers in C conversations, senders at a total rate R for
//! D seconds. Reports lost, duplicated and out-of-order deliveries and the
//! delivery latency (send call -> frame received). `--max` ramps R until p99
//! exceeds 250 ms or anything is lost, and reports the highest rate held.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::{
    Protocol,
    api::{self, Api, User},
    report, ws,
};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "graphql")]
    protocol: Protocol,
    /// Subscribers (distinct users, all participants).
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Conversations the subscribers are spread over.
    #[arg(long, default_value_t = 1)]
    conversations: usize,
    /// Messages per second, all conversations together.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// Seconds of sending per step.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Ramp the rate (x1.5 per step) until p99 > 250 ms or a loss.
    #[arg(long)]
    max: bool,
    /// Upper bound for `--max`.
    #[arg(long, default_value_t = 5000.0)]
    max_rate: f64,
    /// Seconds to wait for stragglers after sending stops.
    #[arg(long, default_value_t = 10)]
    drain: u64,
    /// The server's process id: report its CPU time per delivery (from
    /// /proc/<pid>/stat, sending and draining included).
    #[arg(long)]
    server_pid: Option<u32>,
}

/// What one subscriber saw during one step.
#[derive(Default)]
struct Seen {
    /// Frames of other steps (late stragglers) are ignored.
    step: u64,
    frames: u64,
    unique: SeqSet,
    duplicated: u64,
    out_of_order: u64,
    last_id: (u64, u64),
    latency: Option<Histogram<u64>>,
}

/// The sequence numbers seen in one step: dense from 1, so a bitset (a hash
/// set cost more than the rest of the frame handling).
#[derive(Default)]
struct SeqSet {
    words: Vec<u64>,
    len: usize,
}

impl SeqSet {
    /// Whether `seq` is new.
    fn insert(&mut self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let new = self.words[word] & bit == 0;
        self.words[word] |= bit;
        self.len += usize::from(new);
        new
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

struct Subscriber {
    conversation: usize,
    seen: Arc<Mutex<Seen>>,
}

/// The outcome of one step at one rate.
struct Step {
    rate: f64,
    sent: u64,
    failed_sends: u64,
    expected: u64,
    received: u64,
    lost: u64,
    duplicated: u64,
    out_of_order: u64,
    latency: Histogram<u64>,
    seconds: f64,
    /// Server CPU seconds over the step, with `--server-pid`.
    cpu_s: Option<f64>,
}

impl Step {
    fn ok(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.out_of_order == 0
            && self.latency.value_at_quantile(0.99) <= 250_000
    }

    fn json(&self) -> serde_json::Value {
        let mut json = json!({
            "rate": self.rate, "sent": self.sent, "failed_sends": self.failed_sends,
            "expected_deliveries": self.expected, "received": self.received, "lost": self.lost,
            "duplicated": self.duplicated, "out_of_order": self.out_of_order,
            "deliveries_per_sec": self.received as f64 / self.seconds,
            "latency": report::percentiles(&self.latency),
        });
        report::merge(&mut json, self.cpu().0);
        json
    }

    fn cpu(&self) -> (serde_json::Value, String) {
        report::cpu(self.cpu_s, self.received, "delivery")
    }
}

pub async fn run(api: &Api, args: Args) -> anyhow::Result<()> {
    let conversations = args.conversations.max(1);
    let tag = api::run_tag();
    let owners = api::users(api, &format!("lgo{tag}_"), conversations).await?;
    let members = api::users(api, &format!("lgs{tag}_"), args.subscribers).await?;
    let mut ids = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        ids.push(
            api.create_conversation(owner, &format!("fanout {tag} {i}"))
                .await?,
        );
    }
    let adds: Vec<anyhow::Result<()>> = stream::iter(members.iter().enumerate())
        .map(|(j, user)| {
            let c = j % conversations;
            let (owner, conversation) = (&owners[c], &ids[c]);
            async move { api.add_participant(owner, conversation, user).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    adds.into_iter().collect::<anyhow::Result<Vec<()>>>()?;

    let clock = Instant::now();
    let subscribers = connect_all(api, &args, &members, &ids, clock).await?;
    warm_up(api, &owners, &ids, &subscribers, clock).await?;

    let mut rate = args.rate;
    let mut step_no = 1;
    let mut best: Option<Step> = None;
    loop {
        let meter = report::CpuMeter::start(args.server_pid)?;
        let mut step = run_step(
            api,
            &args,
            rate,
            step_no,
            &owners,
            &ids,
            &subscribers,
            clock,
        )
        .await;
        step.cpu_s = meter.stop()?;
        eprintln!("rate {:.0}/s: {}", rate, step.json());
        let ok = step.ok();
        if !args.max {
            let mut human = format!(
                "{} subscribers ({:?}) in {} conversation(s), {:.0} msg/s for {} s\nsent {} (failed {}), expected {} deliveries, received {}, lost {}, duplicated {}, out of order {}\nlatency p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms max {:.1} ms, {:.0} deliveries/s",
                args.subscribers,
                args.protocol,
                conversations,
                rate,
                args.duration,
                step.sent,
                step.failed_sends,
                step.expected,
                step.received,
                step.lost,
                step.duplicated,
                step.out_of_order,
                ms(&step.latency, 0.5),
                ms(&step.latency, 0.95),
                ms(&step.latency, 0.99),
                step.latency.max() as f64 / 1000.0,
                step.received as f64 / step.seconds
            );
            let (_, cpu) = step.cpu();
            if !cpu.is_empty() {
                human.push_str(&format!("\n{cpu}"));
            }
            let mut json = step.json();
            json["protocol"] = json!(format!("{:?}", args.protocol).to_lowercase());
            json["subscribers"] = json!(args.subscribers);
            json["conversations"] = json!(conversations);
            report::emit("fanout", &human, json);
            return Ok(());
        }
        if ok {
            best = Some(step);
        }
        if !ok || rate * 1.5 > args.max_rate {
            break;
        }
        rate *= 1.5;
        step_no += 1;
    }
    let held = best.as_ref().map_or(0.0, |s| s.rate);
    let mut human = format!(
        "{} subscribers ({:?}): highest rate held {:.0} msg/s ({:.0} deliveries/s) with nothing lost and p99 <= 250 ms",
        args.subscribers,
        args.protocol,
        held,
        held * (args.subscribers as f64 / conversations as f64)
    );
    if let Some(best) = &best {
        let (_, cpu) = best.cpu();
        if !cpu.is_empty() {
            human.push_str(&format!("; at that rate {cpu}"));
        }
    }
    report::emit(
        "fanout-max",
        &human,
        json!({ "protocol": format!("{:?}", args.protocol).to_lowercase(), "subscribers": args.subscribers,
                "conversations": conversations, "max_rate_held": held, "best": best.map(|s| s.json()) }),
    );
    Ok(())
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn connect_all(
    api: &Api,
    args: &Args,
    members: &[User],
    ids: &[String],
    clock: Instant,
) -> anyhow::Result<Vec<Subscriber>> {
    let started = Instant::now();
    let sockets: Vec<anyhow::Result<(usize, ws::Socket)>> =
        stream::iter(members.iter().enumerate())
            .map(|(j, user)| {
                let c = j % ids.len();
                let conversation = ids[c].clone();
                async move {
                    Ok((
                        c,
                        ws::subscribe(api, args.protocol, user, &conversation).await?,
                    ))
                }
            })
            .buffer_unordered(64)
            .collect()
            .await;
    let mut subscribers = Vec::new();
    for socket in sockets {
        let (conversation, mut socket) = socket?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let sink = seen.clone();
        tokio::spawn(async move {
            while let Some(frame) = socket.next_text().await {
                let Some(delivered) = ws::parse(&frame) else {
                    continue;
                };
                let now = clock.elapsed().as_micros() as u64;
                let mut seen = sink.lock().unwrap_or_else(PoisonError::into_inner);
                record(&mut seen, &delivered, now);
            }
        });
        subscribers.push(Subscriber { conversation, seen });
    }
    eprintln!(
        "connected {} subscribers in {:.1}s",
        subscribers.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(subscribers)
}

fn record(seen: &mut Seen, delivered: &ws::Delivered, now_us: u64) {
    if delivered.step != seen.step {
        return;
    }
    let Some(latency) = seen.latency.as_mut() else {
        return;
    };
    seen.frames += 1;
    if !seen.unique.insert(delivered.seq) {
        seen.duplicated += 1;
    }
    if delivered.id <= seen.last_id {
        seen.out_of_order += 1;
    }
    seen.last_id = delivered.id;
    let _ = latency.record(now_us.saturating_sub(delivered.sent_us).max(1));
}

/// One message per conversation, awaited by every subscriber: proves that
/// every subscription is live before anything is measured.
async fn warm_up(
    api: &Api,
    owners: &[User],
    ids: &[String],
    subscribers: &[Subscriber],
    clock: Instant,
) -> anyhow::Result<()> {
    reset(subscribers, 0);
    // graphql-ws has no "subscribed" acknowledgement: keep sending warm-up
    // messages until every subscriber has seen one.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut round = 0;
    while subscribers.iter().any(|s| lock(&s.seen).unique.is_empty()) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "some subscribers never received a warm-up message"
        );
        round += 1;
        for (owner, id) in owners.iter().zip(ids) {
            let sent = clock.elapsed().as_micros() as u64;
            api.send(owner, id, &format!("lg|0|{round}|{sent}")).await?;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a new step: fresh counters, and frames of other steps ignored.
fn reset(subscribers: &[Subscriber], step: u64) {
    for s in subscribers {
        let mut seen = lock(&s.seen);
        *seen = Seen {
            step,
            latency: Some(report::histogram()),
            ..Seen::default()
        };
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_step(
    api: &Api,
    args: &Args,
    rate: f64,
    step: u64,
    owners: &[User],
    ids: &[String],
    subscribers: &[Subscriber],
    clock: Instant,
) -> Step {
    reset(subscribers, step);
    let total = (rate * args.duration as f64).round().max(1.0) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let in_flight = Arc::new(Semaphore::new(512));
    let sent_ok: Arc<Vec<std::sync::atomic::AtomicU64>> =
        Arc::new(ids.iter().map(|_| Default::default()).collect());
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let c = (n as usize) % ids.len();
        let seq = n / ids.len() as u64 + 1;
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let (api, owner, id) = (api.clone(), owners[c].clone(), ids[c].clone());
        let (sent_ok, failed) = (sent_ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let sent_us = clock.elapsed().as_micros() as u64;
            match api
                .send(&owner, &id, &format!("lg|{step}|{seq}|{sent_us}"))
                .await
            {
                Ok(201) => sent_ok[c].fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                _ => failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            };
            drop(permit);
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let sending = started.elapsed().as_secs_f64();
    let expected_for = |c: usize| sent_ok[c].load(std::sync::atomic::Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(args.drain);
    while Instant::now() < deadline
        && subscribers
            .iter()
            .any(|s| (lock(&s.seen).unique.len() as u64) < expected_for(s.conversation))
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut latency = report::histogram();
    let (mut expected, mut received, mut unique, mut duplicated, mut out_of_order) =
        (0, 0, 0, 0, 0);
    for s in subscribers {
        let seen = lock(&s.seen);
        expected += expected_for(s.conversation);
        received += seen.frames;
        unique += seen.unique.len() as u64;
        duplicated += seen.duplicated;
        out_of_order += seen.out_of_order;
        if let Some(h) = &seen.latency {
            let _ = latency.add(h);
        }
    }
    Step {
        rate,
        sent: (0..ids.len()).map(expected_for).sum(),
        failed_sends: failed.load(std::sync::atomic::Ordering::Relaxed),
        expected,
        received,
        lost: expected.saturating_sub(unique),
        duplicated,
        out_of_order,
        latency,
        seconds: sending.max(0.001),
        cpu_s: None,
    }
}
