//! Rate limiting: one sliding-window limiter keyed by what is limited
//! ([`LimitKey`]), each kind with its own limit and window ([`Rules`]).
//! The backends (in memory, Redis) only keep windows; which rule applies to
//! a key, and whether it is limited at all, is decided here, once.

pub mod memory;
pub mod redis;

use std::{net::IpAddr, time::Duration};

use async_trait::async_trait;

use crate::{
    config::{Config, RateLimitConfig},
    model::{ConversationId, UserId},
};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The action may go ahead; it has been counted (when the step counts).
    Allowed,
    /// Over the limit: not counted; retry after this many seconds (>= 1).
    Throttled { retry_after: u64 },
}

/// What is being limited, and for whom.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// Messages sent by a user in one conversation.
    Send(UserId, ConversationId),
    /// People searches by a user.
    Search(UserId),
    /// Failed logins on an account (named by its normalized email, whether
    /// or not it exists, so the answer does not tell).
    LoginFailures(Account),
    /// Failed logins on an account from one client address: an address with
    /// any is not "clean" for that account (see `domain::auth_throttle`).
    LoginFailuresFrom(Account, IpAddr),
    /// Signups and failed logins from one client address.
    AuthAddress(IpAddr),
    /// Conversations created and participants added by a user.
    MembershipChanges(UserId),
}

/// An account as the login throttle names it: the normalized email, cut to
/// the longest valid email so a huge login body cannot make a huge key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Account(String);

impl Account {
    /// From an already normalized (trimmed, lower-cased) email.
    pub fn new(email: &str) -> Self {
        Self(email.chars().take(254).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One kind's limit: at most `limit` per `window`. With `backoff`, the
/// counts are remembered for [`BACKOFF_MEMORY`], and once more than `limit`
/// are remembered, the newest one locks for `window` doubled per count past
/// `limit + 1` (capped at [`BACKOFF_MEMORY`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitRule {
    pub limit: u32,
    pub window: Duration,
    pub backoff: bool,
}

/// How long a back-off rule remembers, and its longest lock.
pub const BACKOFF_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// Doublings past which the lock stops growing (it is capped anyway).
const MAX_DOUBLINGS: u32 = 16;

impl LimitRule {
    fn plain(limit: RateLimitConfig) -> Self {
        Self {
            limit: limit.messages,
            window: limit.window,
            backoff: false,
        }
    }

    /// How long counts are kept.
    pub fn memory(&self) -> Duration {
        if self.backoff {
            BACKOFF_MEMORY.max(self.window)
        } else {
            self.window
        }
    }
}

/// People searches allowed per user: a search-as-you-type box sends one per
/// keystroke or so, and anything much faster is enumerating users.
pub const SEARCH_LIMIT: RateLimitConfig = RateLimitConfig {
    messages: 30,
    window: Duration::from_secs(60),
};

/// The window of `LOGIN_FAILURE_LIMIT`.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The rule of every kind, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub send: LimitRule,
    pub search: LimitRule,
    pub login_failures: LimitRule,
    /// `None` when `AUTH_ADDRESS_LIMIT=0`.
    pub auth_address: Option<LimitRule>,
    pub membership_changes: LimitRule,
}

impl Rules {
    pub fn from_config(config: &Config) -> Self {
        let limits = &config.limits;
        Self {
            send: LimitRule::plain(config.rate_limit),
            search: LimitRule::plain(SEARCH_LIMIT),
            login_failures: LimitRule {
                limit: limits.login_failures,
                window: LOGIN_FAILURE_WINDOW,
                backoff: true,
            },
            auth_address: (limits.auth_address > 0).then(|| LimitRule {
                limit: limits.auth_address,
                window: Duration::from_secs(60),
                backoff: false,
            }),
            membership_changes: LimitRule {
                limit: limits.membership_changes_per_hour,
                window: Duration::from_secs(3600),
                backoff: false,
            },
        }
    }

    /// The rule `key` is checked against; `None` when its kind is off.
    pub fn of(&self, key: &LimitKey) -> Option<LimitRule> {
        match key {
            LimitKey::Send(..) => Some(self.send),
            LimitKey::Search(_) => Some(self.search),
            LimitKey::LoginFailures(_) => Some(self.login_failures),
            // One failure makes the address "not clean" for the account for
            // as long as the account's failures are remembered: a peek says
            // `Throttled` exactly when there is one.
            LimitKey::LoginFailuresFrom(..) => Some(LimitRule {
                limit: 1,
                window: BACKOFF_MEMORY,
                backoff: false,
            }),
            LimitKey::AuthAddress(_) => self.auth_address,
            LimitKey::MembershipChanges(_) => Some(self.membership_changes),
        }
    }
}

/// One atomic step on a key's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Counts `n` if they fit, else says how long until they would.
    Acquire(u32),
    /// What `Acquire(1)` would answer, counting nothing.
    Peek,
    /// Counts one whatever the limit says (a failure that already happened).
    Record,
    /// Removes the newest count (an attempt counted up front that turned
    /// out not to be one of what is limited, e.g. a successful login).
    Undo,
}

