//! Signup, login, refresh and `me` over REST and GraphQL: every rule and code.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, error_code};

fn signup_body(email: &str, username: &str) -> Value {
    json!({
        "email": email,
        "username": username,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    })
}

/// Posts a signup body over REST; the status and body.
async fn post_signup(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/auth/signup", body, None).await
}

const SIGNUP: &str = r#"mutation($input: SignupInput!) {
  signup(input: $input) { user { id email username firstName lastName fullName } tokens { access refresh } }
}"#;
const LOGIN: &str = r#"mutation($input: LoginInput!) {
  login(input: $input) { user { id email } tokens { access refresh } }
}"#;
const REFRESH: &str = r#"mutation($refresh: String!) {
  refreshToken(refresh: $refresh) { user { id } tokens { access refresh } }
}"#;
const ME: &str = "{ me { id email username firstName lastName fullName } }";

#[tokio::test]
async fn rest_signup_returns_201_with_user_and_tokens() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/signup/",
            signup_body("Ada@Example.com", "ada"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["username"], "ada");
    assert_eq!(body["user"]["first_name"], "Ada");
    assert_eq!(body["user"]["last_name"], "Lovelace");
    assert!(body["user"]["id"].is_i64());
    assert!(
        body["tokens"]["access"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );
    assert!(
        body["tokens"]["refresh"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );
    let keys: Vec<&String> = body["user"].as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 5, "exactly django-chat's user fields: {keys:?}");
}

