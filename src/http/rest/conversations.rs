//! `/api/v1/conversations/*`: list, create, detail, add_participant, read.

use axum::{
    Json, Router,
    extract::{OriginalUri, State},
    http::{HeaderMap, StatusCode, Uri, header::HOST},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{Object, ObjectBuilder, OneOfBuilder, RefOr, Schema, schema::Type},
};

use super::{
    ConversationPath, JsonInt,
    auth::UserJson,
    integer_param,
    messages::MessageJson,
    schemas::{
        self, BadRequest, ErrorDetail, Inside, SuccessJson, ThrottledError, Unauthenticated,
        Unavailable, int64, optional_integer, typed,
    },
};
use crate::{
    domain::{
        UserId,
        conversations::{self, Conversation, NewConversation, Role, UserRef},
        paging::{self, PageSize},
        read_state,
        state::AppState,
    },
    error::{Result, Validator},
    http::extract::{AppJson, AppPath, AppQuery, AuthUser},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(detail))
        .route("/{id}/add_participant", post(add_participant))
        .route("/{id}/read", post(mark_read))
}

/// A user's membership in a conversation.
#[derive(Serialize, ToSchema)]
#[schema(as = Participant)]
struct ParticipantJson {
    id: i64,
    user: UserJson,
    role: RoleJson,
    joined_at: DateTime<Utc>,
}

/// The creator is `admin`, everyone else `member`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Role)]
enum RoleJson {
    Admin,
    Member,
}

impl From<Role> for RoleJson {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => RoleJson::Admin,
            Role::Member => RoleJson::Member,
        }
    }
}

/// django-chat's `ConversationSerializer`, plus the caller's read state
/// (new fields, which old clients ignore).
#[derive(Serialize, ToSchema)]
#[schema(as = Conversation)]
struct ConversationJson {
    #[schema(format = "uuid")]
    id: String,
    name: String,
    slug: String,
    created_by: UserJson,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    participants: Vec<ParticipantJson>,
    /// Messages after the caller's read marker, none of them the caller's.
    #[schema(minimum = 0)]
    unread_count: u64,
    /// The latest message; null while there is none.
    #[schema(required)]
    last_message: Option<MessageJson>,
    /// The caller's read marker; null before they read anything.
    #[schema(required, example = "1764100000000-0")]
    last_read_id: Option<String>,
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
                    role: p.role.into(),
                    joined_at: p.joined_at,
                })
                .collect(),
            unread_count: c.unread_count,
            last_message: c.last_message.as_ref().map(MessageJson::from),
            last_read_id: c.last_read_id.map(|id| id.to_string()),
        }
    }
}

/// DRF's LimitOffsetPagination: out-of-range integers are clamped, not
/// refused, so the document sets no bounds; what is not an integer is a 400.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// Page size, clamped into 1..=100 (default 50; empty reads as absent).
    #[param(schema_with = optional_integer)]
    limit: Option<String>,
    /// Conversations to skip (default 0; negative reads as 0, empty as absent).
    #[param(schema_with = optional_integer)]
    offset: Option<String>,
}

/// DRF's paginated list: absolute links to the neighbouring pages.
#[derive(Serialize, ToSchema)]
#[schema(as = ConversationPage)]
struct ConversationPageJson {
    count: u64,
    /// The next page's URL, built from the request's `Host`.
    #[schema(required)]
    next: Option<String>,
    /// The previous page's URL, built from the request's `Host`.
    #[schema(required)]
    previous: Option<String>,
    results: Vec<ConversationJson>,
}

/// The caller's conversations by latest activity (the latest message, else
/// `updated_at`), newest first.
#[utoipa::path(
    get,
    path = "/conversations",
    tag = "conversations",
    operation_id = "list_conversations",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of conversations", body = ConversationPageJson),
        (status = 400, description = "`limit` or `offset` not an integer, or a query string that cannot be read", body = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 503, response = Unavailable),
    )
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppQuery(params): AppQuery<PageParams>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<ConversationPageJson>> {
    let mut v = Validator::default();
    let limit = PageSize::clamped(integer_param(&mut v, "limit", params.limit.as_deref()));
    let offset = paging::offset(integer_param(&mut v, "offset", params.offset.as_deref()));
    v.finish()?;
    let page = conversations::list(&state, viewer, limit, offset).await?;
    let limit = u64::try_from(limit.get()).unwrap_or(u64::MAX);
    let link = |offset: u64| page_link(&headers, &uri, limit, offset);
    let next = (offset + limit < page.count).then(|| link(offset + limit));
    let previous = (offset > 0).then(|| link(offset.saturating_sub(limit)));
    Ok(Json(ConversationPageJson {
        count: page.count,
        next,
        previous,
        results: page.results.into_iter().map(Into::into).collect(),
    }))
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

#[derive(Deserialize, ToSchema)]
#[schema(as = CreateConversationRequest)]
struct CreateBody {
    #[schema(required, schema_with = name_schema)]
    #[serde(default)]
    name: String,
    /// Users to add as members; unknown or inactive ids are ignored.
    #[schema(value_type = Vec<i64>, max_items = 100)]
    #[serde(default)]
    participant_ids: Vec<JsonInt>,
}

fn name_schema() -> Object {
    schemas::trimmed(conversations::NAME_MAX, Inside::NoControl)
        .description(Some(format!(
            "Trimmed; then 1 to {} characters. No control characters, anywhere.",
            conversations::NAME_MAX
        )))
        .examples(["My chat"])
        .build()
}

/// Creates a conversation; the caller is its admin.
#[utoipa::path(
    post,
    path = "/conversations",
    tag = "conversations",
    operation_id = "create_conversation",
    request_body = CreateBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = ConversationJson),
        (status = 400, description = "A blank or too long name, or a body that is not JSON", body = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 409, description = "No free slug could be allocated; try again", body = ErrorDetail),
        (status = 429, description = "Too many membership changes this hour (`MEMBERSHIP_CHANGES_PER_HOUR`; a creation costs one per other user in `participant_ids`, at least one)", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until the creation may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppJson(body): AppJson<CreateBody>,
) -> Result<(StatusCode, Json<ConversationJson>)> {
    let input = NewConversation {
        name: body.name,
        participant_ids: body
            .participant_ids
            .into_iter()
            .map(|i| UserId(i.0))
            .collect(),
    };
    let conversation = conversations::create(&state, viewer, input).await?;
    Ok((StatusCode::CREATED, Json(conversation.into())))
}

