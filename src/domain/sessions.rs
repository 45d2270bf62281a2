//! An authenticated WebSocket's session, on either protocol: it lasts as
//! long as its access token and its account, and one user may hold at most
//! `MAX_SOCKETS_PER_USER` of them (across nodes in Redis mode).
//!
//! Deactivation reaches every node without a message between them: nothing
//! in chatstream deactivates an account (Django's admin does, in the
//! shared database, or an operator in SQL), so each node asks the database
//! twice a second which of the users holding its sockets are no longer
//! active (or no longer exist) and ends their sockets. One query per 500
//! users with sockets on the node, per [`ACCOUNT_CHECK`].

use std::{
    collections::HashSet,
    pin::Pin,
    time::{Duration, SystemTime},
};

use tokio::time::{Instant, Sleep};

use super::{UserId, tokens::Access};
use crate::{backends::sockets::SocketLease, domain::state::AppState, store};

/// How often a node checks that the users holding its sockets are active:
/// a deactivated account loses its sockets within this (plus one query).
const ACCOUNT_CHECK: Duration = Duration::from_millis(500);
/// Users checked per query.
const CHECK_CHUNK: usize = 500;

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The access token it was opened with expired: reconnect with a
    /// fresh one (graphql-ws close 4403, legacy 4001).
    Expired,
    /// The account was deactivated or deleted.
    Deactivated,
}

impl SessionEnd {
    /// The close reason both protocols send.
    pub fn reason(self) -> &'static str {
        match self {
            SessionEnd::Expired => "token expired",
            SessionEnd::Deactivated => "account deactivated",
        }
    }
}

/// The user already holds `MAX_SOCKETS_PER_USER` sockets.
#[derive(Debug)]
pub struct TooManySockets;

/// An open socket's authenticated session; dropping it frees its place.
pub struct SocketSession {
    lease: SocketLease,
    expiry: Pin<Box<Sleep>>,
}

impl SocketSession {
    pub fn user(&self) -> UserId {
        self.lease.user()
    }

    /// Resolves when the session ends; cancel-safe.
    pub async fn ended(&mut self) -> SessionEnd {
        tokio::select! {
            biased;
            () = self.lease.ended() => SessionEnd::Deactivated,
            () = self.expiry.as_mut() => SessionEnd::Expired,
        }
    }
}

/// Opens a session for a verified token, unless its user holds too many.
pub async fn open(state: &AppState, access: Access) -> Result<SocketSession, TooManySockets> {
    let max = state.config.sockets.per_user;
    let Some(lease) = state.backends.sockets.acquire(access.user, max).await else {
        tracing::info!(
            user.id = access.user.0,
            max,
            "socket refused: too many sockets"
        );
        metrics::counter!("websocket_refused_total", "reason" => "too_many_sockets").increment(1);
        return Err(TooManySockets);
    };
    let left = access
        .valid_until
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    Ok(SocketSession {
        lease,
        expiry: Box::pin(tokio::time::sleep_until(Instant::now() + left)),
    })
}

/// Checks, every [`ACCOUNT_CHECK`] until the node shuts down, that the
/// users holding this node's sockets may still hold them.
pub fn start_account_checks(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(ACCOUNT_CHECK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            check_accounts(&state).await;
        }
    });
}

async fn check_accounts(state: &AppState) {
    let sockets = &state.backends.sockets;
    let users = sockets.users();
    for chunk in users.chunks(CHECK_CHUNK) {
        let active: HashSet<UserId> = match store::users::active_among(&state.db, chunk).await {
            Ok(active) => active.into_iter().collect(),
            // Storage failing: sockets stay; every read and send still
            // checks the account itself.
            Err(e) => {
                crate::error::Error::from(e).log();
                return;
            }
        };
        for user in chunk.iter().filter(|user| !active.contains(user)) {
            tracing::info!(user.id = user.0, "account inactive: ending its sockets");
            sockets.end_user(*user);
            state.backends.members.forget_user(*user);
        }
    }
}
