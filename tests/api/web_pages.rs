//! The embedded web pages (`web/dist`): the client at `/`, GraphiQL at
//! `GET /graphql`, the REST reference at `/api/v1/docs`. Each is served
//! from the binary, loads nothing from another origin, and says so in its
//! Content Security Policy; hashed assets are cached, the pages are not.

use regex::Regex;
use reqwest::{
    StatusCode,
    header::{ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE},
};

use crate::helpers::{TestApp, TestEnv};

struct Page {
    csp: String,
    cache: String,
    html: String,
}

async fn page(app: &TestApp, path: &str) -> Page {
    let response = app
        .client
        .get(app.url(path))
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header(CONTENT_TYPE).starts_with("text/html"), "{path}");
    let (csp, cache) = (header(CONTENT_SECURITY_POLICY), header(CACHE_CONTROL));
    let html = response.text().await.expect("body");
    Page { csp, cache, html }
}

/// Every `src` and `href` of a page.
fn references(html: &str) -> Vec<String> {
    let attribute = Regex::new(r#"(?:src|href)="([^"]*)""#).expect("regex");
    attribute
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .collect()
}

#[tokio::test]
async fn every_page_loads_only_from_this_origin() {
    let app = TestApp::spawn().await;
    for path in ["/", "/graphql", "/api/v1/docs"] {
        let page = page(&app, path).await;
        assert!(
            page.csp.starts_with("default-src 'self';"),
            "{path}: {}",
            page.csp
        );
        // No policy names another origin.
        assert!(!page.csp.contains("http"), "{path}: {}", page.csp);
        assert_eq!(page.cache, "no-cache", "{path}");
        let references = references(&page.html);
        assert!(!references.is_empty(), "{path}: {}", page.html);
        for reference in references {
            // The empty icon spares the browser a request for /favicon.ico.
            if reference == "data:," {
                continue;
            }
            assert!(
                reference.starts_with("/assets/"),
                "{path} references {reference}"
            );
            let asset = app
                .client
                .get(app.url(&reference))
                .send()
                .await
                .expect("sent");
            assert_eq!(asset.status(), StatusCode::OK, "{reference}");
            let cache = asset.headers()[CACHE_CONTROL].to_str().expect("ascii");
            assert!(cache.contains("immutable"), "{reference}: {cache}");
            let kind = asset.headers()[CONTENT_TYPE].to_str().expect("ascii");
            assert!(
                kind.starts_with("text/javascript") || kind.starts_with("text/css"),
                "{reference}: {kind}"
            );
        }
    }
    // The client's own policy allows no inline style or script.
    let client = page(&app, "/").await;
    assert!(!client.csp.contains("unsafe"), "{}", client.csp);
}

#[tokio::test]
async fn unknown_assets_are_404s() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/assets/nothing-here.js", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["detail"], "Not found.");
}

#[tokio::test]
async fn production_serves_the_client_and_the_docs() {
    let mut env = TestEnv::new().await;
    env.set("APP_ENV", "production");
    let app = env.spawn().await;
    let client = page(&app, "/").await;
    assert!(client.html.contains("<div id=\"app\">"), "{}", client.html);
    page(&app, "/api/v1/docs").await;
}
