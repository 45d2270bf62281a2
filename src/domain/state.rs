//! Shared application state: what every surface and domain call needs.

use std::{ops::Deref, sync::Arc};

use sea_orm::DatabaseConnection;

use crate::{
    backends::Backends,
    config::{Config, EmailVisibility},
    domain::{
        catch_up::CatchUps, passwords::HashSlots, tokens::TokenKeys, typing::typists::Typists,
    },
    shutdown::{CancellationToken, OpenSockets},
};

/// Cheap to clone: one pointer to what every surface shares. Each open
/// WebSocket keeps a few clones in its task and its live streams, so its
/// size is paid per idle connection (the fields, inline, were ~300 bytes a
/// clone, and cloning them allocated).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] points to.
pub struct Shared {
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
    /// Turns at password hashing on this node (`PASSWORD_HASH_CONCURRENCY`).
    pub hash_slots: Arc<HashSlots>,
    /// Who is typing, as told to this node.
    pub typists: Arc<Typists>,
    /// The node's catch-up reads of the log, coalesced (reconnect storms).
    pub catch_ups: Arc<CatchUps>,
    /// Open WebSocket connections: stopped by `shutdown`, which waits for
    /// them to send their close frames.
    pub sockets: OpenSockets,
}

impl AppState {
    /// Connects the database (applying migrations) and the backends. Used by
    /// the server and by commands that call the domain without serving.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = crate::store::connect_and_migrate(&config).await?;
        let shutdown = CancellationToken::new();
        let backends = Backends::from_config(&config, &db, &shutdown).await?;
        if config.email_visibility == EmailVisibility::OwnOnly {
            backends.hub.set_view(|delivery| {
                crate::domain::visibility::delivery_as_seen(EmailVisibility::OwnOnly, delivery)
            });
        }
        let catch_ups = Arc::new(CatchUps::new(
            backends.message_log.clone(),
            config.email_visibility,
        ));
        Ok(Self(Arc::new(Shared {
            db,
            backends,
            tokens: Arc::new(TokenKeys::new(&config.jwt)),
            hash_slots: Arc::new(HashSlots::new(config.password_hashing)),
            typists: Arc::new(Typists::default()),
            catch_ups,
            config: Arc::new(config),
            sockets: OpenSockets::new(&shutdown),
            shutdown,
        })))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
