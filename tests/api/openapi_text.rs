//! The patterns the OpenAPI document gives trimmed text fields accept what
//! the server accepts. `.ci/schemathesis` fuzzes with Python's regex
//! dialect, where `\s` is not Rust's `trim`, and a length bound that
//! counted the white space around the text refused valid requests.

use regex::Regex;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestEnv};

/// White space of each kind `trim` removes, and characters the regex
/// dialects disagree on (`\x1C` is `\s` in Python only, `\u{FEFF}` in
/// ECMAScript only), NUL and a zero-width space.
const AROUND: &[&str] = &[
    " ", "\t", "\n", "\r", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}", "\u{1C}", "\u{FEFF}",
    "\u{200B}", "\0",
];

/// Texts around a field's bound: blank ones, `max` and `max + 1`
/// characters, each kind of [`AROUND`] before, after, around and inside.
fn edge_cases(max: usize) -> Vec<String> {
    let full = "é".repeat(max);
    let mut cases = vec![String::new(), "x".into(), full.clone(), "é".repeat(max + 1)];
    for w in AROUND {
        cases.extend([
            w.to_string(),
            format!("{w}{w}"),
            format!("{w}{full}"),
            format!("{full}{w}"),
            format!("{w}{full}{w}"),
            format!("{w}x{w}"),
            format!("x{w}x"),
            format!("{w}é{}", "é".repeat(max)),
        ]);
    }
    cases
}

/// The pattern of `field` in the request schema `schema`, as a whole-string
/// match.
fn pattern(doc: &Value, schema: &str, field: &str) -> Regex {
    let property = &doc["components"]["schemas"][schema]["properties"][field];
    let source = property["pattern"]
        .as_str()
        .unwrap_or_else(|| panic!("{schema}.{field} has a pattern: {property}"));
    assert!(
        property.get("maxLength").is_none(),
        "{schema}.{field}: maxLength counts the white space the server trims"
    );
    spelled_out(source)
}

/// A pattern that names its white space rather than use `\s`/`\S`, which
/// mean different sets in Python (which fuzzes the document: U+0085 is
/// white space to `trim` but was taken for text there), ECMAScript and Rust.
fn spelled_out(source: &str) -> Regex {
    assert!(
        !source.contains(r"\s") && !source.contains(r"\S"),
        "{source}: white space shorthand"
    );
    Regex::new(source).unwrap_or_else(|e| panic!("{source}: {e}"))
}

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// Checks every edge case of a field against the server: accepted means
/// the pattern matches; with `exact`, refused means it does not.
async fn check<F, Fut>(regex: &Regex, max: usize, exact: bool, mut submit: F)
where
    F: FnMut(usize, String) -> Fut,
    Fut: Future<Output = (StatusCode, Value)>,
{
    for (i, text) in edge_cases(max).into_iter().enumerate() {
        let matches = regex.is_match(&text);
        let (status, body) = submit(i, text.clone()).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::BAD_REQUEST,
            "{text:?}: {status} {body}"
        );
        let accepted = status == StatusCode::CREATED;
        if accepted {
            assert!(matches, "accepted but the pattern refuses {text:?}");
        } else if exact {
            assert!(!matches, "refused but the pattern accepts {text:?}: {body}");
        }
    }
}

