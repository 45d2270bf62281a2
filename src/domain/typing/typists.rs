//! The typing state machine of one node: per user and conversation, what
//! subscribers were last told and when, and which signal is due. Pure: the
//! service in [`super`] reads the clock, checks membership and publishes.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

use crate::domain::{ConversationId, User, UserId};

/// How long typing lasts without a renewal.
pub const EXPIRY: Duration = Duration::from_secs(5);
/// The least time between two signals of one user in one conversation.
pub const COALESCE: Duration = Duration::from_secs(2);
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

pub(super) type Due = Vec<(ConversationId, User, bool)>;

impl Typists {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ConversationId, UserId), Typist>> {
        // Never held across an await; a poisoned map is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a call of a user already known here; `None` when unknown
    /// (their membership has to be checked first).
    pub(super) fn touch(
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
    pub(super) fn start(
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
    pub(super) fn sweep(&self, now: Instant) -> Due {
        let mut due = Vec::new();
        self.lock().retain(|(conversation, _), typist| {
            if let Some(typing) = typist.due(now) {
                due.push((*conversation, typist.user.clone(), typing));
            }
            !typist.idle(now)
        });
        due
    }

    pub(super) fn user(&self, conversation: ConversationId, user: UserId) -> Option<User> {
        self.lock()
            .get(&(conversation, user))
            .map(|typist| typist.user.clone())
    }
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
