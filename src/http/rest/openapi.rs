//! The OpenAPI 3 document of the REST surface, generated from the handlers'
//! `#[utoipa::path]` attributes and the DTOs: served at `/api/v1/openapi.json`,
//! with a docs page at `/api/v1/docs`. The error bodies of `impl IntoResponse
//! for Error` (rest/mod.rs) are described here by schema-only types.

use axum::{Json, Router, response::Html, routing::get};
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToResponse, ToSchema,
    openapi::{
        KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat,
        schema::{AnyOfBuilder, SchemaType, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use super::{auth, conversations, messages};
use crate::{error::FieldErrors, state::AppState};

/// `GET /openapi.json` and `GET /docs`, nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
}

/// The whole document; the paths are relative to its one server, `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "chatstream REST API",
        description = "django-chat's REST contract. Paths also answer with a trailing slash. \
            Authenticated routes take `Authorization: Bearer <access>` (a JWT from signup, login or refresh).",
    ),
    servers((url = "/api/v1", description = "This server")),
    paths(
        auth::signup,
        auth::login,
        auth::refresh,
        conversations::list,
        conversations::create,
        conversations::detail,
        conversations::add_participant,
        messages::history,
        messages::send,
    ),
    // Reusable responses do not bring their schemas along: name them here.
    components(
        responses(Unauthenticated, Unavailable),
        schemas(ErrorDetail, StorageError)
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "conversations", description = "Conversations and their participants"),
        (name = "messages", description = "History and sending"),
    )
)]
pub struct ApiDoc;

/// The `bearer` scheme named by every authenticated operation.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("An access token from signup, login or refresh"))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The reference page: Scalar, fetched by the browser from a CDN (nothing
/// is downloaded or bundled at build time).
async fn docs() -> Html<&'static str> {
    Html(DOCS_PAGE)
}

const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>chatstream REST API</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.72.1/dist/browser/standalone.js"></script>
    <script>Scalar.createApiReference('#app', { url: '/api/v1/openapi.json' })</script>
  </body>
</html>
"#;

// Text fields the server trims carry `pattern: \S` (some character that is
// not white space): a blank value is refused like an empty one.

/// A query parameter read as an integer, where an empty value (`?limit=`)
/// reads as absent. OpenAPI's `allowEmptyValue` says that, but utoipa cannot
/// emit it (it is deprecated), so the schema spells it out.
pub fn optional_integer() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(typed(&[Type::Integer]).format(Some(int64())))
        .item(typed(&[Type::String]).enum_values(Some([""])))
        .into()
}

/// `format: int64`.
pub fn int64() -> SchemaFormat {
    SchemaFormat::KnownFormat(KnownFormat::Int64)
}

/// An object schema of one type, or of several (`["string", "null"]`).
pub fn typed(types: &[Type]) -> ObjectBuilder {
    let schema_type = match types {
        [one] => SchemaType::Type(one.clone()),
        many => many.iter().cloned().collect(),
    };
    ObjectBuilder::new().schema_type(schema_type)
}

/// `{"detail": "…"}`: bad bodies and query strings, missing or bad tokens,
/// 403, 404, 409.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "Not found.")]
    pub detail: String,
}

/// DRF's field errors: every failing field with all its messages.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"email": ["Enter a valid email address."], "password": ["Password must be at least 10 characters long."]}))]
pub struct ValidationErrors(#[schema(inline)] pub FieldErrors);

/// A 400: field errors, or `{"detail"}` when the body or query cannot be read.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequest {
    Fields(ValidationErrors),
    Detail(ErrorDetail),
}

/// A message whose content is blank or too long.
#[derive(Serialize, ToSchema)]
pub struct ContentError {
    #[schema(example = json!(["Message content cannot be empty"]))]
    pub content: Vec<String>,
    /// `INVALID_CONTENT` or `CONTENT_TOO_LONG`.
    #[schema(example = "INVALID_CONTENT")]
    pub code: String,
}

/// A 400 from sending: bad content, or a body that cannot be read.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadMessage {
    Content(ContentError),
    Detail(ErrorDetail),
}

/// Login's 401: `{"error": "Invalid credentials"}`.
#[derive(Serialize, ToSchema)]
pub struct CredentialsError {
    #[schema(example = "Invalid credentials")]
    pub error: String,
}

/// A 429; the `Retry-After` header carries the seconds as a number.
#[derive(Serialize, ToSchema)]
pub struct ThrottledError {
    #[schema(example = "Request was throttled. Expected available in 42 seconds.")]
    pub detail: String,
    /// `THROTTLED`.
    #[schema(example = "THROTTLED")]
    pub code: String,
}

/// A 503: the database or Redis failed; the cause is logged, not shown.
#[derive(Serialize, ToSchema)]
pub struct StorageError {
    #[schema(example = "Storage is temporarily unavailable")]
    pub detail: String,
    /// `STORAGE_ERROR`.
    #[schema(example = "STORAGE_ERROR")]
    pub code: String,
}

/// A missing, malformed or expired access token.
#[derive(ToResponse)]
pub struct Unauthenticated(pub ErrorDetail);

/// A backing store is unavailable; retrying later may succeed.
#[derive(ToResponse)]
pub struct Unavailable(pub StorageError);
