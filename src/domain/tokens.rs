//! JWT access and refresh tokens: HS256 only, expiry and token type checked,
//! claims shaped like djangorestframework-simplejwt's. Refresh tokens are
//! recorded so each can be exchanged exactly once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{User, UserId};
use crate::{
    config::JwtConfig,
    error::{Error, NoCredentials, Result},
    store,
};

/// What a client presented as credentials: an `Authorization` header, a
/// graphql-ws `connection_init` field or a `?token=` parameter. Every
/// surface reads them here, so each accepts exactly the same forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// Nothing, or only whitespace.
    Missing,
    /// Another scheme (`Basic …`), or `Bearer` without exactly one token.
    Malformed,
    /// The token of `Bearer <token>` (the scheme in any case, RFC 7235),
    /// or a bare token.
    Token(&'a str),
}

impl<'a> Credentials<'a> {
    pub fn parse(value: Option<&'a str>) -> Self {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Credentials::Missing;
        };
        let Some((scheme, rest)) = value.split_once(char::is_whitespace) else {
            return Credentials::Token(value);
        };
        let token = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !token.contains(char::is_whitespace) {
            Credentials::Token(token)
        } else {
            Credentials::Malformed
        }
    }
}

/// Seconds a token is still accepted after its `exp` (and before its
/// `nbf`): the clocks of the nodes that issue and check it may differ.
const LEEWAY_SECS: u64 = 5;

/// Which of the two tokens a JWT is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// simplejwt's claims, so django-chat and chatstream accept each other's
/// tokens when they share the secret.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    token_type: TokenType,
    exp: i64,
    iat: i64,
    jti: String,
    /// A number when chatstream writes it; simplejwt writes the user's
    /// primary key as it is, or as a string (newer versions), so both read.
    #[serde(deserialize_with = "number_or_string")]
    user_id: i64,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Id::deserialize(deserializer)? {
        Id::Number(id) => Ok(id),
        Id::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// An access token and a refresh token issued together.
#[derive(Clone, Debug)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// A user and the tokens just issued to them.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub tokens: TokenPair,
}

/// A verified access token: its user, and until when it is valid. A
/// socket outlives the check made when it opened, so it keeps the second
/// half and ends its session then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub user: UserId,
    /// The first moment `verify_access` refuses the token (`exp` plus the
    /// leeway every check allows for clocks of other nodes).
    pub valid_until: SystemTime,
}

/// Signing and verification keys, built once from configuration.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose().as_bytes();
        // Pinning the algorithm list to HS256 is what refuses `none` and
        // every foreign algorithm, whatever the token's header claims.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp"]);
        // Only when present: simplejwt and chatstream write none.
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: config.access_ttl,
            refresh_ttl: config.refresh_ttl,
        }
    }

    /// Verifies an access token and returns its user.
    pub fn verify_access(&self, token: &str) -> Result<UserId> {
        self.verify_access_until(token).map(|access| access.user)
    }

    /// Verifies an access token and says until when it stays valid.
    pub fn verify_access_until(&self, token: &str) -> Result<Access> {
        let claims = self.verify(token, TokenType::Access)?;
        // `exp` is required and validated, so it is not before the epoch
        // minus the leeway; a negative one would have been refused.
        let until = u64::try_from(claims.exp).unwrap_or(0) + self.validation.leeway;
        Ok(Access {
            user: UserId(claims.user_id),
            valid_until: UNIX_EPOCH + Duration::from_secs(until),
        })
    }

    /// An access token without touching the database (benchmarks).
    #[doc(hidden)]
    pub fn issue_access_for_bench(&self, user: UserId) -> Result<String> {
        self.sign(
            user,
            TokenType::Access,
            Uuid::new_v4(),
            Self::expiry(self.access_ttl),
        )
    }

    fn verify(&self, token: &str, expected: TokenType) -> Result<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &self.validation)
            .map_err(|_| Error::Unauthenticated(NoCredentials::InvalidToken))?;
        if data.claims.token_type != expected {
            return Err(Error::Unauthenticated(NoCredentials::WrongTokenType));
        }
        Ok(data.claims)
    }

    fn sign(&self, user: UserId, kind: TokenType, jti: Uuid, exp: DateTime<Utc>) -> Result<String> {
        let claims = Claims {
            token_type: kind,
            exp: exp.timestamp(),
            iat: Utc::now().timestamp(),
            jti: jti.simple().to_string(),
            user_id: user.0,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(e.into()))
    }

    fn expiry(ttl: Duration) -> DateTime<Utc> {
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(7));
        Utc::now() + ttl
    }
}

/// Issues a new access + refresh pair and records the refresh token.
pub async fn issue(db: &impl ConnectionTrait, keys: &TokenKeys, user: UserId) -> Result<TokenPair> {
    let access = keys.sign(
        user,
        TokenType::Access,
        Uuid::new_v4(),
        TokenKeys::expiry(keys.access_ttl),
    )?;
    let jti = Uuid::new_v4();
    let expires_at = TokenKeys::expiry(keys.refresh_ttl);
    let refresh = keys.sign(user, TokenType::Refresh, jti, expires_at)?;
    store::tokens::insert(db, jti, user, expires_at).await?;
    Ok(TokenPair { access, refresh })
}

