//! `/api/v1/conversations/{id}/messages`: history, send, edit and delete.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, patch},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema, openapi::Object};

use super::{
    ConversationPath, integer_param,
    schemas::{
        self, BadEdit, BadMessage, BadRequest, ErrorDetail, Inside, SuccessJson, ThrottledError,
        Unauthenticated, Unavailable, optional_integer,
    },
};
use crate::{
    domain::{
        ConversationId, StreamId, edits,
        messaging::{self, Cursor, MAX_CONTENT_CHARS, Message},
        paging::PageSize,
        state::AppState,
    },
    error::{Error, Missing, Result, Validator},
    http::extract::{AppJson, AppPath, AppQuery, AuthUser},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{id}/messages", get(history).post(send))
        .route("/{id}/messages/{message_id}", patch(edit).delete(delete))
}

/// The `{id}` and `{message_id}` of a message route.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct MessagePath {
    /// The conversation's UUID.
    #[param(format = "uuid")]
    id: String,
    /// The message's stream id, `<ms>-<seq>` (or `<ms>` for `<ms>-0`).
    #[param(example = "1764100000000-0", pattern = r"^[0-9]{1,19}(-[0-9]{1,19})?$")]
    message_id: String,
}

impl MessagePath {
    /// Malformed ids name nothing that exists: 404.
    fn ids(&self) -> Result<(ConversationId, StreamId)> {
        let conversation = self
            .id
            .parse()
            .map_err(|_| Error::NotFound(Missing::Conversation))?;
        let message = self
            .message_id
            .parse()
            .map_err(|_| Error::NotFound(Missing::Message))?;
        Ok((conversation, message))
    }
}

/// django-chat's message JSON, shared with the legacy WebSocket protocol.
#[derive(Serialize, Clone, Debug, ToSchema)]
#[schema(as = Message)]
pub struct MessageJson {
    /// Stream id `<milliseconds>-<sequence>`; ids compare numerically.
    #[schema(example = "1764100000000-0")]
    pub id: String,
    #[schema(format = "uuid")]
    pub conversation_id: String,
    pub user_id: i64,
    pub user_email: String,
    pub username: String,
    pub user_name: String,
    pub content: String,
    #[schema(format = DateTime)]
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

/// A page of history, oldest first.
#[derive(Serialize, ToSchema)]
#[schema(as = MessagePage)]
struct HistoryJson {
    #[schema(format = "uuid")]
    conversation_id: String,
    messages: Vec<MessageJson>,
    /// The id of the last message returned (null on an empty page): pass it
    /// as `from` to read on.
    #[schema(required)]
    next_from: Option<String>,
}

// The stream-id patterns admit the empty value, which reads as absent.
/// Without `from`/`before`, the latest `limit` messages.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryParams {
    /// Messages strictly after this stream id: `<ms>-<seq>`, or `<ms>` for
    /// `<ms>-0` (each at most a u64); empty reads as absent.
    #[param(
        example = "1764100000000-0",
        pattern = r"^([0-9]{1,19}(-[0-9]{1,19})?)?$"
    )]
    from: Option<String>,
    /// Messages strictly before this stream id; a 400 together with a
    /// non-empty `from` (a rule between parameters, which OpenAPI cannot
    /// state: the 400 response says it).
    #[param(
        example = "1764100000000-0",
        pattern = r"^([0-9]{1,19}(-[0-9]{1,19})?)?$"
    )]
    before: Option<String>,
    /// Page size, clamped into 1..=100 (default 50; empty reads as absent).
    #[param(schema_with = optional_integer)]
    limit: Option<String>,
}

