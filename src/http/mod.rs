//! The HTTP surface: one router with GraphQL, the REST adapters, health,
//! metrics, the embedded web pages, and the layers every request passes (request id, trace, metrics,
//! CORS, body limit).

pub mod extract;
mod health;
mod legacy_frames;
pub mod legacy_ws;
pub mod metrics;
pub mod rest;
pub mod serve;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, Method, StatusCode},
    middleware,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    domain::state::AppState,
    error::{Error, Missing},
    graphql::{self, ChatSchema},
    telemetry,
};

/// Builds the application router.
pub fn router(state: AppState, schema: ChatSchema) -> Router {
    let config = state.config.clone();
    Router::new()
        .merge(graphql::routes::router(schema))
        .nest("/api/v1", rest::router())
        .merge(health::router())
        .merge(metrics::router())
        .merge(legacy_ws::router())
        .merge(crate::web::router())
        // Clients of a JSON API parse every answer: unknown paths and
        // methods get DRF's JSON bodies instead of axum's empty ones.
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(telemetry::request_span)
                        .on_request(())
                        .on_response(telemetry::on_response),
                )
                .layer(middleware::from_fn(metrics::track))
                .layer(PropagateRequestIdLayer::x_request_id())
                // Enforced where a body is read (the JSON and GraphQL
                // extractors), which answer in their surface's JSON shape.
                .layer(DefaultBodyLimit::max(config.max_body_bytes))
                .layer(cors(&config.allowed_origins)),
        )
        .with_state(state)
}

/// Any path no route knows: `{"detail": "Not found."}`, as for an unknown id.
async fn not_found() -> Error {
    Error::NotFound(Missing::Route)
}

/// A known path with another method; axum adds the `Allow` header.
async fn method_not_allowed(method: Method) -> Response {
    let detail = format!("Method \"{method}\" not allowed.");
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "detail": detail })),
    )
        .into_response()
}

fn cors(allowed: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(tower_http::cors::Any)
        .allow_headers(tower_http::cors::Any)
}
