//! Extractors for the REST adapters: the authenticated user, and JSON bodies,
//! query strings and paths whose rejections are errors in the django-chat
//! shape (400, or 404 for a path), never plain text.

use axum::{
    extract::{
        FromRequest, FromRequestParts, Path, Query, Request,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
    http::{StatusCode, header::AUTHORIZATION, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{
    domain::{UserId, state::AppState, tokens::Credentials},
    error::{Error, Missing, NoCredentials},
    telemetry,
};

/// The user of a valid `Authorization: Bearer <access>` header.
pub struct AuthUser(pub UserId);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.to_str());
        let token = match header {
            None => Credentials::Missing,
            // Not visible ASCII: no token of ours looks like that.
            Some(Err(_)) => Credentials::Malformed,
            Some(Ok(value)) => Credentials::parse(Some(value)),
        };
        let token = match token {
            Credentials::Token(token) => token,
            Credentials::Missing => return Err(Error::Unauthenticated(NoCredentials::Missing)),
            Credentials::Malformed => {
                return Err(Error::Unauthenticated(NoCredentials::Malformed));
            }
        };
        let user = state.tokens.verify_access(token)?;
        telemetry::record_user(user.0);
        Ok(AuthUser(user))
    }
}

/// `Json<T>` whose failures are `Error`s (400 `{"detail": …}`).
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(AppJson(value)),
            Err(rejection) => Err(bad_body(&rejection)),
        }
    }
}

/// `Query<T>` whose failures (a repeated parameter, say) are `Error`s too.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(AppQuery(value)),
            Err(rejection) => Err(bad_query(&rejection)),
        }
    }
}

/// `Path<T>` whose failures are `Error`s: a segment that cannot be read
/// (invalid UTF-8, say) names nothing, so it is a 404 like any unknown id.
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(AppPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(Error::NotFound(Missing::Route))
            }
            Err(other) => Err(Error::Internal(anyhow::anyhow!(other.body_text()))),
        }
    }
}

fn bad_query(rejection: &QueryRejection) -> Error {
    Error::BadRequest(rejection.body_text())
}

fn bad_body(rejection: &JsonRejection) -> Error {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Error::BodyTooLarge;
    }
    let detail = match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Unsupported media type: expected application/json".to_owned()
        }
        JsonRejection::JsonSyntaxError(_) => "JSON parse error".to_owned(),
        JsonRejection::JsonDataError(e) => format!("Invalid data: {}", e.body_text()),
        other => other.body_text(),
    };
    Error::BadRequest(detail)
}
