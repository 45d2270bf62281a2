//! `/api/v1/conversations/{id}/messages`: history and send.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::get,
};
use serde::{Deserialize, Serialize};

use super::conversation_path;
use crate::{
    domain::messaging::{self, Cursor, MAX_HISTORY_PAGE, Message},
    error::Result,
    http::extract::{AppJson, AuthUser},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/{id}/messages", get(history).post(send))
}

/// django-chat's message JSON, shared with the legacy WebSocket protocol.
#[derive(Serialize, Clone, Debug)]
pub struct MessageJson {
    pub id: String,
    pub conversation_id: String,
    pub user_id: i64,
    pub user_email: String,
    pub username: String,
    pub user_name: String,
    pub content: String,
    pub timestamp: String,
}

impl From<&Message> for MessageJson {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            user_id: m.sender.id.0,
            user_email: m.sender.email.clone(),
            username: m.sender.username.clone(),
            user_name: m.sender.full_name(),
            content: m.content.clone(),
            timestamp: m
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        }
    }
}

#[derive(Serialize)]
struct HistoryJson {
    conversation_id: String,
    messages: Vec<MessageJson>,
    next_from: Option<String>,
}

#[derive(Deserialize)]
struct HistoryParams {
    from: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    Path(id): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<HistoryJson>> {
    let conversation = conversation_path(&id)?;
    let cursor = Cursor::parse(params.from.as_deref(), params.before.as_deref())?;
    // REST clamps the page size where GraphQL reports it (django-chat did).
    let limit = params
        .limit
        .and_then(|l| l.trim().parse::<i64>().ok())
        .map_or(50, |l| l.clamp(1, MAX_HISTORY_PAGE as i64)) as usize;
    let page = messaging::history(&state, viewer, conversation, cursor, limit).await?;
    Ok(Json(HistoryJson {
        conversation_id: conversation.to_string(),
        messages: page.messages.iter().map(MessageJson::from).collect(),
        next_from: page.next_from.map(|id| id.to_string()),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SendBody {
    content: String,
}

async fn send(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    Path(id): Path<String>,
    AppJson(body): AppJson<SendBody>,
) -> Result<(StatusCode, Json<MessageJson>)> {
    let conversation = conversation_path(&id)?;
    let message = messaging::send(&state, viewer, conversation, &body.content).await?;
    Ok((StatusCode::CREATED, Json(MessageJson::from(&message))))
}
