//! Finding people: `users(search:)` and `GET /api/v1/users/?search=`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, error_code},
};

const USERS: &str = "query($search: String!, $limit: Int) { users(search: $search, limit: $limit) { id username email } }";

fn usernames(users: &Value) -> Vec<&str> {
    users
        .as_array()
        .expect("a list of users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect()
}

#[tokio::test]
async fn finds_by_username_prefix_or_exact_email_without_leaking_emails() {
    let app = TestApp::spawn().await;
    let ada = app.signup("ada").await;
    let adam = app.signup("Adam_x").await;
    let adele = app.signup("adele").await;
    app.signup("bob").await;
    // Ada shares a conversation with Adam only.
    create_conversation(&app, &ada, "Pair", &[&adam]).await;

    let body = app
        .graphql(USERS, json!({ "search": "AD" }), Some(&ada.access))
        .await;
    let found = &body["data"]["users"];
    assert_eq!(usernames(found), ["ada", "Adam_x", "adele"], "{body}");
    let email_of = |name: &str| {
        found
            .as_array()
            .and_then(|users| users.iter().find(|u| u["username"] == name))
            .map(|u| u["email"].clone())
            .expect("found")
    };
    assert_eq!(email_of("ada"), ada.email.as_str(), "my own email");
    assert_eq!(
        email_of("Adam_x"),
        "adam_x@example.com",
        "a fellow participant"
    );
    assert_eq!(email_of("adele"), "", "a stranger's email stays hidden");

    // `_` is not a wildcard; the prefix is case-insensitive.
    let body = app
        .graphql(USERS, json!({ "search": "adam_" }), Some(&ada.access))
        .await;
    assert_eq!(usernames(&body["data"]["users"]), ["Adam_x"]);
    let body = app
        .graphql(USERS, json!({ "search": "a_" }), Some(&ada.access))
        .await;
    assert_eq!(usernames(&body["data"]["users"]), Vec::<&str>::new());

    // The exact email finds a stranger, with the email searched for.
    let body = app
        .graphql(
            USERS,
            json!({ "search": " ADELE@example.com " }),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        body["data"]["users"],
        json!([{ "id": adele.id.to_string(), "username": "adele", "email": adele.email }])
    );
    // A partial email is not a match.
    let body = app
        .graphql(USERS, json!({ "search": "example.com" }), Some(&ada.access))
        .await;
    assert_eq!(body["data"]["users"], json!([]));

    let body = app
        .graphql(
            USERS,
            json!({ "search": "ad", "limit": 2 }),
            Some(&ada.access),
        )
        .await;
    assert_eq!(usernames(&body["data"]["users"]), ["ada", "Adam_x"]);
}

#[tokio::test]
async fn searches_are_validated_capped_authenticated_and_rate_limited() {
    let app = TestApp::spawn().await;
    let ada = app.signup("ada").await;
    for n in 0..22 {
        app.signup(&format!("user{n:02}")).await;
    }
    let body = app
        .graphql(USERS, json!({ "search": "  " }), Some(&ada.access))
        .await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR", "{body}");
    assert!(body["errors"][0]["extensions"]["fields"]["search"].is_array());
    let body = app
        .graphql(
            USERS,
            json!({ "search": "user", "limit": 0 }),
            Some(&ada.access),
        )
        .await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR", "{body}");
    let body = app.graphql(USERS, json!({ "search": "user" }), None).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    let body = app
        .graphql(
            USERS,
            json!({ "search": "user", "limit": 500 }),
            Some(&ada.access),
        )
        .await;
    assert_eq!(body["data"]["users"].as_array().map(Vec::len), Some(20));
    let body = app
        .graphql(USERS, json!({ "search": "user" }), Some(&ada.access))
        .await;
    assert_eq!(body["data"]["users"].as_array().map(Vec::len), Some(10));

    // REST: the same rules.
    let (status, body) = app
        .get("/api/v1/users/?search=USER0&limit=3", Some(&ada.access))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(usernames(&body["results"]), ["user00", "user01", "user02"]);
    assert_eq!(body["results"][0]["email"], "");
    let (status, body) = app.get("/api/v1/users?search=", Some(&ada.access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["search"].is_array(), "{body}");
    let (status, _) = app
        .get("/api/v1/users/?search=u&limit=x", Some(&ada.access))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.get("/api/v1/users/?search=u", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // 30 searches a minute per user; the 6 above and these fill the window.
    let mut throttled = None;
    for _ in 0..30 {
        let (status, body) = app.get("/api/v1/users/?search=u", Some(&ada.access)).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(body);
            break;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let throttled = throttled.expect("searches are rate limited");
    assert_eq!(throttled["code"], "THROTTLED");
    let body = app
        .graphql(USERS, json!({ "search": "user" }), Some(&ada.access))
        .await;
    assert_eq!(error_code(&body), "THROTTLED", "{body}");
    // Another user has a window of their own.
    let (status, _) = app
        .get(
            "/api/v1/users/?search=ada",
            Some(&app.signup("zed").await.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
