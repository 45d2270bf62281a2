//! django-chat's REST contract (`/api/v1`): thin adapters from its JSON
//! shapes to domain calls, and the one mapping of domain errors to HTTP.

mod auth;
mod conversations;
pub mod messages;
pub mod openapi;

use axum::{
    Json, Router,
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::{domain::ConversationId, error::Error, state::AppState};

/// Every REST route, to be nested under `/api/v1`, plus the OpenAPI document
/// describing them and its docs page.
pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/auth", auth::router())
        .nest(
            "/conversations",
            conversations::router().merge(messages::router()),
        )
        .merge(openapi::router())
}

/// The `{id}` of a conversation route.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct ConversationPath {
    /// The conversation's UUID.
    #[param(format = "uuid")]
    id: String,
}

impl ConversationPath {
    /// The conversation id; a malformed one cannot exist, so it is 404.
    fn id(&self) -> Result<ConversationId, Error> {
        self.id
            .parse()
            .map_err(|_| Error::NotFound("Conversation not found"))
    }
}

/// The bodies built here are described for the OpenAPI document by the
/// schema-only types in `openapi.rs`; change both together.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let (status, body) = match &self {
            Error::Validation(fields) => (StatusCode::BAD_REQUEST, json!(fields)),
            Error::BadRequest(detail) => (StatusCode::BAD_REQUEST, json!({ "detail": detail })),
            Error::InvalidContent | Error::ContentTooLong { .. } => (
                StatusCode::BAD_REQUEST,
                json!({ "content": [self.public_message()], "code": self.code() }),
            ),
            Error::Unauthenticated(detail) => {
                (StatusCode::UNAUTHORIZED, json!({ "detail": detail }))
            }
            Error::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": "Invalid credentials" }),
            ),
            Error::Forbidden(detail) => (StatusCode::FORBIDDEN, json!({ "detail": detail })),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, json!({ "detail": "Not found." })),
            Error::Conflict(detail) => (StatusCode::CONFLICT, json!({ "detail": detail })),
            Error::Throttled { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({
                    "detail": format!("Request was throttled. Expected available in {retry_after} seconds."),
                    "code": self.code(),
                }),
            ),
            Error::Storage(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "detail": self.public_message(), "code": self.code() }),
            ),
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "detail": self.public_message(), "code": self.code() }),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if let Error::Throttled { retry_after } = self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}