/// A window store. Implementations: in-process, and Redis (shared by every
/// node, one atomic round trip per step).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Applies `step` to `key`'s window under `rule`.
    async fn apply(&self, key: &LimitKey, rule: LimitRule, step: Step) -> Decision;
}

/// The limiter every domain call uses: the window store and the rules.
#[derive(Clone)]
pub struct Limiter {
    store: std::sync::Arc<dyn RateLimiter>,
    rules: Rules,
}

impl Limiter {
    pub fn new(store: std::sync::Arc<dyn RateLimiter>, rules: Rules) -> Self {
        Self { store, rules }
    }

    /// Counts one, unless throttled.
    pub async fn check(&self, key: &LimitKey) -> Decision {
        self.acquire(key, 1).await
    }

    /// Counts `n`, unless they do not all fit.
    pub async fn acquire(&self, key: &LimitKey, n: u32) -> Decision {
        self.step(key, Step::Acquire(n)).await
    }

    /// Whether one more would be allowed; counts nothing.
    pub async fn peek(&self, key: &LimitKey) -> Decision {
        self.step(key, Step::Peek).await
    }

    /// Counts one, over the limit or not.
    pub async fn record(&self, key: &LimitKey) {
        self.step(key, Step::Record).await;
    }

    /// Takes back the newest count.
    pub async fn undo(&self, key: &LimitKey) {
        self.step(key, Step::Undo).await;
    }

    async fn step(&self, key: &LimitKey, step: Step) -> Decision {
        match self.rules.of(key) {
            Some(rule) => self.store.apply(key, rule, step).await,
            None => Decision::Allowed,
        }
    }
}

/// The wait before `n` more fit, given the instants counted so far (oldest
/// first, all within the rule's memory), as offsets back from now: the
/// same arithmetic as the Redis script, kept here for the memory limiter
/// and its tests. `ages[i]` is how long ago the i-th count was made.
pub fn wait_for(rule: LimitRule, ages: &[Duration], n: u32) -> Duration {
    let window = rule.window;
    let recent: Vec<Duration> = ages.iter().copied().filter(|age| *age < window).collect();
    let mut wait = Duration::ZERO;
    let excess = (recent.len() + n as usize).saturating_sub(rule.limit as usize);
    if excess > 0 {
        wait = match recent.get(excess - 1) {
            Some(age) => window - *age,
            // More than the limit can ever hold: wait a whole window.
            None => window,
        };
    }
    if rule.backoff && ages.len() > rule.limit as usize {
        let doublings = (ages.len() - rule.limit as usize - 1).min(MAX_DOUBLINGS as usize);
        let lock = window.saturating_mul(1 << doublings).min(rule.memory());
        if let Some(newest) = ages.last() {
            wait = wait.max(lock.saturating_sub(*newest));
        }
    }
    wait
}

/// Seconds rounded up, at least 1, as `Retry-After` wants them.
pub fn whole_seconds_up(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(limit: u32, window_secs: u64, backoff: bool) -> LimitRule {
        LimitRule {
            limit,
            window: Duration::from_secs(window_secs),
            backoff,
        }
    }

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    #[test]
    fn waits_until_enough_counts_leave_the_window() {
        let r = rule(3, 60, false);
        assert_eq!(wait_for(r, &secs(&[50, 40]), 1), Duration::ZERO);
        assert_eq!(
            wait_for(r, &secs(&[50, 40, 10]), 1),
            Duration::from_secs(10)
        );
        assert_eq!(
            wait_for(r, &secs(&[50, 40, 10]), 2),
            Duration::from_secs(20)
        );
        assert_eq!(wait_for(r, &secs(&[]), 4), Duration::from_secs(60));
    }

    #[test]
    fn back_off_doubles_per_count_past_the_limit() {
        let r = rule(2, 60, true);
        // Two failures long ago: within the limit, no lock.
        assert_eq!(wait_for(r, &secs(&[3000, 2000]), 1), Duration::ZERO);
        // A third: locked for one window from the newest.
        assert_eq!(
            wait_for(r, &secs(&[3000, 2000, 10]), 1),
            Duration::from_secs(50)
        );
        // A fourth: two windows; a fifth: four.
        assert_eq!(
            wait_for(r, &secs(&[3000, 2000, 1000, 10]), 1),
            Duration::from_secs(110)
        );
        assert_eq!(
            wait_for(r, &secs(&[3000, 2000, 1000, 500, 10]), 1),
            Duration::from_secs(230)
        );
        // Capped at the memory.
        let many = secs(&[10; 40]);
        assert_eq!(
            wait_for(r, &many, 1),
            BACKOFF_MEMORY - Duration::from_secs(10)
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1_001)), 2);
        assert_eq!(whole_seconds_up(Duration::from_secs(3)), 3);
    }
}
