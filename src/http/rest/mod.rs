//! django-chat's REST contract (`/api/v1`): thin adapters from its JSON
//! shapes to domain calls, and the one mapping of domain errors to HTTP.

mod auth;
mod conversations;
mod membership;
pub mod messages;
pub mod openapi;
pub mod schemas;
mod users;

use axum::{
    Json, Router,
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Deserializer, de};
use serde_json::json;
use utoipa::IntoParams;

use crate::{
    domain::ConversationId,
    domain::state::AppState,
    error::{Error, Missing, Validator},
};

/// Every REST route, to be nested under `/api/v1`, plus the OpenAPI document
/// describing them and its docs page.
pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/auth", auth::router())
        .nest(
            "/conversations",
            conversations::router()
                .merge(messages::router())
                .merge(membership::router()),
        )
        .nest("/users", users::router())
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
            .map_err(|_| Error::NotFound(Missing::Conversation))
    }
}

/// A JSON integer as JSON Schema counts them: `5`, and also `5.0` or `5e0`,
/// which the document's `type: integer` admits and Python clients send.
/// serde's `i64` refuses those, so they are read here (anything with a
/// fraction or beyond `i64` is still refused, as `format: int64` says).
#[derive(Clone, Copy, Debug)]
struct JsonInt(i64);

impl<'de> Deserialize<'de> for JsonInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = JsonInt;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonInt, E> {
                Ok(JsonInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonInt, E> {
                i64::try_from(v)
                    .map(JsonInt)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonInt, E> {
                // serde_json reads an integer beyond i64 as the nearest f64,
                // and -2^63 - 1 rounds to -2^63: so both ends are excluded
                // (`-2^63` written as an integer arrives in `visit_i64`).
                const LIMIT: f64 = 9_223_372_036_854_775_808.0;
                if v.fract() == 0.0 && v > -LIMIT && v < LIMIT {
                    Ok(JsonInt(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A paging parameter of a query string (`limit`, `offset`), documented as
/// an integer: absent or empty (`?limit=`, which DRF reads as absent too) is
/// `None`; an integer is returned as given, for the caller to clamp as DRF
/// does; anything else is a 400 on that field, so the server refuses what the
/// document refuses instead of silently using the default.
fn integer_param(v: &mut Validator, field: &str, raw: Option<&str>) -> Option<i64> {
    let raw = raw.filter(|r| !r.is_empty())?;
    let parsed = raw.parse().ok();
    v.check(parsed.is_none(), field, "A valid integer is required.");
    parsed
}

/// The bodies built here are described for the OpenAPI document by the
/// schema-only types in `openapi.rs`; change both together.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let (status, body) = match &self {
            Error::Validation(fields) => (StatusCode::BAD_REQUEST, json!(fields)),
            Error::BadRequest(detail) => (StatusCode::BAD_REQUEST, json!({ "detail": detail })),
            Error::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "detail": self.public_message() }),
            ),
            Error::InvalidContent(_) | Error::ContentTooLong { .. } => (
                StatusCode::BAD_REQUEST,
                json!({ "content": [self.public_message()], "code": self.code() }),
            ),
            Error::Unauthenticated(why) => (
                StatusCode::UNAUTHORIZED,
                json!({ "detail": why.to_string() }),
            ),
            Error::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": "Invalid credentials" }),
            ),
            Error::Forbidden(why) => (StatusCode::FORBIDDEN, json!({ "detail": why.to_string() })),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, json!({ "detail": "Not found." })),
            Error::Conflict(clash) => {
                (StatusCode::CONFLICT, json!({ "detail": clash.to_string() }))
            }
            Error::Throttled { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({
                    "detail": format!("Request was throttled. Expected available in {retry_after} seconds."),
                    "code": self.code(),
                }),
            ),
            Error::Storage(_) | Error::Overloaded { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "detail": self.public_message(), "code": self.code() }),
            ),
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "detail": self.public_message(), "code": self.code() }),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if let Error::Throttled { retry_after } | Error::Overloaded { retry_after } = self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}
