//! `/api/v1/auth/*`: signup, login, refresh in django-chat's shapes.

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{User, accounts, tokens::Session},
    error::Result,
    http::extract::AppJson,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/refresh", post(refresh))
}

/// Missing fields read as empty, so the domain reports them with every other
/// failing field instead of a parse error about the first.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SignupBody {
    email: String,
    username: String,
    first_name: String,
    last_name: String,
    password: String,
    password_confirm: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RefreshBody {
    refresh: String,
}

/// django-chat's `UserSerializer`.
#[derive(Serialize)]
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

#[derive(Serialize)]
struct TokensJson {
    refresh: String,
    access: String,
}

#[derive(Serialize)]
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

async fn signup(
    State(state): State<AppState>,
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
    let session = accounts::signup(&state, input).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

async fn login(
    State(state): State<AppState>,
    AppJson(body): AppJson<LoginBody>,
) -> Result<Json<SessionJson>> {
    let input = accounts::LoginInput {
        email: body.email,
        password: body.password,
    };
    Ok(Json(accounts::login(&state, input).await?.into()))
}

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
