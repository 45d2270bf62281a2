//! `/api/v1/auth/*`: signup, login, refresh in django-chat's shapes.

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde::{Deserialize, Serialize};
use utoipa::{
    ToSchema,
    openapi::{KnownFormat, Object, SchemaFormat},
};

use super::schemas::{
    self, BadRequest, CredentialsError, ErrorDetail, Inside, ThrottledError, Unavailable,
};
use crate::{
    client_addr::ClientAddr,
    domain::{User, accounts, state::AppState, tokens::Session},
    error::Result,
    http::extract::AppJson,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/refresh", post(refresh))
}

// Missing fields read as empty, so the domain reports them with every other
// failing field instead of a parse error about the first; the document still
// calls them required, since a body without them is a 400. `serde(default)`
// goes on each field: on the struct, utoipa would document `""` as every
// field's default, which the fields' own minimum lengths refuse.
/// A new account; every failing field is reported at once.
#[derive(Deserialize, ToSchema)]
#[schema(as = SignupRequest)]
struct SignupBody {
    #[schema(required, schema_with = email_schema)]
    #[serde(default)]
    email: String,
    #[schema(required, schema_with = username_schema)]
    #[serde(default)]
    username: String,
    #[schema(required, schema_with = first_name_schema)]
    #[serde(default)]
    first_name: String,
    #[schema(required, schema_with = last_name_schema)]
    #[serde(default)]
    last_name: String,
    /// 10 to 128 characters, with upper- and lower-case letters (and the
    /// other rules of `POST /auth/signup`'s 400 messages).
    #[schema(
        required,
        min_length = 10,
        max_length = 128,
        example = "Str0ng-Passw0rd!"
    )]
    #[serde(default)]
    password: String,
    /// Must equal `password`.
    #[schema(required, min_length = 1, example = "Str0ng-Passw0rd!")]
    #[serde(default)]
    password_confirm: String,
}

fn email_schema() -> Object {
    schemas::trimmed_loosely(accounts::EMAIL_MAX)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .description(Some("Trimmed and lower-cased."))
        .examples(["ada@example.com"])
        .build()
}

fn login_email_schema() -> Object {
    schemas::not_blank()
        .description(Some(
            "Trimmed; an unknown email is a 401, like a wrong password.",
        ))
        .examples(["ada@example.com"])
        .build()
}

fn refresh_schema() -> Object {
    schemas::not_blank()
        .description(Some(
            "A refresh token from signup, login or an earlier refresh (single use).",
        ))
        .build()
}

fn username_schema() -> Object {
    schemas::trimmed_loosely(accounts::USERNAME_MAX)
        .description(Some("Letters, digits and `@.+-_`; trimmed."))
        .examples(["ada"])
        .build()
}

fn first_name_schema() -> Object {
    name_schema("Ada")
}

fn last_name_schema() -> Object {
    name_schema("Lovelace")
}

fn name_schema(example: &str) -> Object {
    schemas::trimmed(accounts::NAME_MAX, Inside::NoControl)
        .description(Some(format!(
            "Trimmed; then 1 to {} characters. No control characters (tabs and newlines included), anywhere.",
            accounts::NAME_MAX
        )))
        .examples([example])
        .build()
}

#[derive(Deserialize, ToSchema)]
#[schema(as = LoginRequest)]
struct LoginBody {
    /// Trimmed; an unknown email is a 401, like a wrong password.
    #[schema(required, schema_with = login_email_schema)]
    #[serde(default)]
    email: String,
    #[schema(required, min_length = 1, example = "Str0ng-Passw0rd!")]
    #[serde(default)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = RefreshRequest)]
struct RefreshBody {
    /// A refresh token from signup, login or an earlier refresh (single use).
    #[schema(required, schema_with = refresh_schema)]
    #[serde(default)]
    refresh: String,
}

/// django-chat's `UserSerializer`.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
}

impl From<User> for UserJson {
    fn from(user: User) -> Self {
        Self {
            id: user.id.0,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            username: user.username,
        }
    }
}

/// A JWT pair (HS256, simplejwt's claims).
#[derive(Serialize, ToSchema)]
#[schema(as = Tokens)]
struct TokensJson {
    refresh: String,
    access: String,
}

/// A signed-in user and its first token pair.
#[derive(Serialize, ToSchema)]
#[schema(as = Session)]
struct SessionJson {
    user: UserJson,
    tokens: TokensJson,
}

impl From<Session> for SessionJson {
    fn from(session: Session) -> Self {
        Self {
            user: session.user.into(),
            tokens: TokensJson {
                refresh: session.tokens.refresh,
                access: session.tokens.access,
            },
        }
    }
}

/// Creates an account and signs it in.
#[utoipa::path(
    post,
    path = "/auth/signup",
    tag = "auth",
    operation_id = "signup",
    request_body = SignupBody,
    responses(
        (status = 201, description = "Signed up", body = SessionJson),
        (status = 400, description = "Every failing field, or a body that is not JSON", body = BadRequest),
        (status = 409, description = "A concurrent signup took the email or username", body = ErrorDetail),
        (status = 429, description = "Too many signups and failed logins from this address (`AUTH_ADDRESS_LIMIT`)", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until a signup may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn signup(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    AppJson(body): AppJson<SignupBody>,
) -> Result<(StatusCode, Json<SessionJson>)> {
    let input = accounts::SignupInput {
        email: body.email,
        username: body.username,
        first_name: body.first_name,
        last_name: body.last_name,
        password: body.password,
        password_confirm: body.password_confirm,
    };
    let session = accounts::signup(&state, input, client).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

/// Exchanges email and password for a token pair.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    operation_id = "login",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in", body = SessionJson),
        (status = 400, description = "Missing fields, or a body that is not JSON", body = BadRequest),
        (status = 401, description = "Unknown email, wrong password or inactive account", body = CredentialsError),
        (status = 429, description = "Too many failed logins: from this address (`AUTH_ADDRESS_LIMIT`), or on this account from an address that has failed on it (`LOGIN_FAILURE_LIMIT`)", body = ThrottledError,
            headers(("Retry-After" = u64, description = "Seconds until a login may succeed"))),
        (status = 503, response = Unavailable),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    AppJson(body): AppJson<LoginBody>,
) -> Result<Json<SessionJson>> {
    let input = accounts::LoginInput {
        email: body.email,
        password: body.password,
    };
    Ok(Json(accounts::login(&state, input, client).await?.into()))
}

/// Rotates a refresh token: the old one stops working.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    operation_id = "refresh",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A new pair", body = TokensJson),
        (status = 400, description = "No refresh token, or a body that is not JSON", body = BadRequest),
        (status = 401, description = "Invalid, expired or already used refresh token", body = ErrorDetail),
        (status = 503, response = Unavailable),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshBody>,
) -> Result<Json<TokensJson>> {
    let session = accounts::refresh(&state, &body.refresh).await?;
    Ok(Json(TokensJson {
        access: session.tokens.access,
        refresh: session.tokens.refresh,
    }))
}
