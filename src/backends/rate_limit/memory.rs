//! The in-process rate limiter: a sliding-window log of instants per key,
//! for a single node.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use async_trait::async_trait;

use super::{Decision, LimitKey, LimitRule, RateLimiter, Step, wait_for, whole_seconds_up};

/// Every this many checks, windows with nothing left in them are dropped,
/// so keys that went quiet do not hold memory forever.
const PRUNE_EVERY: u32 = 1024;

/// A [`RateLimiter`] in memory; exact, but not shared between processes.
#[derive(Default)]
pub struct MemoryLimiter {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Each key's instants, oldest first, and how long they are kept.
    windows: HashMap<LimitKey, (VecDeque<Instant>, Duration)>,
    checks_since_prune: u32,
}

impl MemoryLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    fn apply_at(&self, key: &LimitKey, rule: LimitRule, step: Step, now: Instant) -> Decision {
        let memory = rule.memory();
        let expired = |at: &Instant, kept: Duration| now.saturating_duration_since(*at) >= kept;
        // Nothing here can panic half-way through an update, so a lock
        // poisoned elsewhere still guards consistent data.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);

        state.checks_since_prune += 1;
        if state.checks_since_prune >= PRUNE_EVERY {
            state.checks_since_prune = 0;
            state
                .windows
                .retain(|_, (counted, kept)| counted.back().is_some_and(|l| !expired(l, *kept)));
        }

        let (counted, kept) = state
            .windows
            .entry(key.clone())
            .or_insert_with(|| (VecDeque::new(), memory));
        *kept = memory;
        while counted.front().is_some_and(|at| expired(at, memory)) {
            counted.pop_front();
        }
        let n = match step {
            Step::Undo => {
                counted.pop_back();
                return Decision::Allowed;
            }
            Step::Record => {
                counted.push_back(now);
                return Decision::Allowed;
            }
            Step::Peek => 1,
            Step::Acquire(n) => n,
        };
        let ages: Vec<Duration> = counted
            .iter()
            .map(|at| now.saturating_duration_since(*at))
            .collect();
        let wait = wait_for(rule, &ages, n);
        if !wait.is_zero() {
            return Decision::Throttled {
                retry_after: whole_seconds_up(wait),
            };
        }
        if step != Step::Peek {
            counted.extend(std::iter::repeat_n(now, n as usize));
        }
        Decision::Allowed
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn apply(&self, key: &LimitKey, rule: LimitRule, step: Step) -> Decision {
        self.apply_at(key, rule, step, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::model::{ConversationId, UserId};

    fn rule(limit: u32, window_secs: u64) -> LimitRule {
        LimitRule {
            limit,
            window: Duration::from_secs(window_secs),
            backoff: false,
        }
    }

    const USER: UserId = UserId(1);
    const ROOM: ConversationId = ConversationId(Uuid::nil());

    fn send(user: UserId, room: ConversationId) -> LimitKey {
        LimitKey::Send(user, room)
    }

    fn check(l: &MemoryLimiter, r: LimitRule, key: &LimitKey, at: Instant) -> Decision {
        l.apply_at(key, r, Step::Acquire(1), at)
    }

    #[test]
    fn allows_up_to_the_limit_then_throttles() {
        let (limiter, r) = (MemoryLimiter::new(), rule(3, 10));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(
                check(&limiter, r, &send(USER, ROOM), start),
                Decision::Allowed
            );
        }
        let later = start + Duration::from_millis(2_500);
        assert_eq!(
            check(&limiter, r, &send(USER, ROOM), later),
            Decision::Throttled { retry_after: 8 }
        );
    }

    #[test]
    fn the_window_slides() {
        let (limiter, r) = (MemoryLimiter::new(), rule(2, 10));
        let key = send(USER, ROOM);
        let start = Instant::now();
        assert_eq!(check(&limiter, r, &key, start), Decision::Allowed);
        let second = start + Duration::from_secs(4);
        assert_eq!(check(&limiter, r, &key, second), Decision::Allowed);
        // Throttled attempts are not counted: they do not push the window on.
        for _ in 0..5 {
            assert!(matches!(
                check(&limiter, r, &key, second),
                Decision::Throttled { .. }
            ));
        }
        let first_gone = start + Duration::from_secs(10);
        assert_eq!(check(&limiter, r, &key, first_gone), Decision::Allowed);
        assert_eq!(
            check(&limiter, r, &key, first_gone),
            Decision::Throttled { retry_after: 4 }
        );
    }

    #[test]
    fn keys_are_limited_separately() {
        let (limiter, r) = (MemoryLimiter::new(), rule(1, 60));
        let now = Instant::now();
        let other_room = ConversationId(Uuid::from_u128(1));
        assert_eq!(
            check(&limiter, r, &send(USER, ROOM), now),
            Decision::Allowed
        );
        assert_eq!(
            check(&limiter, r, &send(UserId(2), ROOM), now),
            Decision::Allowed
        );
        assert_eq!(
            check(&limiter, r, &send(USER, other_room), now),
            Decision::Allowed
        );
        assert_eq!(
            check(&limiter, r, &LimitKey::Search(USER), now),
            Decision::Allowed
        );
        assert!(matches!(
            check(&limiter, r, &send(USER, ROOM), now),
            Decision::Throttled { retry_after: 60 }
        ));
    }

    #[test]
    fn peek_record_undo_and_weighted_acquire() {
        let (limiter, r) = (MemoryLimiter::new(), rule(3, 60));
        let key = LimitKey::MembershipChanges(USER);
        let now = Instant::now();
        assert_eq!(
            limiter.apply_at(&key, r, Step::Acquire(2), now),
            Decision::Allowed
        );
        assert_eq!(
            limiter.apply_at(&key, r, Step::Peek, now),
            Decision::Allowed
        );
        assert!(matches!(
            limiter.apply_at(&key, r, Step::Acquire(2), now),
            Decision::Throttled { retry_after: 60 }
        ));
        limiter.apply_at(&key, r, Step::Record, now);
        assert!(matches!(
            limiter.apply_at(&key, r, Step::Peek, now),
            Decision::Throttled { .. }
        ));
        limiter.apply_at(&key, r, Step::Undo, now);
        assert_eq!(
            limiter.apply_at(&key, r, Step::Acquire(1), now),
            Decision::Allowed
        );
    }

    #[test]
    fn idle_windows_are_pruned() {
        let (limiter, r) = (MemoryLimiter::new(), rule(1, 1));
        let start = Instant::now();
        for n in 0..100 {
            check(&limiter, r, &send(UserId(n), ROOM), start);
        }
        let later = start + Duration::from_secs(2);
        for _ in 0..PRUNE_EVERY {
            check(&limiter, r, &send(USER, ROOM), later);
        }
        let state = limiter.state.lock().expect("lock");
        assert_eq!(state.windows.len(), 1);
    }
}
