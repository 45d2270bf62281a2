//! `/graphql`: GraphQL over HTTP (POST, and GET for queries; see
//! `over_http`), GraphiQL for a browser that asks for a page, and
//! graphql-ws for an upgrade request (also at `/graphql/ws`).

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{
        State, WebSocketUpgrade, rejection::BytesRejection,
        ws::rejection::WebSocketUpgradeRejection,
    },
    http::{HeaderMap, StatusCode, Uri, header::ACCEPT, header::AUTHORIZATION},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    Auth, ChatSchema,
    over_http::{Exchange, GetParams, MediaType, Refusal, post_request},
    presence::OnlineLoader,
    ws,
};
use crate::{client_addr::ClientAddr, domain::state::AppState, error::Error, telemetry, web::Page};

/// Routes for the GraphQL endpoint.
pub fn router(schema: ChatSchema) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/graphql/ws", get(ws::upgrade))
        .layer(Extension(schema))
}

/// One URL for every client: an upgrade request gets graphql-ws, a browser
/// asking for a page without a `query` gets GraphiQL (where introspection is
/// on: it needs it), and anything else is a GraphQL request.
async fn get_graphql(
    state: State<AppState>,
    schema: Extension<ChatSchema>,
    client: ClientAddr,
    headers: HeaderMap,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        return ws::upgrade(state, schema, client, headers, upgrade).await;
    }
    let params = GetParams::from_uri(&uri);
    let has_query = params.as_ref().is_ok_and(|p| p.query.is_some());
    if !has_query && wants_html(&headers) && state.config.graphql_introspection {
        return Page::GraphiQl.into_response();
    }
    let Some(media) = MediaType::negotiate(&headers) else {
        return Refusal::not_acceptable().into_response(None);
    };
    match params.and_then(GetParams::into_request) {
        Ok(request) => execute(&state, &schema, &headers, media, request.data(client), true).await,
        Err(error) => Refusal::bad_request(error).into_response(Some(media)),
    }
}

async fn post_graphql(
    state: State<AppState>,
    schema: Extension<ChatSchema>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return Refusal::not_acceptable().into_response(None);
    };
    let body = match body {
        Ok(body) => body,
        // Too large, or the connection failed while reading.
        Err(rejection) => {
            let text = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::BodyTooLarge.to_string()
            } else {
                rejection.body_text()
            };
            let error = async_graphql::ServerError::new(text, None);
            return Refusal::new(rejection.status(), error).into_response(Some(media));
        }
    };
    match post_request(&headers, &body) {
        Ok(request) => {
            execute(
                &state,
                &schema,
                &headers,
                media,
                request.data(client),
                false,
            )
            .await
        }
        Err(refusal) => refusal.into_response(Some(media)),
    }
}

async fn execute(
    state: &AppState,
    schema: &ChatSchema,
    headers: &HeaderMap,
    media: MediaType,
    request: async_graphql::Request,
    get: bool,
) -> Response {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = Auth::from_bearer(&state.tokens, header);
    if let Auth::User(id) = auth {
        telemetry::record_user(id.0);
    }
    let exchange = Exchange::new(get);
    let online = OnlineLoader::for_request(state, auth.user().ok());
    let response = schema
        .execute(request.data(auth).data(exchange.clone()).data(online))
        .await;
    exchange.respond(media, response)
}

/// A browser navigating to the URL: its `Accept` names `text/html`.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"))
}
