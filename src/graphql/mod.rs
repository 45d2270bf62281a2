//! The GraphQL API: schema assembly, limits, auth context and error mapping.
//! Resolvers are thin: they call one `domain::` function and convert.

mod accounts;
mod auth;
mod conversations;
mod error;
mod live_message;
mod messages;
mod metrics;
pub mod routes;
pub mod types;
pub mod ws;

use async_graphql::{MergedObject, MergedSubscription, Schema};

pub use auth::Auth;

use crate::state::AppState;

/// Every query, merged from one root per domain.
#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountsQuery,
    conversations::ConversationsQuery,
    messages::MessagesQuery,
);

/// Every mutation, merged from one root per domain.
#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    conversations::ConversationsMutation,
    messages::MessagesMutation,
);

/// Every subscription, merged from one root per domain.
#[derive(MergedSubscription, Default)]
pub struct Subscription(messages::MessagesSubscription);

/// The schema type served at `/graphql` (HTTP and WebSocket).
pub type ChatSchema = Schema<Query, Mutation, Subscription>;

/// Deep or expensive queries are refused before they run.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 1_000;

/// Builds the schema with its limits; `state` is available to resolvers.
pub fn build_schema(state: AppState) -> ChatSchema {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(state)
    .extension(metrics::Metrics)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The SDL printed by `chatstream export-schema` and kept in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}