#[tokio::test]
async fn rest_signup_reports_every_failing_field() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            json!({
                "email": "not-an-email",
                "username": "has space",
                "first_name": "   ",
                "last_name": "x".repeat(51),
                "password": "short",
                "password_confirm": "different",
            }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for field in [
        "email",
        "username",
        "first_name",
        "last_name",
        "password",
        "password_confirm",
    ] {
        assert!(
            body[field].as_array().is_some_and(|m| !m.is_empty()),
            "{field} in {body}"
        );
    }
    // Missing fields are reported as required, not as a parse error.
    let (status, body) = app.post("/api/v1/auth/signup", json!({}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["email"][0], "This field is required.");
    assert_eq!(body["password"][0], "This field is required.");
}

#[tokio::test]
async fn password_rules_are_enforced() {
    let app = TestApp::spawn().await;
    let cases = [
        ("Sh0rt!pass", true),
        ("Sh0rt!pas", false),
        ("nouppercase1!", false),
        ("NOLOWERCASE1!", false),
        ("NoDigitsHere!", false),
        ("NoSpecial123", false),
    ];
    for (i, (password, ok)) in cases.into_iter().enumerate() {
        let mut body = signup_body(&format!("p{i}@example.com"), &format!("p{i}"));
        body["password"] = json!(password);
        body["password_confirm"] = json!(password);
        let (status, body) = post_signup(&app, body).await;
        let expected = if ok {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected, "{password}: {body}");
        if !ok {
            assert!(body["password"].is_array(), "{body}");
        }
    }
    let long = format!("Aa1!{}", "x".repeat(125));
    let mut body = signup_body("long@example.com", "long");
    body["password"] = json!(long);
    body["password_confirm"] = json!(long);
    let (status, _) = post_signup(&app, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn duplicate_email_is_case_insensitive_and_reported_on_email() {
    let app = TestApp::spawn().await;
    let (status, _) = post_signup(&app, signup_body("dup@example.com", "first")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = post_signup(&app, signup_body("DUP@Example.COM", "second")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["email"].is_array(), "{body}");
    let (status, body) = post_signup(&app, signup_body("other@example.com", "first")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["username"].is_array(), "{body}");
}

#[tokio::test]
async fn malformed_bodies_are_400_not_500() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
    ] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let (status, _) = app
            .post(path, json!({ "email": 5, "password": [] }), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} wrong types");
        let (status, _) = app.post(path, json!([1, 2]), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} array body");
    }
}

#[tokio::test]
async fn rest_login_succeeds_and_fails_like_django_chat() {
    let app = TestApp::spawn().await;
    let user = app.signup("lin").await;
    let (status, body) = app.login("LIN@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], user.id);
    assert_eq!(body["user"]["username"], user.username.as_str());
    assert!(body["tokens"]["access"].is_string());

    let (status, body) = app.login(&user.email, "Wr0ng-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "error": "Invalid credentials" }));

    let (status, body) = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "error": "Invalid credentials" }));

    let (status, body) = app
        .post("/api/v1/auth/login", json!({ "email": "" }), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["email"].is_array() && body["password"].is_array(),
        "{body}"
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_spent_token_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.signup("rot").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh": user.refresh }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_refresh = body["refresh"].as_str().expect("refresh").to_owned();
    assert!(body["access"].is_string());
    assert_ne!(new_refresh, user.refresh);

    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh": user.refresh }),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a spent refresh token is refused"
    );

    // An access token is not a refresh token.
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh": user.access }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            json!({ "refresh": new_refresh }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn graphql_signup_login_refresh_and_me() {
    let app = TestApp::spawn().await;
    let input = json!({
        "email": "gql@example.com", "username": "gql", "firstName": "Grace",
        "lastName": "Hopper", "password": PASSWORD, "passwordConfirm": PASSWORD,
    });
    let body = app.graphql(SIGNUP, json!({ "input": input }), None).await;
    let signup = &body["data"]["signup"];
    assert_eq!(signup["user"]["fullName"], "Grace Hopper", "{body}");
    let id = signup["user"]["id"]
        .as_str()
        .expect("id is an ID string")
        .to_owned();

    let body = app
        .graphql(
            LOGIN,
            json!({ "input": { "email": "gql@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
    let access = body["data"]["login"]["tokens"]["access"]
        .as_str()
        .expect("access")
        .to_owned();
    let refresh = body["data"]["login"]["tokens"]["refresh"]
        .as_str()
        .expect("refresh")
        .to_owned();

    let body = app.graphql(ME, json!({}), Some(&access)).await;
    assert_eq!(body["data"]["me"]["id"], id.as_str());
    assert_eq!(body["data"]["me"]["email"], "gql@example.com");
    assert_eq!(body["data"]["me"]["username"], "gql");

    let body = app
        .graphql(REFRESH, json!({ "refresh": refresh }), None)
        .await;
    assert_eq!(
        body["data"]["refreshToken"]["user"]["id"],
        id.as_str(),
        "{body}"
    );
    let body = app
        .graphql(REFRESH, json!({ "refresh": refresh }), None)
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn graphql_error_codes() {
    let app = TestApp::spawn().await;
    let bad = json!({
        "email": "x", "username": "", "firstName": "A", "lastName": "B",
        "password": "weak", "passwordConfirm": "other",
    });
    let body = app.graphql(SIGNUP, json!({ "input": bad }), None).await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
    let fields = &body["errors"][0]["extensions"]["fields"];
    for field in ["email", "username", "password", "passwordConfirm"] {
        assert!(fields[field].is_array(), "{field} in {body}");
    }

    let body = app
        .graphql(
            LOGIN,
            json!({ "input": { "email": "no@example.com", "password": PASSWORD } }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS");

    let body = app.graphql(ME, json!({}), None).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let body = app.graphql(ME, json!({}), Some("garbage")).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.signup("forge").await;
    let payload = user.access.split('.').nth(1).expect("payload").to_owned();
    // alg "none", unsigned
    let none_header = b64(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{payload}.");
    // alg HS512 with a signature that cannot be right
    let hs512 = format!(
        "{}.{payload}.c2lnbmF0dXJl",
        b64(r#"{"alg":"HS512","typ":"JWT"}"#)
    );
    // tampered payload with the original signature
    let signature = user.access.rsplit('.').next().expect("signature");
    let tampered = format!(
        "{}.{}.{signature}",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(&format!(
            r#"{{"token_type":"access","exp":9999999999,"iat":1,"jti":"x","user_id":{}}}"#,
            user.id + 1
        ))
    );
    for token in [unsigned, hs512, tampered, user.refresh.clone()] {
        let body = app.graphql(ME, json!({}), Some(&token)).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{token}");
    }
    let body = app.graphql(ME, json!({}), Some(&user.access)).await;
    assert_eq!(body["data"]["me"]["id"], user.id.to_string());
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