/// A page of a conversation's history.
#[utoipa::path(
    get,
    path = "/conversations/{id}/messages",
    tag = "messages",
    operation_id = "list_messages",
    params(ConversationPath, HistoryParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of messages, oldest first", body = HistoryJson),
        (status = 400, description = "A malformed `from`/`before`, both of them, or a `limit` that is not an integer", body = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a participant, or no such conversation", body = ErrorDetail),
        (status = 404, description = "Not a conversation id", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn history(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
    AppQuery(params): AppQuery<HistoryParams>,
) -> Result<Json<HistoryJson>> {
    let conversation = path.id()?;
    let mut v = Validator::default();
    // REST clamps the page size where GraphQL reports it (django-chat did).
    let limit = PageSize::clamped(integer_param(&mut v, "limit", params.limit.as_deref()));
    v.finish()?;
    let cursor = Cursor::parse(params.from.as_deref(), params.before.as_deref())?;
    let page = messaging::history(&state, viewer, conversation, cursor, limit).await?;
    Ok(Json(HistoryJson {
        conversation_id: conversation.to_string(),
        // django-chat clients know nothing of deletes: deleted messages are
        // left out, and `next_from` still moves past them.
        messages: page
            .messages
            .iter()
            .filter(|m| !m.deleted)
            .map(MessageJson::from)
            .collect(),
        next_from: page.next_from.map(|id| id.to_string()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = SendMessageRequest)]
struct SendBody {
    #[schema(required, schema_with = content_schema)]
    #[serde(default)]
    content: String,
}

fn content_schema() -> Object {
    schemas::trimmed(MAX_CONTENT_CHARS, Inside::AnythingButNul)
        .description(Some(format!(
            "Trimmed; then 1 to {MAX_CONTENT_CHARS} characters, no NUL (tabs and newlines are kept)."
        )))
        .examples(["hello"])
        .build()
}

/// Sends a message to every participant.
#[utoipa::path(
    post,
    path = "/conversations/{id}/messages",
    tag = "messages",
    operation_id = "send_message",
    params(ConversationPath),
    request_body = SendBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored and delivered", body = MessageJson),
        (status = 400, description = "`INVALID_CONTENT` (blank) or `CONTENT_TOO_LONG`, or a body that is not JSON", body = BadMessage),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a participant, or no such conversation", body = ErrorDetail),
        (status = 404, description = "Not a conversation id", body = ErrorDetail),
        (status = 429, description = "Too many messages in this conversation", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until a send may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn send(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
    AppJson(body): AppJson<SendBody>,
) -> Result<(StatusCode, Json<MessageJson>)> {
    let conversation = path.id()?;
    let message = messaging::send(&state, viewer, conversation, &body.content).await?;
    Ok((StatusCode::CREATED, Json(MessageJson::from(&message))))
}

/// Edits a message (its sender only): the send rules apply, rate limit
/// included. The answer is the message with its new content.
#[utoipa::path(
    patch,
    path = "/conversations/{id}/messages/{message_id}",
    tag = "messages",
    operation_id = "edit_message",
    params(MessagePath),
    request_body = SendBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited", body = MessageJson),
        (status = 400, description = "`INVALID_CONTENT` (blank) or `CONTENT_TOO_LONG`, a deleted message (`message_id`), or a body that is not JSON", body = BadEdit),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a participant (or no such conversation), or not the sender", body = ErrorDetail),
        (status = 404, description = "No such message, or not a conversation or message id", body = ErrorDetail),
        (status = 429, description = "Too many messages in this conversation (edits count as sends)", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until an edit may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn edit(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<MessagePath>,
    AppJson(body): AppJson<SendBody>,
) -> Result<Json<MessageJson>> {
    let (conversation, id) = path.ids()?;
    let message = edits::edit(&state, viewer, conversation, id, &body.content).await?;
    Ok(Json(MessageJson::from(&message)))
}

/// Deletes a message (its sender, or an admin of the conversation); history
/// leaves it out from then on. Deleting it again succeeds.
#[utoipa::path(
    delete,
    path = "/conversations/{id}/messages/{message_id}",
    tag = "messages",
    operation_id = "delete_message",
    params(MessagePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = SuccessJson),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a participant (or no such conversation), or neither the sender nor an admin", body = ErrorDetail),
        (status = 404, description = "No such message, or not a conversation or message id", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn delete(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<MessagePath>,
) -> Result<Json<SuccessJson>> {
    let (conversation, id) = path.ids()?;
    edits::delete(&state, viewer, conversation, id).await?;
    Ok(Json(SuccessJson { success: true }))
}
