use migration::{Migrator, MigratorTrait};
use sea_orm::ActiveModelTrait;
use uuid::Uuid;

use super::*;

/// A migrated SQLite database in a temporary directory, with one user
/// and one conversation to write to.
async fn fixture() -> (tempfile::TempDir, DatabaseConnection, NewMessage) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("log.db").display());
    let db = crate::store::connect(&url).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrate");
    let user = entity::users::ActiveModel {
        email: Set("ada@example.com".into()),
        username: Set("ada".into()),
        first_name: Set("Ada".into()),
        last_name: Set("Lovelace".into()),
        password: Set("unused".into()),
        is_active: Set(true),
        is_staff: Set(false),
        is_superuser: Set(false),
        date_joined: Set(Utc::now()),
        last_login: Set(None),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("user");
    let conversation = entity::conversations::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set("General".into()),
        slug: Set("general".into()),
        created_by_id: Set(user.id),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(&db)
    .await
    .expect("conversation");
    let template = NewMessage {
        conversation_id: ConversationId(conversation.id),
        sender: User::from(user),
        content: String::new(),
        created_at: Utc::now(),
    };
    (dir, db, template)
}

fn numbered(template: &NewMessage, n: usize) -> NewMessage {
    NewMessage {
        content: format!("message {n}"),
        ..template.clone()
    }
}

#[test]
fn next_id_never_goes_back() {
    let last = StreamId::new(1_000, 4);
    assert_eq!(next_id(last, 1_001), Some(StreamId::new(1_001, 0)));
    assert_eq!(next_id(last, 1_000), Some(StreamId::new(1_000, 5)));
    // The wall clock stepped back: keep counting in the last millisecond.
    assert_eq!(next_id(last, 400), Some(StreamId::new(1_000, 5)));
    assert_eq!(next_id(StreamId::MIN, 7), Some(StreamId::new(7, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_get_distinct_increasing_ids() {
    let (_dir, db, template) = fixture().await;
    let log = Arc::new(EmbeddedLog::new(db, Hub::new(64)));
    let tasks: Vec<_> = (0..20)
        .map(|task| {
            let (log, template) = (log.clone(), template.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..50 {
                    let message = numbered(&template, task * 50 + n);
                    ids.push(log.append(message).await.expect("append").message.id);
                }
                ids
            })
        })
        .collect();
    for task in tasks {
        let ids = task.await.expect("task");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "per-task order");
    }
    let page = log
        .read(template.conversation_id, Cursor::After(StreamId::MIN), 1000)
        .await
        .expect("read");
    assert_eq!(page.messages.len(), 1000);
    assert!(!page.has_more);
    let ids: Vec<_> = page.messages.iter().map(|m| m.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
}

#[tokio::test]
async fn pages_forward_and_backward_without_gap_or_duplicate() {
    let (_dir, db, template) = fixture().await;
    let log = EmbeddedLog::new(db, Hub::new(64));
    let conversation = template.conversation_id;
    let mut written = Vec::new();
    for n in 0..120 {
        written.push(
            log.append(numbered(&template, n))
                .await
                .expect("append")
                .message,
        );
    }

    let (mut forward, mut cursor) = (Vec::new(), Cursor::After(StreamId::MIN));
    loop {
        let page = log.read(conversation, cursor, 50).await.expect("read");
        cursor = page.messages.last().map_or(cursor, |m| Cursor::After(m.id));
        forward.extend(page.messages);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(forward, written);

    let (mut backward, mut cursor) = (Vec::new(), Cursor::Latest);
    loop {
        let page = log.read(conversation, cursor, 50).await.expect("read");
        cursor = page
            .messages
            .first()
            .map_or(cursor, |m| Cursor::Before(m.id));
        backward.splice(0..0, page.messages);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(backward, written);
}

#[tokio::test]
async fn a_clash_with_another_writer_rereads_the_tail() {
    let (_dir, db, template) = fixture().await;
    let (log, other) = (
        EmbeddedLog::new(db.clone(), Hub::new(64)),
        EmbeddedLog::new(db, Hub::new(64)),
    );
    // Another process wrote two ids in a future millisecond, so the
    // clock cannot step past them; `log` has only seen the first.
    let far = StreamId::new(now_ms() + 3_600_000, 0);
    for (n, id) in [far, StreamId::new(far.ms, 1)].into_iter().enumerate() {
        let new = numbered(&template, n);
        let message = Message {
            id,
            conversation_id: new.conversation_id,
            sender: new.sender,
            content: new.content,
            created_at: new.created_at,
            edited_at: None,
            deleted: false,
        };
        other.insert(&message, n as u64 + 1).await.expect("insert");
    }
    *log.tail(template.conversation_id).lock().await = Some(Position { id: far, count: 1 });
    let appended = log.append(numbered(&template, 2)).await.expect("append");
    assert_eq!(appended.message.id, StreamId::new(far.ms, 2));
    assert_eq!(appended.count, 3);
}

#[tokio::test]
async fn ordinals_count_messages_and_place_positions() {
    let (_dir, db, template) = fixture().await;
    let log = EmbeddedLog::new(db, Hub::new(64));
    let conversation = template.conversation_id;
    assert!(log.heads(&[conversation]).await.expect("heads").is_empty());
    let mut written = Vec::new();
    for n in 0..5 {
        written.push(log.append(numbered(&template, n)).await.expect("append"));
    }
    assert_eq!(
        written.iter().map(|a| a.count).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    let heads = log.heads(&[conversation]).await.expect("heads");
    let head = heads.get(&conversation).expect("a head");
    assert_eq!((head.count, &head.last), (5, &written[4].message));

    let third = written[2].message.id;
    let at = |id| log.position_at(conversation, id);
    assert_eq!(
        at(third).await.expect("position"),
        Some(Position {
            id: third,
            count: 3
        })
    );
    // Between two messages: the earlier one.
    let between = StreamId::new(third.ms, third.seq)
        .successor()
        .expect("successor");
    if between < written[3].message.id {
        assert_eq!(
            at(between).await.expect("position").map(|p| p.count),
            Some(3)
        );
    }
    assert_eq!(at(StreamId::new(1, 0)).await.expect("position"), None);
    assert_eq!(
        at(StreamId::new(u64::MAX, 0))
            .await
            .expect("position")
            .map(|p| p.count),
        Some(5)
    );
}
