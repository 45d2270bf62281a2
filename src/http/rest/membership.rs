//! `/api/v1/conversations/{id}/leave` and `/remove_participant`.

use axum::{Json, Router, extract::State, routing::post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    ConversationPath, JsonInt,
    schemas::{BadRequest, ErrorDetail, SuccessJson, Unauthenticated, Unavailable},
};
use crate::{
    domain::{UserId, membership, state::AppState},
    error::{Error, Result},
    http::extract::{AppJson, AppPath, AuthUser},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{id}/leave", post(leave))
        .route("/{id}/remove_participant", post(remove_participant))
}

/// The caller leaves; when they were the last admin, the longest-standing
/// member becomes admin. Their live connections to it end.
#[utoipa::path(
    post,
    path = "/conversations/{id}/leave",
    tag = "conversations",
    operation_id = "leave_conversation",
    params(ConversationPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller is no longer a participant", body = SuccessJson),
        (status = 401, response = Unauthenticated),
        (status = 404, description = "Absent, not yours, or not a conversation id (indistinguishable)", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn leave(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
) -> Result<Json<SuccessJson>> {
    membership::leave(&state, viewer, path.id()?).await?;
    Ok(Json(SuccessJson { success: true }))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = RemoveParticipantRequest)]
struct RemoveBody {
    #[schema(value_type = i64)]
    user_id: Option<JsonInt>,
}

/// Removes a participant (admins only). Their live connections end at once.
#[utoipa::path(
    post,
    path = "/conversations/{id}/remove_participant",
    tag = "conversations",
    operation_id = "remove_participant",
    params(ConversationPath),
    request_body = RemoveBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user is no longer a participant", body = SuccessJson),
        (status = 400, description = "No `user_id`, or a body that is not JSON", body = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The caller is a member, not an admin", body = ErrorDetail),
        (status = 404, description = "No such conversation (or not yours), or the user is not a participant", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn remove_participant(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
    AppJson(body): AppJson<RemoveBody>,
) -> Result<Json<SuccessJson>> {
    let id = path.id()?;
    let user = body
        .user_id
        .map(|user| UserId(user.0))
        .ok_or_else(|| Error::field("user_id", "This field is required."))?;
    membership::remove_participant(&state, viewer, id, user).await?;
    Ok(Json(SuccessJson { success: true }))
}
