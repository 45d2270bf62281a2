//! Extractors for the REST adapters: the authenticated user, and JSON bodies
//! whose rejections are 400s in the django-chat shape, never 500s.

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{header::AUTHORIZATION, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{domain::UserId, error::Error, state::AppState, telemetry};

/// The user of a valid `Authorization: Bearer <access>` header.
pub struct AuthUser(pub UserId);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::Unauthenticated(
                "Authentication credentials were not provided.",
            ))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(Error::Unauthenticated(
                "Authorization header must contain two space-delimited values",
            ))?;
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

fn bad_body(rejection: &JsonRejection) -> Error {
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
