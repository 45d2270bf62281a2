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

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

use super::{ConversationId, User, UserId, conversations, message::Signal, presence};
use crate::{backends::signals::Broadcast, error::Result, state::AppState};

/// How long typing lasts without a renewal.
pub const EXPIRY: Duration = Duration::from_secs(5);
/// The least time between two signals of one user in one conversation.
pub const COALESCE: Duration = Duration::from_secs(2);
/// How often deferred stops, renewals and expiries are looked for.
const SWEEP: Duration = Duration::from_millis(250);

/// One user's typing in one conversation, on this node.
struct Typist {
    /// The user as the signals show them.
    user: User,
    typing: bool,
    renewed: Instant,
    /// What subscribers were last told, and when.
    shown: bool,
    published: Option<Instant>,
}

impl Typist {
    /// The signal due now, if any; marks it sent.
    fn due(&mut self, now: Instant) -> Option<bool> {
        if self.typing && now.duration_since(self.renewed) >= EXPIRY {
            self.typing = false;
        }
        if self
            .published
            .is_some_and(|at| now.duration_since(at) < COALESCE)
        {
            return None;
        }
        let renewal = self.typing && self.published.is_some_and(|at| self.renewed > at);
        if self.typing == self.shown && !renewal {
            return None;
        }
        self.shown = self.typing;
        self.published = Some(now);
        Some(self.typing)
    }

    /// Nothing shown, nothing pending: the entry can go.
    fn idle(&self, now: Instant) -> bool {
        !self.typing
            && !self.shown
            && self
                .published
                .is_none_or(|at| now.duration_since(at) >= COALESCE)
    }
}

/// This node's typists.
#[derive(Default)]
pub struct Typists {
    entries: Mutex<HashMap<(ConversationId, UserId), Typist>>,
}

type Due = Vec<(ConversationId, User, bool)>;

impl Typists {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ConversationId, UserId), Typist>> {
        // Never held across an await; a poisoned map is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a call of a user already known here; `None` when unknown
    /// (their membership has to be checked first).
    fn touch(
        &self,
        conversation: ConversationId,
        user: UserId,
        typing: bool,
        now: Instant,
    ) -> Option<Option<bool>> {
        let mut entries = self.lock();
        let typist = entries.get_mut(&(conversation, user))?;
        typist.typing = typing;
        if typing {
            typist.renewed = now;
        }
        Some(typist.due(now))
    }

    /// Records the first call of a participant.
    fn start(
        &self,
        conversation: ConversationId,
        user: User,
        typing: bool,
        now: Instant,
    ) -> Option<bool> {
        let mut entries = self.lock();
        let typist = entries
            .entry((conversation, user.id))
            .or_insert_with(|| Typist {
                user,
                typing: false,
                renewed: now,
                shown: false,
                published: None,
            });
        typist.typing = typing;
        if typing {
            typist.renewed = now;
        }
        typist.due(now)
    }

    /// Every signal due now (deferred stops, renewals, expiries), and
    /// forgets the idle entries.
    fn sweep(&self, now: Instant) -> Due {
        let mut due = Vec::new();
        self.lock().retain(|(conversation, _), typist| {
            if let Some(typing) = typist.due(now) {
                due.push((*conversation, typist.user.clone(), typing));
            }
            !typist.idle(now)
        });
        due
    }

    fn user(&self, conversation: ConversationId, user: UserId) -> Option<User> {
        self.lock()
            .get(&(conversation, user))
            .map(|typist| typist.user.clone())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> User {
        User {
            id: UserId(1),
            email: String::new(),
            username: "ada".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
        }
    }

    #[test]
    fn keystrokes_coalesce_to_one_signal_per_window() {
        let typists = Typists::default();
        let c = ConversationId(uuid::Uuid::new_v4());
        let t0 = Instant::now();
        assert_eq!(typists.start(c, ada(), true, t0), Some(true), "a start");
        let mut signals = 0;
        // Ten keystrokes a second for 4.5 s.
        for tick in 1..45 {
            let now = t0 + Duration::from_millis(100 * tick);
            if let Some(Some(typing)) = typists.touch(c, UserId(1), true, now) {
                assert!(typing);
                signals += 1;
            }
        }
        assert_eq!(signals, 2, "renewals at 2 s and 4 s only");
    }

    #[test]
    fn a_quick_stop_waits_for_its_window_and_a_restart_cancels_it() {
        let typists = Typists::default();
        let c = ConversationId(uuid::Uuid::new_v4());
        let t0 = Instant::now();
        typists.start(c, ada(), true, t0);
        let soon = t0 + Duration::from_millis(500);
        assert_eq!(typists.touch(c, UserId(1), false, soon), Some(None));
        assert!(typists.sweep(soon).is_empty(), "deferred");
        let later = t0 + COALESCE;
        assert_eq!(typists.sweep(later).len(), 1, "sent once the window passed");
        // Start, stop, start again within the window: nothing to tell.
        let t1 = later + COALESCE;
        assert_eq!(typists.touch(c, UserId(1), true, t1), Some(Some(true)));
        typists.touch(c, UserId(1), false, t1 + Duration::from_millis(100));
        typists.touch(c, UserId(1), true, t1 + Duration::from_millis(200));
        let due = typists.sweep(t1 + COALESCE);
        assert_eq!(due.len(), 1);
        assert!(due[0].2, "a renewal, not a stop");
    }

    #[test]
    fn typing_expires_without_renewal_and_idle_entries_go() {
        let typists = Typists::default();
        let c = ConversationId(uuid::Uuid::new_v4());
        let t0 = Instant::now();
        typists.start(c, ada(), true, t0);
        assert!(typists.sweep(t0 + Duration::from_millis(4900)).is_empty());
        let due = typists.sweep(t0 + EXPIRY);
        assert_eq!(due.len(), 1);
        assert!(!due[0].2, "stopped");
        assert!(typists.sweep(t0 + EXPIRY + COALESCE).is_empty());
        assert!(typists.lock().is_empty(), "forgotten");
    }
}
