//! Login and signup throttling, checked before any password is hashed, so
//! a throttled attempt costs no argon2.
//!
//! * Per client address (`AUTH_ADDRESS_LIMIT` a minute, 0 = off): every
//!   signup and every login that is not a success counts.
//! * A login is counted as a failure up front, so concurrent attempts
//!   cannot all slip through before the first failure is recorded, and
//!   taken back when it succeeds (the newest count is removed: the same
//!   number, if not always the same instant).
//! * Per account (`LOGIN_FAILURE_LIMIT` failures per 15 minutes, then
//!   exponential back-off, see `rate_limit::LimitRule`): the lock applies
//!   only to addresses that have themselves failed on that account in the
//!   last 24 hours. A third party cannot lock the real user out: the right
//!   password from an address that has not been failing still works, and
//!   each address an attacker uses gets one guess a day once the account is
//!   locked (and its addresses are limited as above).

use std::net::IpAddr;

use crate::{
    backends::rate_limit::{Account, Decision, LimitKey},
    domain::state::AppState,
    error::{Error, Result},
};

/// A login attempt that was let through to the password check, and what
/// was counted for it up front (so that concurrent attempts cannot all
/// pass before the first failure is recorded).
pub struct LoginAttempt {
    account: Account,
    client: IpAddr,
    /// Counted among the account's failures.
    account_counted: bool,
    /// Counted as a failure of this address on the account (the one guess
    /// a clean address gets at a locked account).
    from_counted: bool,
}

/// Refuses a login from `client` on `email` (normalized) when a limit says
/// so, with the wait; otherwise counts it as a failure until it succeeds.
pub async fn admit_login(state: &AppState, email: &str, client: IpAddr) -> Result<LoginAttempt> {
    let limiter = &state.backends.limiter;
    if let Decision::Throttled { retry_after } = limiter.check(&LimitKey::AuthAddress(client)).await
    {
        return Err(throttled("login", "address", retry_after));
    }
    let account = Account::new(email);
    let mut attempt = LoginAttempt {
        account_counted: true,
        from_counted: false,
        account,
        client,
    };
    if let Decision::Throttled { retry_after } = limiter
        .check(&LimitKey::LoginFailures(attempt.account.clone()))
        .await
    {
        // Locked: only an address without failures on the account may try.
        attempt.account_counted = false;
        let from = LimitKey::LoginFailuresFrom(attempt.account.clone(), client);
        if let Decision::Throttled { .. } = limiter.check(&from).await {
            return Err(throttled("login", "account", retry_after));
        }
        attempt.from_counted = true;
    }
    Ok(attempt)
}

impl LoginAttempt {
    /// The password was wrong (or the account unknown or inactive).
    pub async fn failed(self, state: &AppState) {
        let limiter = &state.backends.limiter;
        if !self.account_counted {
            limiter
                .record(&LimitKey::LoginFailures(self.account.clone()))
                .await;
        }
        if !self.from_counted {
            limiter
                .record(&LimitKey::LoginFailuresFrom(self.account, self.client))
                .await;
        }
    }

    /// The login succeeded: what was counted for it is taken back. Earlier
    /// failures on the account stay: some may be another party's.
    pub async fn succeeded(self, state: &AppState) {
        let limiter = &state.backends.limiter;
        limiter.undo(&LimitKey::AuthAddress(self.client)).await;
        if self.account_counted {
            limiter
                .undo(&LimitKey::LoginFailures(self.account.clone()))
                .await;
        }
        if self.from_counted {
            limiter
                .undo(&LimitKey::LoginFailuresFrom(self.account, self.client))
                .await;
        }
    }
}

/// Counts a signup from `client`, or refuses it with the wait.
pub async fn admit_signup(state: &AppState, client: IpAddr) -> Result<()> {
    match state
        .backends
        .limiter
        .check(&LimitKey::AuthAddress(client))
        .await
    {
        Decision::Allowed => Ok(()),
        Decision::Throttled { retry_after } => Err(throttled("signup", "address", retry_after)),
    }
}

fn throttled(action: &'static str, limit: &'static str, retry_after: u64) -> Error {
    tracing::info!(action, limit, retry_after, "authentication throttled");
    metrics::counter!("auth_throttled_total", "action" => action, "limit" => limit).increment(1);
    Error::Throttled { retry_after }
}
