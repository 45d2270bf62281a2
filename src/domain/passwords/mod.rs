//! Password hashing with argon2id (OWASP parameters), always off the async
//! runtime. Hashes are stored in Django's format (`argon2$argon2id$...`) so
//! django-chat and chatstream can verify each other's users. Hashes an
//! adopted django-chat database holds in its default PBKDF2 format verify
//! too, and are replaced by argon2id on the login that proves them.

mod django;

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::{
    config::HashingLimits,
    error::{Error, Result},
};

/// The node's turns at hashing: argon2 is a CPU sink, and a flood of
/// logins must queue for a bounded time or be refused (503), not occupy
/// every blocking thread while requests behind them time out.
pub struct HashSlots {
    permits: tokio::sync::Semaphore,
    queue_wait: std::time::Duration,
}

/// A turn at hashing, held while the hash runs.
pub struct HashSlot<'a>(
    #[expect(dead_code, reason = "held for its Drop")] tokio::sync::SemaphorePermit<'a>,
);

impl HashSlots {
    pub fn new(limits: HashingLimits) -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(limits.concurrency),
            queue_wait: limits.queue_wait,
        }
    }

    /// Waits up to the queue wait for a turn; past it, `Overloaded`.
    pub async fn acquire(&self) -> Result<HashSlot<'_>> {
        // `timeout` polls once before looking at the clock, so a zero wait
        // still takes a free slot.
        match tokio::time::timeout(self.queue_wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(HashSlot(permit)),
            _ => {
                metrics::counter!("password_hashes_refused_total").increment(1);
                tracing::info!("password hash refused: every slot busy");
                Err(Error::Overloaded { retry_after: 1 })
            }
        }
    }
}

const DJANGO_PREFIX: &str = "argon2";

/// A hash of a password nobody has, verified when an email is unknown so a
/// login takes the same time whether or not the account exists.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("timing-equaliser-Pa55word!").ok());

/// Hashes a password (runs argon2 on the blocking pool).
pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| Error::Internal(e.into()))?
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right. `rehashed` is its argon2id hash when the
    /// stored one is in an older format and should be replaced.
    Match { rehashed: Option<String> },
    /// Wrong password, or no account.
    Mismatch,
    /// The stored hash is in a format chatstream does not verify (named
    /// here, safe to log): the login is refused whatever the password.
    Unsupported(&'static str),
}

/// Checks a password against a stored hash, or against a dummy hash when
/// there is none, so both paths cost one argon2 verification. A match
/// against a PBKDF2 hash also computes its argon2id replacement, in the
/// same trip to the blocking pool.
pub async fn verify(password: String, stored: Option<String>) -> Result<Verdict> {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => check_blocking(&password, &stored),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            Ok(Verdict::Mismatch)
        }
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
}

/// Computes the dummy hash ahead of the first login with an unknown email.
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(|| DUMMY_HASH.is_some()).await;
}

fn hash_blocking(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let phc = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Internal(anyhow::anyhow!("argon2 hash failed: {e}")))?;
    Ok(format!("{DJANGO_PREFIX}{phc}"))
}

fn check_blocking(password: &str, stored: &str) -> Result<Verdict> {
    let verdict = match django::Stored::parse(stored) {
        django::Stored::Argon2(phc) if verify_phc(password, phc) => {
            Verdict::Match { rehashed: None }
        }
        django::Stored::Pbkdf2Sha256(pbkdf2) if pbkdf2.verify(password) => Verdict::Match {
            rehashed: Some(hash_blocking(password)?),
        },
        django::Stored::Argon2(_) | django::Stored::Pbkdf2Sha256(_) => Verdict::Mismatch,
        django::Stored::Refused(name) => Verdict::Unsupported(name),
    };
    Ok(verdict)
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    matches!(check_blocking(password, stored), Ok(Verdict::Match { .. }))
}

/// Verifies against an argon2 PHC string (`$argon2id$v=19$...`).
fn verify_phc(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_django_format_argon2id_and_verify() {
        let stored = hash_blocking("Correct-horse-1").expect("hash");
        assert!(
            stored.starts_with("argon2$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify_blocking("Correct-horse-1", &stored));
        assert!(!verify_blocking("Correct-horse-2", &stored));
        assert!(!verify_blocking("Correct-horse-1", "pbkdf2_sha256$garbage"));
        // chatstream's earliest hashes may be bare PHC strings.
        assert!(verify_blocking(
            "Correct-horse-1",
            &stored["argon2".len()..]
        ));
    }

    #[test]
    fn a_pbkdf2_match_comes_with_its_argon2id_replacement() {
        let stored = "pbkdf2_sha256$1000$sAlTsAlTsAlT$6axWEfQ2z0u8rhWr4OERRUevC/vnki8QBf91DxkN3KY=";
        let Ok(Verdict::Match {
            rehashed: Some(rehashed),
        }) = check_blocking("Correct-horse-1", stored)
        else {
            panic!("a pbkdf2_sha256 match is rehashed");
        };
        assert!(rehashed.starts_with("argon2$argon2id$"), "{rehashed}");
        assert!(verify_blocking("Correct-horse-1", &rehashed));
        assert_eq!(
            check_blocking("Correct-horse-2", stored).ok(),
            Some(Verdict::Mismatch)
        );
        assert_eq!(
            check_blocking("Correct-horse-1", "md5$salt$abc").ok(),
            Some(Verdict::Unsupported("md5"))
        );
    }
}
