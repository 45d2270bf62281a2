//! `/healthz` (every backing service really queried) and `/livez`.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::{Map, Value, json};

use crate::domain::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mut checks = Map::new();
    let db_ok = state.db.ping().await.is_ok();
    checks.insert(state.config.database_kind().to_owned(), db_ok.into());
    if let Some(redis_ok) = state.backends.redis_healthy().await {
        checks.insert("redis".to_owned(), redis_ok.into());
    }
    let healthy = checks.values().all(|v| v.as_bool() == Some(true));
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if healthy { "healthy" } else { "unhealthy" },
        "checks": checks,
    });
    (status, Json(body))
}

async fn livez() -> StatusCode {
    StatusCode::OK
}
