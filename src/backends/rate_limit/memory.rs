//! The in-process rate limiter: a sliding-window log of send instants per
//! user and conversation, for a single node.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use async_trait::async_trait;

use super::{Decision, RateLimiter};
use crate::{
    config::RateLimitConfig,
    domain::{ConversationId, UserId},
};

/// Every this many checks, windows with nothing left in them are dropped,
/// so users who stopped sending do not hold memory forever.
const PRUNE_EVERY: u32 = 1024;

/// A [`RateLimiter`] in memory; exact, but not shared between processes.
pub struct MemoryLimiter {
    limit: RateLimitConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    windows: HashMap<(UserId, ConversationId), VecDeque<Instant>>,
    checks_since_prune: u32,
}

impl MemoryLimiter {
    /// At most `limit.messages` sends per `limit.window`.
    pub fn new(limit: RateLimitConfig) -> Self {
        Self {
            limit,
            state: Mutex::new(State::default()),
        }
    }

    fn check_at(&self, user: UserId, conversation: ConversationId, now: Instant) -> Decision {
        let window = self.limit.window;
        let expired = |sent: &Instant| now.saturating_duration_since(*sent) >= window;
        // Nothing here can panic half-way through an update, so a lock
        // poisoned elsewhere still guards consistent data.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);

        state.checks_since_prune += 1;
        if state.checks_since_prune >= PRUNE_EVERY {
            state.checks_since_prune = 0;
            state
                .windows
                .retain(|_, sent| sent.back().is_some_and(|last| !expired(last)));
        }

        let sent = state.windows.entry((user, conversation)).or_default();
        while sent.front().is_some_and(expired) {
            sent.pop_front();
        }
        if sent.len() < self.limit.messages as usize {
            sent.push_back(now);
            return Decision::Allowed;
        }
        let wait = match sent.front() {
            Some(oldest) => (*oldest + window).saturating_duration_since(now),
            // A limit of zero: nothing will ever leave, so wait a whole window.
            None => window,
        };
        Decision::Throttled {
            retry_after: whole_seconds_up(wait),
        }
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn check(&self, user: UserId, conversation: ConversationId) -> Decision {
        self.check_at(user, conversation, Instant::now())
    }
}

/// Seconds rounded up, at least 1, as `Retry-After` wants them.
fn whole_seconds_up(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn limiter(messages: u32, window_secs: u64) -> MemoryLimiter {
        MemoryLimiter::new(RateLimitConfig {
            messages,
            window: Duration::from_secs(window_secs),
        })
    }

    const USER: UserId = UserId(1);
    const ROOM: ConversationId = ConversationId(Uuid::nil());

    #[test]
    fn allows_up_to_the_limit_then_throttles() {
        let limiter = limiter(3, 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(USER, ROOM, start), Decision::Allowed);
        }
        let later = start + Duration::from_millis(2_500);
        assert_eq!(
            limiter.check_at(USER, ROOM, later),
            Decision::Throttled { retry_after: 8 }
        );
    }

    #[test]
    fn the_window_slides() {
        let limiter = limiter(2, 10);
        let start = Instant::now();
        assert_eq!(limiter.check_at(USER, ROOM, start), Decision::Allowed);
        let second = start + Duration::from_secs(4);
        assert_eq!(limiter.check_at(USER, ROOM, second), Decision::Allowed);
        // Throttled attempts are not counted: they do not push the window on.
        for _ in 0..5 {
            assert!(matches!(
                limiter.check_at(USER, ROOM, second),
                Decision::Throttled { .. }
            ));
        }
        let first_gone = start + Duration::from_secs(10);
        assert_eq!(limiter.check_at(USER, ROOM, first_gone), Decision::Allowed);
        assert_eq!(
            limiter.check_at(USER, ROOM, first_gone),
            Decision::Throttled { retry_after: 4 }
        );
    }

    #[test]
    fn users_and_conversations_are_limited_separately() {
        let limiter = limiter(1, 60);
        let now = Instant::now();
        let other_room = ConversationId(Uuid::from_u128(1));
        assert_eq!(limiter.check_at(USER, ROOM, now), Decision::Allowed);
        assert_eq!(limiter.check_at(UserId(2), ROOM, now), Decision::Allowed);
        assert_eq!(limiter.check_at(USER, other_room, now), Decision::Allowed);
        assert!(matches!(
            limiter.check_at(USER, ROOM, now),
            Decision::Throttled { retry_after: 60 }
        ));
    }

    #[test]
    fn idle_windows_are_pruned() {
        let limiter = limiter(1, 1);
        let start = Instant::now();
        for n in 0..100 {
            limiter.check_at(UserId(n), ROOM, start);
        }
        let later = start + Duration::from_secs(2);
        for _ in 0..PRUNE_EVERY {
            limiter.check_at(USER, ROOM, later);
        }
        let state = limiter.state.lock().expect("lock");
        assert_eq!(state.windows.len(), 1);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1_001)), 2);
        assert_eq!(whole_seconds_up(Duration::from_secs(3)), 3);
    }
}
