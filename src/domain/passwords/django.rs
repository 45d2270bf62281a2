//! The hash formats Django writes into `users.password`, told apart by the
//! algorithm name before the first `$`. chatstream verifies the two a
//! django-chat deployment can hold and that are still sound (argon2 and
//! PBKDF2-HMAC-SHA256); every other one is refused, never guessed at.

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A stored hash, by the algorithm that made it.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored<'a> {
    /// `argon2$argon2id$v=19$...` (Django's Argon2PasswordHasher), or a bare
    /// PHC string `$argon2id$...`: the PHC part.
    Argon2(&'a str),
    /// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, Django's default.
    Pbkdf2Sha256(Pbkdf2<'a>),
    /// Anything else: `md5`, `pbkdf2_sha1`, `bcrypt_sha256`, `unsalted_*`,
    /// an unusable (`!`) password or garbage. Holds a name safe to log.
    Refused(&'static str),
}

/// The parts of a `pbkdf2_sha256` hash.
#[derive(Debug, PartialEq, Eq)]
pub struct Pbkdf2<'a> {
    iterations: u32,
    salt: &'a str,
    hash: Vec<u8>,
}

/// More than Django will use for years; a larger count in the database is
/// a corrupt or hostile row, not worth a blocking thread for minutes.
const MAX_ITERATIONS: u32 = 50_000_000;

/// The 32-byte derived key Django stores for `pbkdf2_sha256`.
const PBKDF2_KEY_LEN: usize = 32;

impl<'a> Stored<'a> {
    pub fn parse(stored: &'a str) -> Self {
        if stored.starts_with("$argon2") {
            return Stored::Argon2(stored);
        }
        if let Some(phc) = stored.strip_prefix("argon2").filter(|p| p.starts_with('$')) {
            return Stored::Argon2(phc);
        }
        let Some((algorithm, rest)) = stored.split_once('$') else {
            return Stored::Refused(if stored.starts_with('!') {
                "unusable"
            } else {
                "unknown"
            });
        };
        match algorithm {
            "pbkdf2_sha256" => Pbkdf2::parse(rest).map_or(
                Stored::Refused("pbkdf2_sha256 (malformed)"),
                Stored::Pbkdf2Sha256,
            ),
            other => Stored::Refused(refused_name(other)),
        }
    }
}

/// The name to log for a refused algorithm: Django's own names pass
/// through, anything else (which might be a bare hash) is "unknown".
fn refused_name(algorithm: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "pbkdf2_sha1",
        "md5",
        "sha1",
        "bcrypt",
        "bcrypt_sha256",
        "scrypt",
        "crypt",
        "unsalted_md5",
        "unsalted_sha1",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == algorithm)
        .unwrap_or("unknown")
}

impl<'a> Pbkdf2<'a> {
    fn parse(rest: &'a str) -> Option<Self> {
        let mut parts = rest.split('$');
        let iterations = parts.next()?.parse::<u32>().ok()?;
        let salt = parts.next()?;
        let hash = STANDARD.decode(parts.next()?).ok()?;
        let well_formed = parts.next().is_none()
            && (1..=MAX_ITERATIONS).contains(&iterations)
            && !salt.is_empty()
            && hash.len() == PBKDF2_KEY_LEN;
        well_formed.then_some(Self {
            iterations,
            salt,
            hash,
        })
    }

    /// Derives the key for `password` and compares it in constant time.
    /// Costs `iterations` HMAC rounds: call it on the blocking pool.
    pub fn verify(&self, password: &str) -> bool {
        let mut derived = [0u8; PBKDF2_KEY_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password.as_bytes(),
            self.salt.as_bytes(),
            self.iterations,
            &mut derived,
        );
        derived.ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Django's `PBKDF2PasswordHasher` stores for "Correct-horse-1" with
    /// salt "sAlTsAlTsAlT" and 1,000 iterations (its key is Python's
    /// `hashlib.pbkdf2_hmac("sha256", ...)`, base64): few rounds keep it fast.
    const DJANGO_1000: &str =
        "pbkdf2_sha256$1000$sAlTsAlTsAlT$6axWEfQ2z0u8rhWr4OERRUevC/vnki8QBf91DxkN3KY=";

    #[test]
    fn pbkdf2_sha256_hashes_verify() {
        let Stored::Pbkdf2Sha256(hash) = Stored::parse(DJANGO_1000) else {
            panic!("not parsed as pbkdf2_sha256");
        };
        assert!(hash.verify("Correct-horse-1"));
        assert!(!hash.verify("Correct-horse-2"));
    }

    #[test]
    fn formats_are_told_apart_and_refusals_are_named() {
        assert_eq!(
            Stored::parse("argon2$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"),
            Stored::Argon2("$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA")
        );
        assert_eq!(
            Stored::parse("$argon2id$v=19$x"),
            Stored::Argon2("$argon2id$v=19$x")
        );
        let cases = [
            ("md5$salt$0123456789abcdef0123456789abcdef", "md5"),
            ("pbkdf2_sha1$260000$salt$aGFzaA==", "pbkdf2_sha1"),
            ("bcrypt_sha256$$2b$12$abc", "bcrypt_sha256"),
            ("unsalted_md5$$abc", "unsalted_md5"),
            ("0123456789abcdef0123456789abcdef", "unknown"),
            ("secret-looking$thing", "unknown"),
            ("!unusablePasswordXYZ", "unusable"),
            ("pbkdf2_sha256$0$salt$aGFzaA==", "pbkdf2_sha256 (malformed)"),
            (
                "pbkdf2_sha256$600000$salt$not base64",
                "pbkdf2_sha256 (malformed)",
            ),
            ("pbkdf2_sha256$600000$salt", "pbkdf2_sha256 (malformed)"),
        ];
        for (stored, name) in cases {
            assert_eq!(Stored::parse(stored), Stored::Refused(name), "{stored}");
        }
    }
}
