//! GraphQL over WebSocket: the upgrade at `/graphql` and `/graphql/ws`
//! (origin check, subprotocol choice, credentials from the upgrade request)
//! and the signal a lagging subscription uses to close its connection.
//!
//! Our own handler rather than async-graphql-axum's: that one lacks the
//! graphql-ws close codes (4400, 4401, 4408, 4409, 4429), never pings and
//! replaces a duplicate id instead of refusing it.

mod budget;
mod connection;
mod protocol;
mod trim;

use std::{future::Future, sync::Arc};

use axum::{
    Extension,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, header::AUTHORIZATION},
    response::{IntoResponse, Response},
};
use tracing::Instrument;

use self::protocol::Protocol;
use super::{ChatSchema, SocketAuth};
use crate::{client_addr::ClientAddr, domain::state::AppState, shutdown::EndSignal, websocket};

/// `GET /graphql/ws`, and `GET /graphql` when it asks for an upgrade.
pub async fn upgrade(
    State(state): State<AppState>,
    Extension(schema): Extension<ChatSchema>,
    client: ClientAddr,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ws = match websocket::accept(ws, &headers, &state.config) {
        Ok(ws) => ws.protocols(Protocol::NAMES),
        Err(e) => return e.into_response(),
    };
    // A client that names no subprotocol we know gets the modern one; no
    // header is echoed then, since it offered none of ours.
    let protocol = ws
        .selected_protocol()
        .and_then(|name| name.to_str().ok())
        .and_then(Protocol::from_name)
        .unwrap_or(Protocol::TransportWs);
    // Kept until `connection_init`, which may bring its own credentials.
    let header_auth = SocketAuth::from_bearer(
        &state.tokens,
        headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()),
    );
    let span = tracing::info_span!(
        "graphql_ws",
        protocol = protocol.name(),
        user.id = tracing::field::Empty,
    );
    ws.on_upgrade(move |socket| {
        let sockets = state.sockets.clone();
        sockets.open(|stop| {
            let outbox = websocket::Outbox::new(socket, stop);
            connection::serve(outbox, protocol, schema, state, header_auth, client).instrument(span)
        })
    })
}

/// One per WebSocket connection, in every operation's request data: a
/// subscription whose subscriber fell too far behind triggers it, and the
/// connection closes with 4008 ("slow consumer") so the client reconnects
/// with `since`.
#[derive(Clone, Debug, Default)]
pub struct SlowConsumer(Arc<EndSignal>);

impl SlowConsumer {
    /// Asks the connection to close with 4008.
    pub fn trigger(&self) {
        self.0.fire();
    }

    fn is_triggered(&self) -> bool {
        self.0.is_fired()
    }

    fn triggered(&self) -> impl Future<Output = ()> + '_ {
        self.0.fired()
    }
}
