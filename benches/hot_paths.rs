//! Micro-benchmarks of the hot paths: stream-id parsing and ordering, JWT
//! verification, message encoding per protocol, and the hub's fan-out step.
//! `cargo bench --bench hot_paths`.
#![expect(clippy::expect_used, reason = "benchmark fixtures are constants")]

use std::{hint::black_box, time::Duration};

use chatstream::{
    backends::hub::Hub,
    config::{JwtConfig, Secret},
    domain::{
        ConversationId, StreamId, User, UserId,
        message::Rendering,
        messaging::{Delivery, Message},
        tokens::TokenKeys,
    },
    http::rest::messages::MessageJson,
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn message() -> Message {
    Message {
        id: StreamId::new(1_764_100_000_000, 42),
        conversation_id: ConversationId(uuid::Uuid::new_v4()),
        sender: User {
            id: UserId(1234),
            email: "ada@example.com".into(),
            username: "ada".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
        },
        content: "The Analytical Engine weaves algebraic patterns.".into(),
        created_at: chrono::Utc::now(),
        edited_at: None,
        deleted: false,
    }
}

fn stream_ids(c: &mut Criterion) {
    c.bench_function("stream_id/parse", |b| {
        b.iter(|| black_box("1764100000000-42").parse::<StreamId>())
    });
    let ids: Vec<StreamId> = (0..1000)
        .rev()
        .map(|n| StreamId::new(1_764_100_000_000 + n / 7, n % 7))
        .collect();
    c.bench_function("stream_id/sort_1000", |b| {
        b.iter(|| {
            let mut v = ids.clone();
            v.sort_unstable();
            v
        })
    });
}

fn jwt(c: &mut Criterion) {
    let keys = TokenKeys::new(&JwtConfig {
        secret: Secret::new("benchmark-secret-benchmark-secret-0123"),
        access_ttl: Duration::from_secs(3600),
        refresh_ttl: Duration::from_secs(3600),
    });
    let token = keys
        .issue_access_for_bench(UserId(7))
        .expect("a fixed user's token signs");
    c.bench_function("jwt/verify_access", |b| {
        b.iter(|| keys.verify_access(black_box(&token)))
    });
}

fn encoding(c: &mut Criterion) {
    let m = message();
    c.bench_function("encode/legacy_frame", |b| {
        b.iter(|| serde_json::to_string(&serde_json::json!({ "type": "message", "message": MessageJson::from(black_box(&m)) })))
    });
    c.bench_function("encode/graphql_next", |b| {
        b.iter(|| {
            serde_json::to_string(&serde_json::json!({
                "id": "1", "type": "next",
                "payload": { "data": { "messageAdded": {
                    "id": m.id.to_string(), "content": m.content, "createdAt": m.created_at.to_rfc3339(),
                    "sender": { "id": m.sender.id.to_string(), "username": m.sender.username },
                } } },
            }))
        })
    });
    struct Frame;
    impl Rendering for Frame {
        type Key = ();
        type Value = std::sync::Arc<str>;
        const KEPT: usize = 1;
    }
    let delivery = Delivery::new(m.clone());
    c.bench_function("encode/legacy_frame_shared", |b| {
        b.iter(|| {
            delivery.rendered::<Frame>((), |d| {
                serde_json::json!({ "type": "message", "message": d.message().map(MessageJson::from) })
                    .to_string()
                    .into()
            })
        })
    });
}

fn fan_out(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("hub/publish_and_receive");
    for subscribers in [1usize, 100, 1000] {
        let hub = Hub::new(1024);
        let conversation = ConversationId(uuid::Uuid::new_v4());
        let mut subs: Vec<_> = runtime.block_on(async {
            let mut v = Vec::new();
            for _ in 0..subscribers {
                v.push(hub.subscribe(conversation).await.expect("subscribe"));
            }
            v
        });
        let mut m = message();
        m.conversation_id = conversation;
        group.bench_with_input(
            BenchmarkId::from_parameter(subscribers),
            &subscribers,
            |b, _| {
                b.iter(|| {
                    hub.publish(m.clone());
                    runtime.block_on(async {
                        for s in &mut subs {
                            black_box(s.recv().await.ok());
                        }
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, stream_ids, jwt, encoding, fan_out);
criterion_main!(benches);
