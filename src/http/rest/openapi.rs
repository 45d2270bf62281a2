//! The OpenAPI 3 document of the REST surface, generated from the handlers'
//! `#[utoipa::path]` attributes and the DTOs: served at `/api/v1/openapi.json`,
//! with a docs page at `/api/v1/docs`. The error bodies of `impl IntoResponse
//! for Error` (rest/mod.rs) are described by the schema-only types of
//! [`super::schemas`].

use axum::{Json, Router, routing::get};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{
    auth, conversations, membership, messages,
    schemas::{ErrorDetail, StorageError, Unauthenticated, Unavailable},
    users,
};
use crate::{domain::state::AppState, web::Page};

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
        conversations::mark_read,
        membership::leave,
        membership::remove_participant,
        messages::history,
        messages::send,
        messages::edit,
        messages::delete,
        users::search,
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
        (name = "messages", description = "History, sending, editing and deleting"),
        (name = "users", description = "Finding people"),
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

/// The reference page: Scalar, bundled into `web/dist` and embedded.
async fn docs() -> Page {
    Page::ApiDocs
}
