//! `/graphql` over HTTP: POST executes, GET serves GraphiQL.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Extension, Router,
    extract::State,
    http::{HeaderMap, header::AUTHORIZATION},
    response::{Html, IntoResponse},
    routing::get,
};

use super::{Auth, ChatSchema};
use crate::{state::AppState, telemetry};

/// Routes for the GraphQL endpoint.
pub fn router(schema: ChatSchema) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphiql).post(execute))
        .layer(Extension(schema))
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
