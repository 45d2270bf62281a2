//! Shared application state: what every surface and domain call needs.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    backends::Backends, config::Config, domain::tokens::TokenKeys, shutdown::CancellationToken,
};

/// Cheap to clone; every field is shared.
#[derive(Clone)]
pub struct AppState {
    /// Users, conversations, participants, refresh tokens (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// JWT signing and verification keys.
    pub tokens: Arc<TokenKeys>,
    /// Message log and rate limiter (embedded or Redis).
    pub backends: Backends,
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Cancelled when the node shuts down: WebSockets close with 1001 and
    /// background readers stop.
    pub shutdown: CancellationToken,
}