/// Exchanges a refresh token for a new pair; the old one is spent, and
/// presenting it again is refused.
pub async fn rotate(db: &DatabaseConnection, keys: &TokenKeys, refresh: &str) -> Result<Session> {
    let claims = keys.verify(refresh, TokenType::Refresh)?;
    let jti = Uuid::parse_str(&claims.jti)
        .map_err(|_| Error::Unauthenticated(NoCredentials::SpentToken))?;
    let user = UserId(claims.user_id);
    let now = Utc::now();
    let txn = db.begin().await?;
    let user = match store::users::find_by_id(&txn, user).await? {
        Some(model) if model.is_active => User::from(model),
        _ => return Err(Error::Unauthenticated(NoCredentials::InactiveUser)),
    };
    // A validly signed token with no record was issued by django-chat
    // (same secret, during a cutover): its first use records it as spent.
    let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
    let spent = store::tokens::spend(&txn, jti, now).await?
        || store::tokens::spend_unrecorded(&txn, jti, user.id, expires_at, now).await?;
    if !spent {
        return Err(Error::Unauthenticated(NoCredentials::SpentToken));
    }
    let tokens = issue(&txn, keys, user.id).await?;
    txn.commit().await?;
    Ok(Session { user, tokens })
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_take_bearer_in_any_case_or_a_bare_token() {
        use super::Credentials::{self, *};
        let cases = [
            (None, Missing),
            (Some("  "), Missing),
            (Some("Bearer abc"), Token("abc")),
            (Some("bearer abc"), Token("abc")),
            (Some("BEARER \t abc "), Token("abc")),
            (Some("abc"), Token("abc")),
            (Some("Basic abc"), Malformed),
            (Some("Bearer"), Token("Bearer")),
            (Some("Bearer a b"), Malformed),
        ];
        for (value, expected) in cases {
            assert_eq!(Credentials::parse(value), expected, "{value:?}");
        }
    }

    use super::*;
    use crate::config::Secret;

    fn keys() -> TokenKeys {
        TokenKeys::new(&JwtConfig {
            secret: Secret::new("0123456789abcdef0123456789abcdef"),
            access_ttl: Duration::from_secs(60),
            refresh_ttl: Duration::from_secs(600),
        })
    }

    #[test]
    fn access_tokens_round_trip_and_types_are_checked() {
        let keys = keys();
        let exp = TokenKeys::expiry(keys.access_ttl);
        let access = keys
            .sign(UserId(7), TokenType::Access, Uuid::new_v4(), exp)
            .expect("sign");
        assert_eq!(keys.verify_access(&access).ok(), Some(UserId(7)));
        let refresh = keys
            .sign(UserId(7), TokenType::Refresh, Uuid::new_v4(), exp)
            .expect("sign");
        assert!(keys.verify_access(&refresh).is_err());
    }

    #[test]
    fn simplejwt_user_ids_read_as_numbers_or_strings() {
        let keys = keys();
        let exp = TokenKeys::expiry(keys.access_ttl).timestamp();
        for user_id in [serde_json::json!(42), serde_json::json!("42")] {
            let claims = serde_json::json!({
                "token_type": "access",
                "exp": exp,
                "iat": exp - 60,
                "jti": Uuid::new_v4().simple().to_string(),
                "user_id": user_id,
            });
            let token = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
            )
            .expect("sign");
            assert_eq!(
                keys.verify_access(&token).ok(),
                Some(UserId(42)),
                "{claims}"
            );
        }
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let keys = keys();
        let past = Utc::now() - chrono::Duration::minutes(5);
        let expired = keys
            .sign(UserId(1), TokenType::Access, Uuid::new_v4(), past)
            .expect("sign");
        assert!(keys.verify_access(&expired).is_err());

        let other = TokenKeys::new(&JwtConfig {
            secret: Secret::new("another-secret-another-secret-xx"),
            access_ttl: Duration::from_secs(60),
            refresh_ttl: Duration::from_secs(60),
        });
        let forged = other
            .sign(
                UserId(1),
                TokenType::Access,
                Uuid::new_v4(),
                TokenKeys::expiry(keys.access_ttl),
            )
            .expect("sign");
        assert!(keys.verify_access(&forged).is_err());
    }

    #[test]
    fn access_tokens_say_until_when_they_are_valid_and_nbf_is_checked() {
        let keys = keys();
        let exp = TokenKeys::expiry(keys.access_ttl);
        let access = keys
            .sign(UserId(3), TokenType::Access, Uuid::new_v4(), exp)
            .expect("sign");
        let until = keys.verify_access_until(&access).expect("valid");
        let exp_secs = u64::try_from(exp.timestamp()).expect("after the epoch");
        assert_eq!(
            until.valid_until,
            UNIX_EPOCH + Duration::from_secs(exp_secs + LEEWAY_SECS)
        );
        let now = Utc::now().timestamp();
        let with_nbf = |nbf: i64| {
            let claims = serde_json::json!({
                "token_type": "access",
                "exp": now + 600,
                "iat": now,
                "nbf": nbf,
                "jti": Uuid::new_v4().simple().to_string(),
                "user_id": 3,
            });
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
                .expect("sign")
        };
        assert!(
            keys.verify_access(&with_nbf(now - 60)).is_ok(),
            "nbf passed"
        );
        assert!(
            keys.verify_access(&with_nbf(now + 600)).is_err(),
            "not valid before nbf"
        );
    }
}
