//! The REST edge is exactly as strict as its OpenAPI document: what the
//! document refuses is a 400 in the documented shape, what it admits is
//! served; missing fields are field errors; unknown paths and methods answer
//! JSON. (`.ci/schemathesis` fuzzes the same promises.)

use reqwest::{
    Method, StatusCode,
    header::{ALLOW, CONTENT_TYPE},
};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const SIGNUP_FIELDS: [&str; 6] = [
    "email",
    "username",
    "first_name",
    "last_name",
    "password",
    "password_confirm",
];

/// Sends `method path` with no body and returns status, content type, body.
async fn raw(app: &TestApp, method: Method, path: &str) -> (StatusCode, String, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body = response.json().await.expect("a JSON body");
    (status, content_type, body)
}

#[tokio::test]
async fn unknown_paths_are_json_404s() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/unknown", "/nope", "/api/v1/conversations/x/y/z"] {
        for method in [Method::GET, Method::POST] {
            let (status, content_type, body) = raw(&app, method.clone(), path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(content_type, "application/json", "{method} {path}");
            assert_eq!(body, json!({"detail": "Not found."}), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn unsupported_methods_on_known_paths_are_json_405s() {
    let app = TestApp::spawn().await;
    for (method, path, allowed) in [
        (Method::PUT, "/api/v1/auth/login", "POST"),
        (Method::DELETE, "/api/v1/conversations/", "GET,HEAD,POST"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allow = response.headers()[ALLOW]
            .to_str()
            .expect("ascii")
            .replace(' ', "");
        assert_eq!(allow, allowed, "{path}");
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body["detail"], format!("Method \"{method}\" not allowed."));
    }
}

#[tokio::test]
async fn signup_reports_each_missing_field_with_the_others() {
    let app = TestApp::spawn().await;
    // Nothing at all: all six, each as required.
    let (status, body) = app.post("/api/v1/auth/signup", json!({}), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    for field in SIGNUP_FIELDS {
        assert_eq!(
            body[field],
            json!(["This field is required."]),
            "{field}: {body}"
        );
    }

    // Only `password_confirm` missing: it alone, as required (not "do not match").
    let mut full = json!({
        "email": "ada@example.com", "username": "ada", "first_name": "Ada",
        "last_name": "Lovelace", "password": PASSWORD, "password_confirm": PASSWORD,
    });
    full.as_object_mut()
        .expect("object")
        .remove("password_confirm");
    let (status, body) = app.post("/api/v1/auth/signup", full.clone(), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"password_confirm": ["This field is required."]})
    );

    // Missing together with another failing field: both are reported.
    full["email"] = json!("not-an-email");
    let (status, body) = app.post("/api/v1/auth/signup", full, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["email"], json!(["Enter a valid email address."]));
    assert_eq!(body["password_confirm"], json!(["This field is required."]));
}

#[tokio::test]
async fn login_and_refresh_report_missing_and_empty_fields() {
    let app = TestApp::spawn().await;
    let required = json!(["This field is required."]);
    for (body, fields) in [
        (json!({}), vec!["email", "password"]),
        (json!({"email": "a@example.com"}), vec!["password"]),
        (json!({"password": PASSWORD}), vec!["email"]),
        // The document's `minLength: 1` and `pattern: \S`.
        (
            json!({"email": "a@example.com", "password": ""}),
            vec!["password"],
        ),
        (json!({"email": "  ", "password": PASSWORD}), vec!["email"]),
    ] {
        let (status, answer) = app.post("/api/v1/auth/login", body.clone(), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let expected: Value = fields
            .iter()
            .map(|f| (f.to_string(), required.clone()))
            .collect();
        assert_eq!(answer, expected, "{body}");
    }
    for body in [json!({}), json!({"refresh": ""}), json!({"refresh": " "})] {
        let (status, answer) = app.post("/api/v1/auth/refresh", body.clone(), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer, json!({"refresh": required}), "{body}");
    }
}

/// The document states these bounds; the server refuses what they refuse.
#[tokio::test]
async fn the_document_states_what_the_server_refuses() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    assert_eq!(
        schema("RefreshRequest")["properties"]["refresh"]["minLength"],
        1
    );
    assert_eq!(
        schema("LoginRequest")["properties"]["password"]["minLength"],
        1
    );
    assert_eq!(
        schema("SignupRequest")["properties"]["password_confirm"]["minLength"],
        1
    );
    let ids = &schema("CreateConversationRequest")["properties"]["participant_ids"];
    assert_eq!(ids["items"]["format"], "int64");

    // add_participant: an integer user_id, or a non-blank email.
    let one_of = schema("AddParticipantRequest")["oneOf"].clone();
    assert_eq!(one_of[0]["required"], json!(["user_id"]));
    assert_eq!(one_of[1]["required"], json!(["email"]));
    let email = one_of[1]["properties"]["email"]["pattern"]
        .as_str()
        .expect("the email's pattern");
    let email = regex::Regex::new(email).expect("a regex");
    assert!(email.is_match("bob@example.com"), "{email}");
    assert!(!email.is_match(" \u{85}\t"), "{email}: white space alone");

    // limit/offset: an int64, or empty.
    let params = &doc["paths"]["/conversations"]["get"]["parameters"];
    for param in params.as_array().expect("parameters") {
        let any_of = &param["schema"]["anyOf"];
        assert_eq!(any_of[0]["format"], "int64", "{param}");
        assert_eq!(any_of[1]["enum"], json!([""]), "{param}");
    }
}

#[tokio::test]
async fn paging_parameters_are_integers_or_empty() {
    let app = TestApp::spawn().await;
    let user = app.signup("pia");
    let user = user.await;
    let token = Some(user.access.as_str());
    for (query, field) in [
        ("limit=abc", "limit"),
        ("offset=1.5", "offset"),
        ("offset=9223372036854775808", "offset"),
        ("limit=-9223372036854775809", "limit"),
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/conversations?{query}"), token)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            body[field],
            json!(["A valid integer is required."]),
            "{query}"
        );
    }
    // Empty reads as absent; out-of-range integers are clamped, as in DRF.
    for query in ["limit=&offset=", "limit=1000&offset=-5", "limit=0"] {
        let (status, body) = app
            .get(&format!("/api/v1/conversations?{query}"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }

    let (_, conversation) = app
        .post("/api/v1/conversations", json!({"name": "Paging"}), token)
        .await;
    let messages = format!(
        "/api/v1/conversations/{}/messages",
        conversation["id"].as_str().expect("id")
    );
    let (status, body) = app.get(&format!("{messages}?limit=ten"), token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["limit"], json!(["A valid integer is required."]));
    for query in ["limit=&from=&before=", "limit=1000", "from=1-0&before="] {
        let (status, body) = app.get(&format!("{messages}?{query}"), token).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }
    // The one rule between parameters the document cannot state: its 400.
    let (status, body) = app
        .get(&format!("{messages}?from=1-0&before=2-0"), token)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["before"],
        json!(["Give either from or before, not both."])
    );
}

#[tokio::test]
async fn json_integers_are_what_json_schema_calls_integers() {
    let app = TestApp::spawn().await;
    let admin = app.signup("ida").await;
    let guest = app.signup("gus").await;
    let token = Some(admin.access.as_str());
    // `5.0` and `5e0` are integers to JSON Schema (and to Python clients).
    let (status, body) = app
        .post(
            "/api/v1/conversations",
            json!({"name": "Floats", "participant_ids": [guest.id as f64]}),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["participants"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    let add = format!(
        "/api/v1/conversations/{}/add_participant",
        body["id"].as_str().expect("id")
    );
    let (status, body) = app
        .post(&add, json!({"user_id": guest.id as f64}), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A fraction, or an integer beyond int64, is not.
    for ids in [
        json!([1.5]),
        json!([9_223_372_036_854_775_808_u64]),
        json!([-9.3e18]),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/conversations",
                json!({"name": "x", "participant_ids": ids}),
                token,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ids}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }

    // Neither user_id nor a non-blank email: the documented 400.
    for neither in [
        json!({}),
        json!({"email": " "}),
        json!({"user_id": null, "email": null}),
    ] {
        let (status, body) = app.post(&add, neither.clone(), token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{neither}");
        assert_eq!(
            body,
            json!({"detail": "Either user_id or email is required"})
        );
    }
}