#[tokio::test]
async fn message_content_pattern_is_the_send_rule() {
    let mut env = TestEnv::new().await;
    env.set("RATE_LIMIT_MESSAGES", "100000");
    let app = env.spawn_owned().await;
    let ada = app.signup("ada").await;
    let (status, conversation) = app
        .post(
            "/api/v1/conversations",
            json!({"name": "edges"}),
            Some(&ada.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    let id = conversation["id"].as_str().expect("id").to_owned();
    let regex = pattern(&document(&app).await, "SendMessageRequest", "content");
    let path = format!("/api/v1/conversations/{id}/messages");
    check(&regex, 2000, true, |_, text| {
        app.post(&path, json!({ "content": text }), Some(&ada.access))
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn conversation_name_pattern_is_the_create_rule() {
    let mut env = TestEnv::new().await;
    env.set("MEMBERSHIP_CHANGES_PER_HOUR", "100000");
    let app = env.spawn_owned().await;
    let ada = app.signup("ada").await;
    let regex = pattern(&document(&app).await, "CreateConversationRequest", "name");
    check(&regex, 255, true, |_, text| {
        app.post(
            "/api/v1/conversations",
            json!({ "name": text }),
            Some(&ada.access),
        )
    })
    .await;
    app.stop().await;
}

/// Names exactly; usernames and emails only as far as their length and
/// white space go (the document leaves which characters to the 400).
#[tokio::test]
async fn signup_patterns_admit_every_accepted_signup() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let signup = |i: usize, field: &'static str, text: String| {
        let mut body = json!({
            "email": format!("user{i}.{field}@example.com"),
            "username": format!("user{i}_{field}"),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        });
        body[field] = Value::String(text);
        let app = &app;
        async move { app.post("/api/v1/auth/signup", body, None).await }
    };
    for (field, max) in [("first_name", 50), ("last_name", 50)] {
        let regex = pattern(&doc, "SignupRequest", field);
        check(&regex, max, true, |i, text| signup(i, field, text)).await;
    }
    let regex = pattern(&doc, "SignupRequest", "username");
    check(&regex, 150, false, |i, text| {
        // Unique however the edge case is trimmed.
        signup(i, "username", text.replace('x', &format!("x{i}_")))
    })
    .await;
    let regex = pattern(&doc, "SignupRequest", "email");
    check(&regex, 254, false, |i, text| {
        signup(i, "email", text.replace('x', &format!("x{i}@example.com")))
    })
    .await;
    // The longest valid email, sent with a newline after it.
    let longest = format!(
        "{}@{}.{}.{}.com\n",
        "a".repeat(64),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(57)
    );
    assert!(regex.is_match(&longest), "{longest:?}");
    let (status, body) = signup(0, "email", longest).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

/// Fields that only must not be blank (a login's email, a refresh token, a
/// search): the server refuses exactly what their pattern refuses. The
/// pattern is unanchored, as JSON Schema's are.
#[tokio::test]
async fn not_blank_patterns_refuse_exactly_the_blank_texts() {
    let mut env = TestEnv::new().await;
    // Most of these logins fail, on one trimmed email.
    env.set("AUTH_ADDRESS_LIMIT", "0");
    env.set("LOGIN_FAILURE_LIMIT", "1000");
    let app = env.spawn_owned().await;
    let ada = app.signup("ada").await;
    let doc = document(&app).await;
    let search = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .find(|(path, _)| path.trim_end_matches('/').ends_with("/users"))
        .and_then(|(_, item)| item["get"]["parameters"].as_array())
        .and_then(|parameters| parameters.iter().find(|p| p["name"] == "search"))
        .expect("the search parameter");
    // Absent is refused like blank (schemathesis left it out once).
    assert_eq!(search["required"], true, "{search}");
    let search = search["schema"]["pattern"]
        .as_str()
        .expect("the search parameter's pattern");
    for (schema, field) in [("LoginRequest", "email"), ("RefreshRequest", "refresh")] {
        let required = &doc["components"]["schemas"][schema]["required"];
        assert!(
            required
                .as_array()
                .is_some_and(|r| r.contains(&json!(field))),
            "{schema}.{field} is required: {required}"
        );
    }
    let fields = [
        (spelled_out(search), "search"),
        (pattern(&doc, "LoginRequest", "email"), "email"),
        (pattern(&doc, "RefreshRequest", "refresh"), "refresh"),
    ];
    // Each kind of white space alone and around a character: under the
    // search rate limit (30 a minute).
    let mut texts = vec![String::new()];
    for w in AROUND {
        texts.extend([w.to_string(), format!("{w}x{w}")]);
    }
    for (regex, field) in &fields {
        for text in &texts {
            let (status, body) = match *field {
                "search" => {
                    let mut url = reqwest::Url::parse("http://x/api/v1/users").expect("url");
                    url.query_pairs_mut().append_pair("search", text);
                    let path = format!("/api/v1/users?{}", url.query().unwrap_or_default());
                    app.get(&path, Some(&ada.access)).await
                }
                "email" => {
                    let body = json!({ "email": text, "password": PASSWORD });
                    app.post("/api/v1/auth/login", body, None).await
                }
                _ => {
                    let body = json!({ "refresh": text });
                    app.post("/api/v1/auth/refresh", body, None).await
                }
            };
            let refused = status == StatusCode::BAD_REQUEST;
            assert!(
                refused || status.is_success() || status == StatusCode::UNAUTHORIZED,
                "{field} {text:?}: {status} {body}"
            );
            assert_eq!(
                !refused,
                regex.is_match(text),
                "{field} {text:?}: {status} {body}, pattern {regex}"
            );
        }
    }
    app.stop().await;
}
