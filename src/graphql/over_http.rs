//! GraphQL over HTTP (the GraphQL-over-HTTP spec): reading a request from a
//! GET query string or a JSON POST body, choosing the response media type
//! from `Accept`, and the status code that goes with each outcome.
//!
//! * `application/graphql-response+json`: a request that does not parse,
//!   validate, or whose variables do not coerce never starts executing; it
//!   answers 400 with `errors` and no `data`. Once execution starts, 200.
//! * `application/json` (the legacy type): 200 for every GraphQL response,
//!   as clients written before the spec expect.
//! * Either way, a request that is not a GraphQL request at all (not JSON,
//!   no `query`, a `variables` that is not a map) answers 400, a body that
//!   is not `application/json` 415, an `Accept` naming neither type 406, and
//!   an operation other than a query over GET 405 with `Allow: POST`; every
//!   body is a GraphQL response with `errors`.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    ErrorExtensions, Request, ServerError, ServerResult, Variables, parser::types::OperationType,
};
use axum::{
    body::Bytes,
    http::{
        HeaderMap, HeaderValue, StatusCode, Uri,
        header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE},
    },
    response::{IntoResponse, Response},
};
use serde::Deserialize;

pub use super::media_type::MediaType;
use crate::error::Error;

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…`, the
/// last three JSON-encoded where they are objects.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    pub query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl GetParams {
    /// From the URI's query string.
    pub fn from_uri(uri: &Uri) -> Result<Self, ServerError> {
        axum::extract::Query::<Self>::try_from_uri(uri)
            .map(|q| q.0)
            .map_err(|e| bad_request(format!("Invalid query string: {}", e.body_text())))
    }

    /// The GraphQL request they describe.
    pub fn into_request(self) -> Result<Request, ServerError> {
        let query = self
            .query
            .filter(|q| !q.is_empty())
            .ok_or_else(|| bad_request("Missing the `query` parameter."))?;
        let mut request = Request::new(query);
        request.operation_name = self.operation_name.filter(|n| !n.is_empty());
        if let Some(variables) = self.variables.filter(|v| !v.is_empty()) {
            request.variables = serde_json::from_str::<Option<Variables>>(&variables)
                .map_err(|e| bad_request(format!("`variables` is not a JSON object: {e}")))?
                .unwrap_or_default();
        }
        if let Some(extensions) = self.extensions.filter(|v| !v.is_empty()) {
            request.extensions = serde_json::from_str::<Option<_>>(&extensions)
                .map_err(|e| bad_request(format!("`extensions` is not a JSON object: {e}")))?
                .unwrap_or_default();
        }
        Ok(request)
    }
}

/// A POST body: `application/json` (UTF-8) holding a GraphQL request.
pub fn post_request(headers: &HeaderMap, body: &Bytes) -> Result<Request, Refusal> {
    if !is_json(headers) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message("Send the request as `Content-Type: application/json`."),
        ));
    }
    let request: Request = serde_json::from_slice(body).map_err(|e| {
        Refusal::bad_request(bad_request(format!(
            "The body is not a GraphQL request: {e}"
        )))
    })?;
    if request.query.is_empty() {
        return Err(Refusal::bad_request(bad_request(
            "Missing the `query` parameter.",
        )));
    }
    Ok(request)
}

/// `application/json`, with no charset or `charset=utf-8`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default();
    media.eq_ignore_ascii_case(MediaType::JSON)
        && parts.filter_map(|p| p.split_once('=')).all(|(k, v)| {
            !k.trim().eq_ignore_ascii_case("charset")
                || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        })
}

/// A request answered without executing it: status, errors and headers.
pub struct Refusal {
    status: StatusCode,
    error: Box<ServerError>,
    allow: Option<&'static str>,
}

impl Refusal {
    pub fn new(status: StatusCode, error: ServerError) -> Self {
        Self {
            status,
            error: Box::new(error),
            allow: None,
        }
    }

    pub fn bad_request(error: ServerError) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error)
    }

    pub fn not_acceptable() -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            message(
                "Accept `application/graphql-response+json` or `application/json` to receive a GraphQL response.",
            ),
        )
    }

    /// As the answer in `media` (or `application/json` when none was agreed).
    pub fn into_response(self, media: Option<MediaType>) -> Response {
        let mut response = errors_body(self.status, media.unwrap_or(MediaType::Json), &self.error);
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// A VALIDATION_ERROR about the request itself.
fn bad_request(text: impl Into<String>) -> ServerError {
    let error = Error::BadRequest(text.into()).extend();
    let mut server = ServerError::new(error.message, None);
    server.extensions = error.extensions;
    server
}

/// An error with a message only, for what HTTP itself refuses.
fn message(text: &str) -> ServerError {
    ServerError::new(text, None)
}

fn errors_body(status: StatusCode, media: MediaType, error: &ServerError) -> Response {
    let body = serde_json::json!({ "errors": [error] }).to_string();
    (status, [(CONTENT_TYPE, media.content_type())], body).into_response()
}

/// One HTTP request's view of its execution, in the request data: whether
/// it came over GET and, once run, whether execution started or the
/// operation is not allowed over GET.
#[derive(Debug, Default)]
pub struct Exchange {
    get: bool,
    executed: AtomicBool,
    not_a_query: AtomicBool,
}

impl Exchange {
    pub fn new(get: bool) -> Arc<Self> {
        Arc::new(Self {
            get,
            ..Self::default()
        })
    }

    /// GET carries queries only: anything else is refused before it runs,
    /// and answered 405.
    pub fn admit(&self, kind: Option<OperationType>) -> ServerResult<()> {
        if self.get && kind.is_some_and(|kind| kind != OperationType::Query) {
            self.not_a_query.store(true, Ordering::Release);
            return Err(message(
                "Only queries can be sent with GET; send mutations and subscriptions with POST.",
            ));
        }
        Ok(())
    }

    /// Execution has started: from here on every outcome answers 200.
    pub fn executing(&self) {
        self.executed.store(true, Ordering::Release);
    }

    /// The answer to `response`, the result of the request this exchange
    /// was attached to.
    pub fn respond(&self, media: MediaType, response: async_graphql::Response) -> Response {
        if self.not_a_query.load(Ordering::Acquire) {
            let error = response
                .errors
                .into_iter()
                .next()
                .unwrap_or_else(|| message("Only queries can be sent with GET; use POST."));
            let mut refusal = Refusal::new(StatusCode::METHOD_NOT_ALLOWED, error);
            refusal.allow = Some("POST");
            return refusal.into_response(Some(media));
        }
        if !self.executed.load(Ordering::Acquire) {
            // Refused before execution: no `data` entry at all, as the
            // GraphQL spec asks of request errors.
            let status = match media {
                MediaType::GraphQLResponse => StatusCode::BAD_REQUEST,
                MediaType::Json => StatusCode::OK,
            };
            let body = serde_json::json!({ "errors": response.errors }).to_string();
            return (status, [(CONTENT_TYPE, media.content_type())], body).into_response();
        }
        let body = serde_json::to_string(&response).unwrap_or_else(|_| {
            serde_json::json!({ "errors": [message("internal error")] }).to_string()
        });
        let mut answer =
            (StatusCode::OK, [(CONTENT_TYPE, media.content_type())], body).into_response();
        if response.errors.is_empty()
            && let Some(value) = response.cache_control.value()
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            answer.headers_mut().insert(CACHE_CONTROL, value);
        }
        answer.headers_mut().extend(response.http_headers);
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_utf8_json_bodies() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).expect("header"));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=UTF-8"));
        assert!(!with("application/json; charset=latin1"));
        assert!(!with("text/plain;charset=UTF-8"));
        assert!(!with("application/graphql"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
