//! Login and signup throttling, and the cap on concurrent password hashes:
//! a brute force or a flood is refused before it costs an argon2 hash, and a
//! third party cannot lock the real user out. Client addresses are
//! simulated with `TRUSTED_PROXIES=127.0.0.1/32` and `X-Forwarded-For`.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestEnv};

const WRONG: &str = "Wr0ng-Passw0rd!";

/// An environment whose peer (the test, on 127.0.0.1) is a trusted proxy.
async fn behind_a_proxy(vars: &[(&str, &str)]) -> TestEnv {
    let mut env = TestEnv::new().await;
    env.set("TRUSTED_PROXIES", "127.0.0.1/32");
    for (key, value) in vars {
        env.set(key, value);
    }
    env
}

/// The answer to a request from `client` (sent as `X-Forwarded-For`):
/// status, `Retry-After` in seconds, body.
async fn post_from(
    app: &TestApp,
    client: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Option<u64>, Value) {
    let response = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

async fn login_from(
    app: &TestApp,
    client: &str,
    email: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    let body = json!({ "email": email, "password": password });
    post_from(app, client, "/api/v1/auth/login", body).await
}

async fn signup_from(app: &TestApp, client: &str, name: &str) -> (StatusCode, Option<u64>, Value) {
    let body = json!({
        "email": format!("{name}@example.com"),
        "username": name,
        "first_name": name,
        "last_name": "Tester",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    });
    post_from(app, client, "/api/v1/auth/signup", body).await
}

const ATTACKER: &str = "198.51.100.66";
const VICTIM_HOME: &str = "203.0.113.7";

#[tokio::test]
async fn failures_lock_the_account_for_failing_addresses_but_not_for_the_real_user() {
    let app = behind_a_proxy(&[("LOGIN_FAILURE_LIMIT", "3")])
        .await
        .spawn_owned()
        .await;
    let victim = app.signup("victim").await;
    for _ in 0..3 {
        let (status, _, body) = login_from(&app, ATTACKER, &victim.email, WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // The fourth guess is refused before any hashing, with the wait.
    let (status, retry_after, body) = login_from(&app, ATTACKER, &victim.email, WRONG).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry_after = retry_after.expect("a Retry-After header");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(body["code"], "THROTTLED", "{body}");
    // Even the right password, from the address that has been failing.
    let (status, _, _) = login_from(&app, ATTACKER, &victim.email, PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // GraphQL says the same, with `retryAfter`.
    let login = "mutation($email: String!, $password: String!) { \
                 login(input: {email: $email, password: $password}) { user { id } } }";
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("x-forwarded-for", ATTACKER)
        .json(&json!({ "query": login, "variables": { "email": victim.email, "password": WRONG } }))
        .send()
        .await
        .expect("sent");
    let body: Value = response.json().await.expect("json");
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "THROTTLED", "{body}");
    assert!(
        extensions["retryAfter"].as_u64().is_some_and(|s| s >= 1),
        "{body}"
    );

    // The real user, from an address that has not been failing, gets in.
    let (status, _, body) = login_from(&app, VICTIM_HOME, &victim.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A clean address gets one guess at a locked account, not a series.
    let (status, _, _) = login_from(&app, "192.0.2.1", &victim.email, WRONG).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = login_from(&app, "192.0.2.1", &victim.email, WRONG).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Other accounts are not affected.
    let other = app.signup("other").await;
    let (status, _, _) = login_from(&app, ATTACKER, &other.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_throttled_not_all_hashed() {
    // The reproduction, with the default limits: 30 concurrent
    // wrong-password logins on one account from one address all got 401.
    let app = behind_a_proxy(&[("AUTH_ADDRESS_LIMIT", "30")])
        .await
        .spawn_owned()
        .await;
    let victim = app.signup("victim").await;
    let answers = join_all((0..30).map(|_| login_from(&app, ATTACKER, &victim.email, WRONG))).await;
    let count = |status| answers.iter().filter(|a| a.0 == status).count();
    // Ten failures fill the account's window; a locked account allows one
    // more guess per clean address; the rest are refused unhashed. The
    // address is clean when the lock comes only if none of the ten has
    // failed by then: on a busy machine one may have, and the eleventh
    // guess is refused too.
    let hashed = count(StatusCode::UNAUTHORIZED);
    assert!((10..=11).contains(&hashed), "{answers:?}");
    assert_eq!(
        count(StatusCode::TOO_MANY_REQUESTS),
        30 - hashed,
        "{answers:?}"
    );
    let (status, _, _) = login_from(&app, VICTIM_HOME, &victim.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn signups_and_failed_logins_are_limited_per_address() {
    let app = behind_a_proxy(&[("AUTH_ADDRESS_LIMIT", "3")])
        .await
        .spawn_owned()
        .await;
    let here = "198.51.100.10";
    assert_eq!(
        signup_from(&app, here, "first").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        signup_from(&app, here, "second").await.0,
        StatusCode::CREATED
    );
    // Successful logins do not count.
    for _ in 0..5 {
        let (status, _, body) = login_from(&app, here, "first@example.com", PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _, _) = login_from(&app, here, "nobody@example.com", WRONG).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, retry_after, body) = signup_from(&app, here, "third").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{retry_after:?}"
    );
    let (status, _, _) = login_from(&app, here, "first@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let (status, _, _) = signup_from(&app, "198.51.100.11", "third").await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_an_untrusted_peer() {
    let mut env = TestEnv::new().await;
    env.set("AUTH_ADDRESS_LIMIT", "1");
    let app = env.spawn_owned().await;
    assert_eq!(
        signup_from(&app, "192.0.2.1", "one").await.0,
        StatusCode::CREATED
    );
    // The peer is 127.0.0.1 whatever the header says.
    let (status, retry_after, _) = signup_from(&app, "192.0.2.2", "two").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some());
}

#[tokio::test]
async fn auth_address_limit_zero_turns_the_address_limit_off() {
    // The harness's default is AUTH_ADDRESS_LIMIT=0; one at a time, so the
    // hash slots are never the limit.
    let app = TestApp::spawn().await;
    for n in 0..35 {
        let (status, body) = app.login(&format!("nobody{n}@example.com"), WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "login {n}: {body}");
    }
}

#[tokio::test]
async fn the_account_limit_is_shared_across_nodes() {
    let env = behind_a_proxy(&[("LOGIN_FAILURE_LIMIT", "2")]).await;
    if !env.uses_redis() {
        eprintln!("skipped: several nodes need TEST_DATABASE_URL and TEST_REDIS_URL");
        return;
    }
    let one = env.spawn().await;
    let two = env.spawn_owned().await;
    let victim = one.signup("victim").await;
    for _ in 0..2 {
        let (status, _, _) = login_from(&one, ATTACKER, &victim.email, WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry_after, _) = login_from(&two, ATTACKER, &victim.email, WRONG).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some());
    let (status, _, _) = login_from(&two, VICTIM_HOME, &victim.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    one.stop().await;
}

#[tokio::test]
async fn past_the_hash_slots_a_login_is_refused_with_503_not_500() {
    let mut env = TestEnv::new().await;
    env.set("PASSWORD_HASH_CONCURRENCY", "1")
        .set("PASSWORD_HASH_QUEUE_MS", "0");
    let app = env.spawn_owned().await;
    let answers = join_all((0..12).map(|n| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({ "email": format!("nobody{n}@example.com"), "password": WRONG }))
                .send()
                .await
                .expect("sent");
            let status = response.status();
            let retry_after = response.headers().get("retry-after").is_some();
            let body: Value = response.json().await.expect("json body");
            (status, retry_after, body)
        }
    }))
    .await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|a| a.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!refused.is_empty(), "{answers:?}");
    for (_, retry_after, body) in &refused {
        assert!(retry_after, "{body}");
        assert_eq!(body["code"], "SERVICE_UNAVAILABLE", "{body}");
    }
    assert!(
        answers
            .iter()
            .all(|a| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&a.0)),
        "{answers:?}"
    );
}

#[tokio::test]
async fn membership_changes_are_limited_per_user() {
    let mut env = TestEnv::new().await;
    env.set("MEMBERSHIP_CHANGES_PER_HOUR", "5");
    let app = env.spawn_owned().await;
    let owner = app.signup("owner").await;
    let mut others = Vec::new();
    for name in ["ann", "bob", "cat", "dan"] {
        others.push(app.signup(name).await);
    }
    // Three other users named (and the owner, who does not count): 3.
    let ids = [owner.id, others[0].id, others[1].id, others[2].id];
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "three", "participant_ids": ids }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let conversation = body["id"].as_str().expect("id").to_owned();
    let add = format!("/api/v1/conversations/{conversation}/add_participant");
    let (status, body) = app
        .post(
            &add,
            json!({ "user_id": others[3].id }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Two names would not fit in the one change left; nothing is counted.
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "two", "participant_ids": [others[0].id, others[1].id] }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // A creation with no one else costs one: the fifth.
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "alone" }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let response = app
        .client
        .post(app.url(&add))
        .bearer_auth(&owner.access)
        .json(&json!({ "email": "ann@example.com" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "THROTTLED", "{body}");

    let created = app
        .graphql(
            "mutation { createConversation(input: {name: \"more\"}) { id } }",
            json!({}),
            Some(&owner.access),
        )
        .await;
    let extensions = &created["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "THROTTLED", "{created}");
    assert!(
        extensions["retryAfter"].as_u64().is_some_and(|s| s >= 1),
        "{created}"
    );
    // Another user has a budget of their own.
    let (status, _) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "mine" }),
            Some(&others[0].access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}
