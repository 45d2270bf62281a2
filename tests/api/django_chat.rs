//! Taking over a running django-chat deployment: its schema adopted in
//! place, its users' PBKDF2 passwords, its stream entries on every surface,
//! its simplejwt tokens, and its live XADDs while both run side by side.

use chatstream::config::Config;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::{
    django_fixture::{self, ACCOUNTS, ENGINES, KERNEL, dump_django_tables, pg_dump, streams},
    helpers::{TestApp, TestEnv, TestUser},
    ws_client::{Connect, MODERN},
};

const LOGIN: &str = r#"mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) { user { id username } tokens { access refresh } }
}"#;

/// Logs in over REST, which must succeed.
async fn account(app: &TestApp, email: &str, password: &str) -> TestUser {
    let (status, body) = app.login(email, password).await;
    assert_eq!(status, StatusCode::OK, "login of {email}: {body}");
    TestUser::from_session(email, &body)
}

async fn password_of(db: &DatabaseConnection, email: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT password FROM users WHERE email = '{email}'"),
        ))
        .await
        .expect("query")
        .expect("user row");
    row.try_get("", "password").expect("password column")
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
}

#[tokio::test]
async fn adopting_the_schema_keeps_django_chats_tables_and_migrating_again_changes_nothing() {
    let Some(django) = django_fixture::load().await else {
        return;
    };
    let url = &django.database_url;
    let (rows, definitions) = (
        dump_django_tables(url, "--data-only"),
        dump_django_tables(url, "--schema-only"),
    );
    let app = django.env.spawn().await;
    assert_eq!(dump_django_tables(url, "--data-only"), rows);
    assert_eq!(dump_django_tables(url, "--schema-only"), definitions);
    let added = pg_dump(url, &["--schema-only"]);
    assert!(
        added.contains("CREATE TABLE public.refresh_tokens"),
        "{added}"
    );

    let whole = pg_dump(url, &[]);
    let config = Config::from_vars(django.env.vars().clone()).expect("config");
    chatstream::store::connect_and_migrate(&config)
        .await
        .expect("second migration");
    assert_eq!(
        pg_dump(url, &[]),
        whole,
        "a second migrate changed the database"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_django_chat_schema_missing_a_column_chatstream_reads_is_refused_untouched() {
    let Some(django) = django_fixture::load().await else {
        return;
    };
    let db = Database::connect(&django.database_url)
        .await
        .expect("database");
    execute(&db, "ALTER TABLE users DROP COLUMN last_login").await;
    let before = pg_dump(&django.database_url, &[]);
    let config = Config::from_vars(django.env.vars().clone()).expect("config");
    let refused = chatstream::store::connect_and_migrate(&config)
        .await
        .expect_err("an incomplete users table is refused");
    assert!(
        format!("{refused:#}").contains("users.last_login"),
        "{refused:#}"
    );
    assert_eq!(pg_dump(&django.database_url, &[]), before);
}

#[tokio::test]
async fn django_chat_accounts_log_in_get_their_conversations_and_their_hashes_upgrade() {
    let Some(django) = django_fixture::load().await else {
        return;
    };
    let app = django.env.spawn().await;
    let db = Database::connect(&django.database_url)
        .await
        .expect("database");
    let expected: [&[&str]; 4] = [
        &["Engines and compilers", "Kernel talk"],
        &["Engines and compilers"],
        &["Kernel talk"],
        &[],
    ];
    for ((email, password), conversations) in ACCOUNTS.into_iter().zip(expected) {
        assert!(
            password_of(&db, email)
                .await
                .starts_with("pbkdf2_sha256$600000$")
        );
        let user = account(&app, email, password).await;
        let (status, body) = app.get("/api/v1/conversations/", Some(&user.access)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut names: Vec<&str> = body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|c| c["name"].as_str().expect("name"))
            .collect();
        names.sort_unstable();
        assert_eq!(names, conversations, "conversations of {email}");

        // Upgraded on that login; the next one (GraphQL this time) verifies
        // the argon2id hash.
        let upgraded = password_of(&db, email).await;
        assert!(upgraded.starts_with("argon2$argon2id$v=19$"), "{email}");
        let body = app
            .graphql(LOGIN, json!({ "email": email, "password": password }), None)
            .await;
        assert_eq!(
            body["data"]["login"]["user"]["id"],
            json!(user.id.to_string())
        );
        assert_eq!(password_of(&db, email).await, upgraded);
    }

    let (ada, _) = ACCOUNTS[0];
    let (status, _) = app.login(ada, "Analytical-Engine-1842").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Hashes chatstream does not verify are refused, even with the right
    // password; so are deactivated accounts.
    let (grace, grace_password) = ACCOUNTS[1];
    execute(
        &db,
        "UPDATE users SET password = 'md5$salt$d9b2a1b1e6f4c1a2b8f3e0f6c1a2b3c4' WHERE username = 'grace'",
    )
    .await;
    assert_eq!(
        app.login(grace, grace_password).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Django lower-cases only an email's domain.
    execute(
        &db,
        "UPDATE users SET email = 'Ada@example.com' WHERE username = 'ada'",
    )
    .await;
    for email in ["ada@example.com", "ADA@example.com"] {
        assert_eq!(
            app.login(email, "Analytical-Engine-1843").await.0,
            StatusCode::OK
        );
    }
    let (linus, linus_password) = ACCOUNTS[2];
    execute(
        &db,
        "UPDATE users SET is_active = false WHERE username = 'linus'",
    )
    .await;
    assert_eq!(
        app.login(linus, linus_password).await.0,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

/// The fixture's entries of one conversation, as chatstream's REST shows them.
fn fixture_messages(conversation: &str) -> Vec<Value> {
    let users = [
        (1, "ada@example.com", "Ada Lovelace"),
        (2, "grace@example.com", "Grace Hopper"),
        (3, "linus@example.com", "Linus Torvalds"),
    ];
    streams()[&format!("stream:conv:{conversation}")]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            let fields = &entry["fields"];
            let user_id: i64 = fields["user_id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("int");
            let (_, email, name) = users.iter().find(|u| u.0 == user_id).expect("known user");
            json!({
                "id": entry["id"],
                "conversation_id": conversation,
                "user_id": user_id,
                "user_email": email,
                "username": fields["username"],
                "user_name": name,
                "content": fields["content"],
                // Naive timestamps are UTC.
                "timestamp": format!("{}+00:00", fields["timestamp"].as_str().expect("time")),
            })
        })
        .collect()
}

#[tokio::test]
async fn django_chat_history_reads_on_every_surface() {
    let Some(django) = django_fixture::load().await else {
        return;
    };
    let app = django.env.spawn().await;
    let (email, password) = ACCOUNTS[0];
    let ada = account(&app, email, password).await;
    for conversation in [ENGINES, KERNEL] {
        let expected = fixture_messages(conversation);
        let (status, body) = app
            .get(
                &format!("/api/v1/conversations/{conversation}/messages"),
                Some(&ada.access),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["messages"], json!(expected));

        let body = app
            .graphql(
                "query($id: ID!) { messages(conversationId: $id) { messages { id content sender { id email fullName } } } }",
                json!({ "id": conversation }),
                Some(&ada.access),
            )
            .await;
        let graphql: Vec<Value> = expected
            .iter()
            .map(|m| {
                json!({
                    "id": m["id"],
                    "content": m["content"],
                    "sender": {
                        "id": m["user_id"].to_string(),
                        "email": m["user_email"],
                        "fullName": m["user_name"],
                    },
                })
            })
            .collect();
        assert_eq!(
            body["data"]["messages"]["messages"],
            json!(graphql),
            "{body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn django_chat_xadds_reach_chatstream_subscribers_live_and_on_replay() {
    let Some(django) = django_fixture::load().await else {
        return;
    };
    let app = django.env.spawn().await;
    let (email, password) = ACCOUNTS[0];
    let ada = account(&app, email, password).await;
    let history = fixture_messages(ENGINES);

    // GraphQL, replaying from the first entry, then live.
    let mut ws = Connect::new("/graphql/ws", Some(MODERN)).expect(&app).await;
    ws.init(&ada.access).await;
    ws.subscribe(
        "1",
        "subscription($id: ID!, $since: StreamId) { messageAdded(conversationId: $id, since: $since) { id content createdAt sender { username email fullName } } }",
        json!({ "id": ENGINES, "since": history[0]["id"] }),
    )
    .await;
    for old in &history[1..] {
        let message = ws.next_message("1").await;
        assert_eq!(message["id"], old["id"]);
        assert_eq!(message["sender"]["email"], old["user_email"]);
    }
    // The legacy protocol, live.
    let mut legacy = crate::legacy_ws::connect(&app, ENGINES, &ada).await;

    // What django-chat's stream client writes when grace sends, and then
    // an entry of a user django-chat has since deleted.
    let mut redis = django_fixture::redis_connection(&django.redis_url).await;
    let key = format!("{}stream:conv:{ENGINES}", django.prefix);
    for (user_id, username, content) in [
        ("2", "grace", "Sent from django-chat"),
        ("99", "ghost", "Boo"),
    ] {
        let _: String = redis::cmd("XADD")
            .arg(&key)
            .arg("MAXLEN")
            .arg("~")
            .arg(5000)
            .arg("*")
            .arg("user_id")
            .arg(user_id)
            .arg("username")
            .arg(username)
            .arg("content")
            .arg(content)
            .arg("timestamp")
            .arg("2026-12-01T09:30:00.123456")
            .query_async(&mut redis)
            .await
            .expect("XADD");
    }
    let live = ws.next_message("1").await;
    assert_eq!(live["content"], "Sent from django-chat");
    assert_eq!(live["createdAt"], "2026-12-01T09:30:00.123456+00:00");
    assert_eq!(
        live["sender"],
        json!({ "username": "grace", "email": "grace@example.com", "fullName": "Grace Hopper" })
    );
    let ghost = ws.next_message("1").await;
    assert_eq!(
        ghost["sender"],
        json!({ "username": "ghost", "email": "", "fullName": "Deleted user" })
    );

    let frame = crate::legacy_ws::next_json(&mut legacy).await;
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["message"]["user_email"], "grace@example.com");
    assert_eq!(frame["message"]["user_name"], "Grace Hopper");

    // History shows both; the deleted user is a placeholder, not an error.
    let (status, body) = app
        .get(
            &format!("/api/v1/conversations/{ENGINES}/messages"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let last = &body["messages"][4];
    assert_eq!(last["user_id"], 99);
    assert_eq!(last["user_name"], "Deleted user");

    // What chatstream appends, a django-chat reader can read: every entry
    // of the stream is a message with django-chat's four fields in its forms.
    app.send_message(&ada, ENGINES, "Sent from chatstream")
        .await;
    assert_eq!(
        django_fixture::read_as_django_chat(&mut redis, &key).await,
        6
    );
    app.stop().await;
}

/// A token as djangorestframework-simplejwt makes it, signed with `secret`.
fn simplejwt(secret: &str, token_type: &str, user_id: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "token_type": token_type,
        "exp": now + 300,
        "iat": now,
        "jti": uuid::Uuid::new_v4().simple().to_string(),
        "user_id": user_id,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

/// The claims of a chatstream token, read as django-chat reads them.
fn claims(secret: &str, token: &str) -> Value {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .expect("a valid HS256 token")
    .claims
}

#[tokio::test]
async fn django_chat_and_chatstream_accept_each_others_tokens() {
    let env = TestEnv::new().await;
    let secret = env.vars()["JWT_SECRET"].clone();
    let app = env.spawn_owned().await;
    let user = app.signup("tokens").await;

    for claimed in [json!(user.id), json!(user.id.to_string())] {
        let access = simplejwt(&secret, "access", claimed);
        let (status, body) = app.get("/api/v1/conversations/", Some(&access)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // A django-chat refresh token works once, and rotates.
    let refresh = simplejwt(&secret, "refresh", json!(user.id));
    let (status, body) = app
        .post("/api/v1/auth/refresh", json!({ "refresh": refresh }), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["refresh"], json!(refresh));
    let (status, _) = app
        .post("/api/v1/auth/refresh", json!({ "refresh": refresh }), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // chatstream's tokens carry simplejwt's claims.
    for (token, kind) in [(&user.access, "access"), (&user.refresh, "refresh")] {
        let claims = claims(&secret, token);
        assert_eq!(claims["token_type"], kind);
        assert_eq!(claims["user_id"], json!(user.id));
        assert!(claims["exp"].as_i64() > claims["iat"].as_i64(), "{claims}");
        let jti = claims["jti"].as_str().expect("jti");
        assert_eq!(jti.len(), 32, "uuid4().hex, as simplejwt: {jti}");
    }
}
