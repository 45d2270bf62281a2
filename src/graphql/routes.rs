//! `/graphql`: POST executes, GET serves GraphiQL or, when asked for an
//! upgrade, graphql-ws (also at `/graphql/ws`).

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Extension, Router,
    extract::{State, WebSocketUpgrade, ws::rejection::WebSocketUpgradeRejection},
    http::{HeaderMap, header::AUTHORIZATION},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use super::{Auth, ChatSchema, ws};
use crate::{state::AppState, telemetry};

/// Routes for the GraphQL endpoint.
pub fn router(schema: ChatSchema) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(get_graphql).post(execute))
        .route("/graphql/ws", get(ws::upgrade))
        .layer(Extension(schema))
}

/// One URL for browsers and subscription clients: an upgrade request gets
/// graphql-ws, anything else GraphiQL.
async fn get_graphql(
    state: State<AppState>,
    schema: Extension<ChatSchema>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(upgrade) => ws::upgrade(state, schema, headers, upgrade).await,
        Err(_) => graphiql().await.into_response(),
    }
}

async fn execute(
    State(state): State<AppState>,
    Extension(schema): Extension<ChatSchema>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = Auth::from_bearer(&state.tokens, header);
    if let Auth::User(id) = auth {
        telemetry::record_user(id.0);
    }
    schema.execute(request.into_inner().data(auth)).await.into()
}

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("chatstream GraphiQL")
            .finish(),
    )
}