/// One conversation the caller takes part in.
#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "conversations",
    operation_id = "get_conversation",
    params(ConversationPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The conversation", body = ConversationJson),
        (status = 401, response = Unauthenticated),
        (status = 404, description = "Absent, not yours, or not a conversation id (indistinguishable)", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn detail(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
) -> Result<Json<ConversationJson>> {
    let id = path.id()?;
    Ok(Json(conversations::get(&state, viewer, id).await?.into()))
}

/// Either `user_id` or `email`; `user_id` wins when both are given. Its
/// schema is written by hand: "one of two fields, the other may be null" is
/// a `oneOf`, which a derive cannot say about a struct.
#[derive(Deserialize)]
struct AddParticipantBody {
    user_id: Option<JsonInt>,
    email: Option<String>,
}

impl utoipa::ToSchema for AddParticipantBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "AddParticipantRequest".into()
    }
}

impl utoipa::PartialSchema for AddParticipantBody {
    /// Two disjoint shapes, so `oneOf`: an integer `user_id` (any `email`,
    /// ignored), or a non-blank `email` with `user_id` absent or null. A
    /// body with neither is the documented 400.
    fn schema() -> RefOr<Schema> {
        let by_id = ObjectBuilder::new()
            .title(Some("By id"))
            .property("user_id", typed(&[Type::Integer]).format(Some(int64())))
            .required("user_id")
            .property("email", typed(&[Type::String, Type::Null]));
        let by_email = ObjectBuilder::new()
            .title(Some("By email"))
            .property("user_id", typed(&[Type::Null]))
            .property("email", schemas::not_blank().examples(["bob@example.com"]))
            .required("email");
        OneOfBuilder::new()
            .item(by_id)
            .item(by_email)
            .description(Some(
                "Either `user_id` or `email`; `user_id` wins when both are given.",
            ))
            .into()
    }
}

/// Adds a member (admins only); adding a member again succeeds.
#[utoipa::path(
    post,
    path = "/conversations/{id}/add_participant",
    tag = "conversations",
    operation_id = "add_participant",
    params(ConversationPath),
    request_body = AddParticipantBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user is a participant", body = SuccessJson),
        (status = 400, description = "Neither user_id nor email, or a body that is not JSON", body = ErrorDetail),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "The caller is a member, not an admin", body = ErrorDetail),
        (status = 404, description = "No such conversation (or not yours), or no such active user", body = ErrorDetail),
        (status = 429, description = "Too many membership changes this hour (`MEMBERSHIP_CHANGES_PER_HOUR`)", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until an add may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn add_participant(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
    AppJson(body): AppJson<AddParticipantBody>,
) -> Result<Json<SuccessJson>> {
    let id = path.id()?;
    let target = UserRef::from_either(body.user_id.map(|user| UserId(user.0)), body.email)?;
    conversations::add_participant(&state, viewer, id, target).await?;
    Ok(Json(SuccessJson { success: true }))
}

/// Where to move the caller's read marker.
#[derive(Deserialize, ToSchema)]
#[schema(as = MarkReadRequest)]
struct MarkReadBody {
    /// A message id; the marker moves to the last message at or before it.
    #[schema(
        required,
        pattern = r"^\s*[0-9]{1,19}(-[0-9]{1,19})?\s*$",
        example = "1764100000000-0"
    )]
    #[serde(default)]
    up_to: String,
}

/// The caller's read state after the call.
#[derive(Serialize, ToSchema)]
#[schema(as = ReadState)]
struct ReadStateJson {
    /// The caller's read marker; null before they read anything.
    #[schema(required, example = "1764100000000-0")]
    last_read_id: Option<String>,
    #[schema(minimum = 0)]
    unread_count: u64,
}

/// Moves the caller's read marker forward (an earlier position is a no-op).
#[utoipa::path(
    post,
    path = "/conversations/{id}/read",
    tag = "conversations",
    operation_id = "mark_read",
    params(ConversationPath),
    request_body = MarkReadBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's read state", body = ReadStateJson),
        (status = 400, description = "`up_to` missing or not a stream id, or a body that is not JSON", body = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, description = "Not a participant, or no such conversation", body = ErrorDetail),
        (status = 404, description = "Not a conversation id", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    AuthUser(viewer): AuthUser,
    AppPath(path): AppPath<ConversationPath>,
    AppJson(body): AppJson<MarkReadBody>,
) -> Result<Json<ReadStateJson>> {
    let id = path.id()?;
    let up_to = read_state::parse_up_to("up_to", &body.up_to)?;
    let conversation = read_state::mark_read(&state, viewer, id, up_to).await?;
    Ok(Json(ReadStateJson {
        last_read_id: conversation.last_read_id.map(|id| id.to_string()),
        unread_count: conversation.unread_count,
    }))
}
