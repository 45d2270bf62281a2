//! `/api/v1/users/`: finding people to add to a conversation.

use axum::{Json, Router, extract::State, routing::get};
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{RefOr, Schema, schema::AnyOfBuilder, schema::Type},
};

use super::{
    auth::UserJson,
    integer_param,
    schemas::{BadRequest, ThrottledError, Unauthenticated, Unavailable, int64, typed},
};
use crate::{
    domain::people,
    domain::state::AppState,
    error::{Result, Validator},
    http::extract::{AppQuery, AuthUser},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(search))
}

/// `limit`: an integer of at least 1, or empty (absent).
fn optional_positive_integer() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(
            typed(&[Type::Integer])
                .format(Some(int64()))
                .minimum(Some(1)),
        )
        .item(typed(&[Type::String]).enum_values(Some([""])))
        .into()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// A username prefix or an exact email, case-insensitive; trimmed, and
    /// must not be blank.
    // `schemas::not_blank`'s pattern, spelled here: with `schema_with` the
    // parameter would lose `required` (utoipa); the openapi_text tests
    // hold this copy to the server.
    #[param(
        required,
        min_length = 1,
        pattern = r"[^\x09-\x0D\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
        example = "ada"
    )]
    search: Option<String>,
    /// At most this many users (default 10; above 20 reads as 20; empty
    /// reads as absent).
    #[param(schema_with = optional_positive_integer)]
    limit: Option<String>,
}

/// The users found.
#[derive(Serialize, ToSchema)]
#[schema(as = UserSearch)]
struct SearchJson {
    /// The exact email match first, then by username. `email` is empty for
    /// users who share no conversation with the caller, unless the search
    /// was their email.
    results: Vec<UserJson>,
}

/// Finds people by username prefix or exact email (rate limited per user).
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    operation_id = "search_users",
    params(SearchParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Up to `limit` users", body = SearchJson),
        (status = 400, description = "`search` missing or blank, or `limit` not an integer of at least 1", body = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 429, description = "Too many searches", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until a search may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn search(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppQuery(params): AppQuery<SearchParams>,
) -> Result<Json<SearchJson>> {
    let mut v = Validator::default();
    let limit = integer_param(&mut v, "limit", params.limit.as_deref());
    v.finish()?;
    let search = params.search.unwrap_or_default();
    let users = people::search(&state, viewer, &search, limit).await?;
    Ok(Json(SearchJson {
        results: users.into_iter().map(Into::into).collect(),
    }))
}
