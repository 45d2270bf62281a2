//! Who is online: a user with at least one open, authenticated WebSocket
//! (either protocol) on any node. The sockets backend counts them (exactly,
//! in-process, embedded; in Redis with heartbeats, so a dead node's users
//! go offline within `SOCKET_TTL_SECS` and a quarter) and says when a
//! user's first socket opens or last one closes; this module tells the
//! user's conversations, as a [`Signal::Presence`] on `conversationEvents`.
//!
//! Presence is shown only to people who share a conversation with the user
//! (and to the user): to anyone else they are never online.

use std::collections::HashSet;

use futures::StreamExt;

use super::{User, UserId, message::Signal};
use crate::{
    backends::{signals::Broadcast, sockets::Transition},
    config::EmailVisibility,
    domain::state::AppState,
    error::Result,
    store,
};

/// Users announced at once: a connection storm is worked through this many
/// at a time rather than one by one.
const CONCURRENT_ANNOUNCEMENTS: usize = 16;

/// Announces every presence change of this node's sockets until shutdown.
///
/// Each announcement says whether the user is online *now*, read when it
/// is made: two transitions of one user can be learnt out of order (a
/// close and a reopen racing through Redis), and the last announcement
/// must be right. So the changes waiting are gathered per user (several
/// of one user make one announcement), and a batch of distinct users is
/// announced concurrently before the next batch is gathered: one user is
/// never announced twice at once.
pub fn start(state: &AppState) {
    let Some(mut transitions) = state.backends.sockets.transitions() else {
        return;
    };
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                () = state.shutdown.cancelled() => return,
                next = transitions.recv() => match next {
                    Some(Transition { user, .. }) => user,
                    None => return,
                },
            };
            let mut batch = HashSet::from([first]);
            while let Ok(Transition { user, .. }) = transitions.try_recv() {
                batch.insert(user);
            }
            futures::stream::iter(batch)
                .for_each_concurrent(CONCURRENT_ANNOUNCEMENTS, |user| {
                    let state = &state;
                    async move {
                        if let Err(e) = announce(state, user).await {
                            e.log();
                        }
                    }
                })
                .await;
        }
    });
}

/// Tells the user's conversations whether they are online now.
async fn announce(state: &AppState, user: UserId) -> Result<()> {
    let (online, conversations, account) = futures::try_join!(
        is_online(state, user),
        async { Ok(store::participants::conversations_of(&state.db, user).await?) },
        async { Ok(store::users::find_by_id(&state.db, user).await?) },
    )?;
    let Some(account) = account else {
        return Ok(());
    };
    if conversations.is_empty() {
        return Ok(());
    }
    metrics::counter!("presence_changes_total").increment(1);
    let user = broadcast_view(state.config.email_visibility, User::from(account));
    state
        .backends
        .broadcast(Broadcast {
            conversations,
            signal: Signal::Presence { user, online },
        })
        .await;
    Ok(())
}

/// A user as every subscriber of a signal is shown them (see
/// [`super::visibility::delivery_as_seen`]).
pub(super) fn broadcast_view(visibility: EmailVisibility, mut user: User) -> User {
    if visibility != EmailVisibility::Participants {
        user.email.clear();
    }
    user
}

async fn is_online(state: &AppState, user: UserId) -> Result<bool> {
    let online = state.backends.sockets.online(&[user]).await?;
    Ok(online.first().copied().unwrap_or(false))
}

/// Which of a conversation's participants are online; the caller has
/// checked that the viewer is one of them.
pub async fn online_among(state: &AppState, participants: Vec<User>) -> Result<Vec<User>> {
    let ids: Vec<UserId> = participants.iter().map(|u| u.id).collect();
    let online = state.backends.sockets.online(&ids).await?;
    Ok(participants
        .into_iter()
        .zip(online)
        .filter_map(|(user, online)| online.then_some(user))
        .collect())
}

/// Which of `users` `viewer` sees online, in order: those who are, when
/// the viewer is them or shares a conversation with them. One query and
/// one Redis call, however many users.
pub async fn seen_online(state: &AppState, viewer: UserId, users: &[UserId]) -> Result<Vec<bool>> {
    let others: Vec<UserId> = users.iter().copied().filter(|u| *u != viewer).collect();
    let known: HashSet<i64> = if others.is_empty() {
        HashSet::new()
    } else {
        store::participants::sharing_with(&state.db, viewer, &others)
            .await?
            .into_iter()
            .collect()
    };
    let visible: Vec<UserId> = users
        .iter()
        .copied()
        .filter(|u| *u == viewer || known.contains(&u.0))
        .collect();
    let online = state.backends.sockets.online(&visible).await?;
    let online: HashSet<UserId> = visible
        .into_iter()
        .zip(online)
        .filter_map(|(user, online)| online.then_some(user))
        .collect();
    Ok(users.iter().map(|u| online.contains(u)).collect())
}
