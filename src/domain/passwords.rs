//! Password hashing with argon2id (OWASP parameters), always off the async
//! runtime. Hashes are stored in Django's format (`argon2$argon2id$...`) so
//! django-chat and chatstream can verify each other's users.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::{Error, Result};

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

/// Checks a password against a stored hash, or against a dummy hash when
/// there is none, so both paths cost one argon2 verification.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_blocking(&password, &stored),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
    .map_err(|e| Error::Internal(e.into()))
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

fn verify_blocking(password: &str, stored: &str) -> bool {
    // Django writes "argon2" + the PHC string; accept a bare PHC string too.
    let phc = stored.strip_prefix(DJANGO_PREFIX).unwrap_or(stored);
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
    }
}
