//! The GraphQL API: schema assembly, limits, auth context and error mapping.
//! Resolvers are thin: they call one `domain::` function and convert.

mod accounts;
mod auth;
mod conversations;
mod error;
mod events;
mod inbox;
mod limits;
mod live_message;
mod media_type;
mod messages;
mod metrics;
mod operation_hooks;
mod over_http;
mod presence;
pub mod routes;
mod scalars;
mod shared_fields;
pub mod types;
pub mod ws;

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema};

pub use auth::{Auth, SocketAuth};

use crate::domain::state::AppState;

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
    presence::PresenceMutation,
);

/// Every subscription, merged from one root per domain.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    messages::MessagesSubscription,
    events::EventsSubscription,
    inbox::InboxSubscription,
);

/// The schema type served at `/graphql` (HTTP and WebSocket).
pub type ChatSchema = Schema<Query, Mutation, Subscription>;

/// Deep or expensive queries are refused before they run. Introspection
/// (`__schema`, `__type`) has its own budget, sized for the standard
/// introspection query of graphql-js (depth 15, complexity about 52,000 with
/// list fields counted ten times; see `limits`), which every GraphQL tool
/// sends; data fields keep the tight one.
const LIMITS: limits::Limits = limits::Limits {
    data: limits::Budget {
        depth: 12,
        complexity: 1_000,
    },
    introspection: Some(INTROSPECTION),
};

const INTROSPECTION: limits::Budget = limits::Budget {
    depth: 20,
    complexity: 100_000,
};

/// Builds the schema with its limits; `state` is available to resolvers.
pub fn build_schema(state: AppState) -> ChatSchema {
    // Without introspection the limits refuse `__schema` and `__type` with
    // an error saying so (async-graphql's own switch answers `null`).
    let limits = limits::Limits {
        introspection: state.config.graphql_introspection.then_some(INTROSPECTION),
        ..LIMITS
    };
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(state)
    .extension(operation_hooks::OperationHooks(limits))
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
    .sdl_with_options(SDLExportOptions::new().include_specified_by())
}
