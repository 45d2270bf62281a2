//! The browser pages built from `web/` (the chat client, GraphiQL and the
//! REST reference page), embedded in the binary so that `cargo run` serves
//! them with no Node and no network. Assets carry a content hash in their
//! name and are cached for a year; the HTML pages naming them are never
//! cached, so a new build is picked up on the next load.

use axum::{
    Router,
    extract::Path,
    http::{
        HeaderValue, StatusCode,
        header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS},
    },
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::RustEmbed;

use crate::{
    domain::state::AppState,
    error::{Error, Missing},
};

/// `web/dist`, as committed: `.ci/run` rebuilds it and fails on a difference.
#[derive(RustEmbed)]
#[folder = "web/dist"]
struct Dist;

/// The HTML pages of `web/dist`, each with the policy it needs.
#[derive(Clone, Copy, Debug)]
pub enum Page {
    /// The chat client: nothing but its own scripts, styles and sockets.
    Client,
    /// GraphiQL.
    GraphiQl,
    /// The REST API reference (Scalar).
    ApiDocs,
}

/// Every page loads only from this origin. The client needs nothing more;
/// GraphiQL and Scalar set inline styles and use `data:` images and fonts.
const CLIENT_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const TOOL_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; font-src 'self' data:; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

impl Page {
    fn file(self) -> &'static str {
        match self {
            Self::Client => "index.html",
            Self::GraphiQl => "graphiql.html",
            Self::ApiDocs => "docs.html",
        }
    }

    fn policy(self) -> &'static str {
        match self {
            Self::Client => CLIENT_POLICY,
            Self::GraphiQl | Self::ApiDocs => TOOL_POLICY,
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let Some(file) = Dist::get(self.file()) else {
            // Only a checkout without `web/dist` gets here.
            return Error::NotFound(Missing::Route).into_response();
        };
        (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(self.policy()),
                ),
                (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            file.data,
        )
            .into_response()
    }
}

/// `GET /` (the client) and `GET /assets/{file}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Page::Client }))
        .route("/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some(content) = Dist::get(&format!("assets/{file}")) else {
        return Error::NotFound(Missing::Route).into_response();
    };
    let content_type = match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("png") => "image/png",
        Some("json" | "map") => "application/json",
        _ => "application/octet-stream",
    };
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The name changes with the content (Vite's hash).
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        content.data,
    )
        .into_response()
}
