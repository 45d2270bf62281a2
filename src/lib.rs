//! chatstream: a real-time chat server. Surfaces (`http`, `graphql`, and the
//! browser pages in `web`) call the rules in `domain` with its `AppState`;
//! the rules use `store` (SQL) and `backends` (message log, rate limiter,
//! fan-out), and all of them speak in `model`'s types. `config`, `error`
//! and `shutdown` are shared by all. Nothing depends on a layer above it.

pub mod backends;
pub mod client_addr;
pub mod config;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod model;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod websocket;

use std::future::Future;

use anyhow::Context;

use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::{config::Config, domain::state::AppState};

/// How long shutdown waits for WebSockets to close.
const SOCKET_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
}

impl Application {
    /// Connects the backends, applies migrations and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Before the backends start, so the metric handles they keep are live.
        http::metrics::handle();
        let state = AppState::build(config).await?;
        // The first unknown-email login should not pay for the dummy hash.
        tokio::spawn(domain::passwords::warm_up());
        domain::sessions::start_account_checks(state.clone());
        domain::presence::start(&state);
        domain::typing::start_sweeps(&state);
        let listener = TcpListener::bind(state.config.bind_addr)
            .await
            .with_context(|| format!("cannot bind {}", state.config.bind_addr))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            port,
            state,
        })
    }

    /// The bound port (useful when `BIND_ADDR` asks for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown::signal()).await
    }

    /// Serves until `stop` resolves, then finishes in-flight requests.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let schema = graphql::build_schema(self.state.clone());
        let router = http::router(self.state.clone(), schema);
        // Trailing slashes are optional on every route, as in django-chat.
        let app = NormalizePathLayer::trim_trailing_slash().layer(router);
        tracing::info!(addr = %self.listener.local_addr()?, "chatstream listening");
        let token = self.state.shutdown.clone();
        let stopping = async move {
            stop.await;
            // Long-lived sockets would hold graceful shutdown open forever:
            // tell them to close (1001) while in-flight requests finish.
            token.cancel();
        };
        let serving = http::serve::serve(
            self.listener,
            app,
            self.state.config.connections,
            self.state.sockets.clone(),
            self.state.shutdown.clone(),
        );
        tokio::join!(serving, stopping);
        self.state.shutdown.cancel();
        // Let open sockets send their 1001 close frames before we return.
        if tokio::time::timeout(SOCKET_GRACE, self.state.sockets.closed())
            .await
            .is_err()
        {
            tracing::warn!(
                open = self.state.sockets.len(),
                "sockets still open at shutdown"
            );
        }
        tracing::info!("server stopped");
        Ok(())
    }
}
