//! Who is typing, per conversation: live only, never stored.
//!
//! A participant starts typing with `setTyping` (or the legacy protocol's
//! `typing` frame) and stops explicitly, by sending a message, or
//! [`EXPIRY`] after their last call. Clients call it on every keystroke;
//! what subscribers hear is coalesced to at most one [`Signal::Typing`] per
//! user and conversation per [`COALESCE`]: a start, a renewal while they
//! keep typing, or a stop — a stop that comes sooner waits for the window
//! to pass, and is dropped if they start again meanwhile.
//!
//! The state lives on the node that receives the calls (a client's calls
//! come over one connection); the signals reach every node.

pub mod typists;

use std::time::Duration;

use tokio::time::Instant;

use super::{ConversationId, User, UserId, conversations, message::Signal, presence};
use crate::{backends::signals::Broadcast, domain::state::AppState, error::Result};

pub use self::typists::{COALESCE, EXPIRY};

/// How often deferred stops, renewals and expiries are looked for.
const SWEEP: Duration = Duration::from_millis(250);

/// `setTyping`: the viewer is typing in `conversation` (or stopped). Only
/// participants may; a call that changes nothing subscribers see costs no
/// query.
pub async fn set(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    typing: bool,
) -> Result<()> {
    let now = Instant::now();
    let due = match state.typists.touch(conversation, viewer, typing, now) {
        Some(due) => due,
        None => {
            let (_, user) = conversations::require_member(state, conversation, viewer).await?;
            let user = presence::broadcast_view(state.config.email_visibility, user);
            state.typists.start(conversation, user, typing, now)
        }
    };
    if let Some(typing) = due {
        announce(state, conversation, viewer, typing).await;
    }
    Ok(())
}

/// A message sent by `viewer` ends their typing there.
pub async fn sent(state: &AppState, viewer: UserId, conversation: ConversationId) {
    if let Some(Some(typing)) = state
        .typists
        .touch(conversation, viewer, false, Instant::now())
    {
        announce(state, conversation, viewer, typing).await;
    }
}

async fn announce(state: &AppState, conversation: ConversationId, user: UserId, typing: bool) {
    if let Some(user) = state.typists.user(conversation, user) {
        publish(state, conversation, user, typing).await;
    }
}

async fn publish(state: &AppState, conversation: ConversationId, user: User, typing: bool) {
    metrics::counter!("typing_signals_total").increment(1);
    state
        .backends
        .broadcast(Broadcast {
            conversations: vec![conversation],
            signal: Signal::Typing { user, typing },
        })
        .await;
}

/// Sends deferred stops, renewals and expiries every [`SWEEP`] until
/// shutdown.
pub fn start_sweeps(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP);
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            for (conversation, user, typing) in state.typists.sweep(Instant::now()) {
                publish(&state, conversation, user, typing).await;
            }
        }
    });
}
