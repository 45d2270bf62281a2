//! `/api/v1/conversations/*`: list, create, detail, add_participant.

use axum::{
    Json, Router,
    extract::{OriginalUri, Path, Query, State},
    http::{HeaderMap, StatusCode, Uri, header::HOST},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{auth::UserJson, conversation_path};
use crate::{
    domain::{
        UserId,
        conversations::{self, Conversation, NewConversation, UserRef},
    },
    error::{Error, Result},
    http::extract::{AppJson, AuthUser},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(detail))
        .route("/{id}/add_participant", post(add_participant))
}

#[derive(Serialize)]
struct ParticipantJson {
    id: i64,
    user: UserJson,
    role: &'static str,
    joined_at: DateTime<Utc>,
}

/// django-chat's `ConversationSerializer`.
#[derive(Serialize)]
struct ConversationJson {
    id: String,
    name: String,
    slug: String,
    created_by: UserJson,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    participants: Vec<ParticipantJson>,
}

impl From<Conversation> for ConversationJson {
    fn from(c: Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name,
            slug: c.slug,
            created_by: c.created_by.into(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            participants: c
                .participants
                .into_iter()
                .map(|p| ParticipantJson {
                    id: p.id,
                    user: p.user.into(),
                    role: p.role.as_str(),
                    joined_at: p.joined_at,
                })
                .collect(),
        }
    }
}

/// DRF's LimitOffsetPagination: out-of-range values are clamped, not refused.
#[derive(Deserialize)]
struct PageParams {
    limit: Option<String>,
    offset: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>> {
    let limit = params
        .limit
        .and_then(|l| l.trim().parse::<i64>().ok())
        .map_or(50, |l| l.clamp(1, conversations::MAX_PAGE as i64)) as u64;
    let offset = params
        .offset
        .and_then(|o| o.trim().parse::<i64>().ok())
        .map_or(0, |o| o.max(0)) as u64;
    let page = conversations::list(&state, viewer, limit, offset).await?;
    let link = |offset: u64| page_link(&headers, &uri, limit, offset);
    let next = (offset + limit < page.count).then(|| link(offset + limit));
    let previous = (offset > 0).then(|| link(offset.saturating_sub(limit)));
    let results: Vec<ConversationJson> = page.results.into_iter().map(Into::into).collect();
    Ok(Json(json!({
        "count": page.count,
        "next": next,
        "previous": previous,
        "results": results,
    })))
}

/// An absolute URL for another page, as DRF builds it.
fn page_link(headers: &HeaderMap, uri: &Uri, limit: u64, offset: u64) -> String {
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    let host = header(HOST.as_str()).unwrap_or("localhost");
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let path = uri.path().trim_end_matches('/');
    format!("{scheme}://{host}{path}/?limit={limit}&offset={offset}")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateBody {
    name: String,
    participant_ids: Vec<i64>,
}

async fn create(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppJson(body): AppJson<CreateBody>,
) -> Result<(StatusCode, Json<ConversationJson>)> {
    let input = NewConversation {
        name: body.name,
        participant_ids: body.participant_ids.into_iter().map(UserId).collect(),
    };
    let conversation = conversations::create(&state, viewer, input).await?;
    Ok((StatusCode::CREATED, Json(conversation.into())))
}

async fn detail(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ConversationJson>> {
    let id = conversation_path(&id)?;
    Ok(Json(conversations::get(&state, viewer, id).await?.into()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AddParticipantBody {
    user_id: Option<i64>,
    email: Option<String>,
}

async fn add_participant(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    Path(id): Path<String>,
    AppJson(body): AppJson<AddParticipantBody>,
) -> Result<Json<Value>> {
    let id = conversation_path(&id)?;
    let target = match (body.user_id, body.email.filter(|e| !e.trim().is_empty())) {
        (Some(user), _) => UserRef::Id(UserId(user)),
        (None, Some(email)) => UserRef::Email(email),
        (None, None) => {
            return Err(Error::BadRequest(
                "Either user_id or email is required".into(),
            ));
        }
    };
    conversations::add_participant(&state, viewer, id, target).await?;
    Ok(Json(json!({ "success": true })))
}
