//! The OpenAPI document at `/api/v1/openapi.json`: OpenAPI 3.x, every REST
//! route and nothing else, internally consistent, and its paths are the ones
//! the server answers. (`.ci/schemathesis` checks responses against it.)

use std::collections::{BTreeSet, HashSet};

use reqwest::{Method, StatusCode, header::CONTENT_TYPE};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

/// Every REST route, relative to `/api/v1`, and whether it needs a token.
const ROUTES: &[(&str, &str, bool)] = &[
    ("post", "/auth/signup", false),
    ("post", "/auth/login", false),
    ("post", "/auth/refresh", false),
    ("get", "/conversations", true),
    ("post", "/conversations", true),
    ("get", "/conversations/{id}", true),
    ("post", "/conversations/{id}/add_participant", true),
    ("get", "/conversations/{id}/messages", true),
    ("post", "/conversations/{id}/messages", true),
    ("post", "/conversations/{id}/read", true),
    ("get", "/users", true),
    ("post", "/conversations/{id}/leave", true),
    ("post", "/conversations/{id}/remove_participant", true),
    ("patch", "/conversations/{id}/messages/{message_id}", true),
    ("delete", "/conversations/{id}/messages/{message_id}", true),
];

/// POSTs that take no body: an action on the path alone.
const BODYLESS: &[&str] = &["/conversations/{id}/leave"];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// Each operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut found = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().expect("path item is an object");
        for (method, operation) in item {
            if METHODS.contains(&method.as_str()) {
                found.push((method.clone(), path.clone(), operation));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_every_rest_route() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;

    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3."), "OpenAPI 3.x, got {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["servers"],
        json!([{"url": "/api/v1", "description": "This server"}])
    );

    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(documented, expected);
}

#[tokio::test]
async fn the_document_is_consistent() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;

    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in &refs {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not local"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");

    let mut operation_ids = HashSet::new();
    for (method, path, operation) in operations(&doc) {
        let at = format!("{method} {path}");
        let id = operation["operationId"].as_str().expect("operationId");
        assert!(operation_ids.insert(id.to_owned()), "{at}: duplicate {id}");

        let responses = operation["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{at}: no responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{at}: no success response"
        );
        for (status, response) in responses {
            let code: u16 = status.parse().unwrap_or(0);
            assert!((100..600).contains(&code), "{at}: status {status}");
            let response = resolve(&doc, response);
            assert!(
                response["description"].is_string(),
                "{at} {status}: description"
            );
            assert!(
                response["content"]["application/json"]["schema"].is_object(),
                "{at} {status}: every REST response has a JSON body"
            );
        }

        // Every `{name}` of the template is a required path parameter.
        let declared: BTreeSet<&str> = operation["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| resolve(&doc, p))
                    .filter(|p| p["in"] == "path")
                    .inspect(|p| assert_eq!(p["required"], true, "{at}: {p}"))
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(declared, templated, "{at}: path parameters");

        if method == "post" && BODYLESS.contains(&path.as_str()) {
            assert!(operation.get("requestBody").is_none(), "{at}: no body");
        } else if method == "post" {
            let body = resolve(&doc, &operation["requestBody"]);
            assert!(
                body["content"]["application/json"]["schema"].is_object(),
                "{at}: JSON request body"
            );
        }

        let authenticated = ROUTES
            .iter()
            .find(|(m, p, _)| *m == method && *p == path)
            .map(|(_, _, auth)| *auth)
            .expect("a known route");
        if authenticated {
            assert_eq!(operation["security"], json!([{"bearer": []}]), "{at}");
            assert!(responses.contains_key("401"), "{at}: 401 documented");
        } else {
            assert!(operation.get("security").is_none(), "{at}: no security");
        }
    }

    let send = &doc["paths"]["/conversations/{id}/messages"]["post"]["responses"]["429"];
    assert_eq!(send["headers"]["Retry-After"]["schema"]["type"], "integer");
}

/// Requests every documented route (with and without a trailing slash) with
/// no token and an empty body: the server must know the route, and answer
/// with a status the document lists for it.
#[tokio::test]
async fn the_documented_paths_are_the_served_ones() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let id = Uuid::new_v4().to_string();
    for (method, path, operation) in operations(&doc) {
        let served = path.replace("{id}", &id);
        for suffix in ["", "/"] {
            let url = app.url(&format!("/api/v1{served}{suffix}"));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = app
                .client
                .request(method.clone(), &url)
                .json(&json!({}))
                .send()
                .await
                .expect("request sent");
            let status = response.status().as_u16().to_string();
            assert!(
                operation["responses"].get(&status).is_some(),
                "{method} {url}: {status} is not documented"
            );
        }
    }
}

#[tokio::test]
async fn the_docs_page_loads_the_document() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE].to_str().expect("ascii");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.expect("body");
    assert!(
        page.contains(r#"data-url="/api/v1/openapi.json""#),
        "{page}"
    );
}

/// A repeated query parameter is a 400 in the documented shape, not plain text.
#[tokio::test]
async fn unreadable_query_strings_are_documented_400s() {
    let app = TestApp::spawn().await;
    let user = app.signup("quinn").await;
    let (status, body) = app
        .get("/api/v1/conversations?limit=1&limit=2", Some(&user.access))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].is_string(), "{body}");
}

/// A path id that is not even UTF-8 is a documented 404, not plain text.
#[tokio::test]
async fn unreadable_path_ids_are_documented_404s() {
    let app = TestApp::spawn().await;
    let user = app.signup("rhea").await;
    for path in [
        "/api/v1/conversations/%FF",
        "/api/v1/conversations/%FF/messages",
    ] {
        let (status, body) = app.get(path, Some(&user.access)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body["detail"].is_string(), "{path}: {body}");
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// Follows a `$ref` (already checked to resolve) to what it names.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .expect("reference resolves"),
        None => value,
    }
}
