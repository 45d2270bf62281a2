//! Reading one variable each: trimmed, parsed, and when it is bad, an error
//! that names the variable, what it holds and what was expected.

use std::{collections::HashMap, fmt, time::Duration};

use super::{
    AppEnv, ConfigError, DEV_JWT_SECRET, EmailVisibility, HashingLimits, JwtConfig, LogFormat,
    RateLimitConfig, Secret, TrustedProxies,
};

/// The environment as read at start.
pub(super) struct Vars(pub HashMap<String, String>);

impl Vars {
    pub(super) fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).map(|v| v.trim().to_owned())
    }

    pub(super) fn parse<T: std::str::FromStr>(
        &self,
        key: &'static str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError {
                variable: key,
                reason: format!("{e} (got {raw:?})"),
            }),
        }
    }

    pub(super) fn app_env(&self) -> Result<AppEnv, ConfigError> {
        match self.get("APP_ENV") {
            None => Ok(AppEnv::Development),
            Some(value) => match value.to_ascii_lowercase().as_str() {
                "development" | "dev" | "test" => Ok(AppEnv::Development),
                "production" | "prod" => Ok(AppEnv::Production),
                _ => Err(self.invalid(
                    "APP_ENV",
                    &value,
                    "development (or dev, test) | production (or prod), in any case",
                )),
            },
        }
    }

    /// The signing secret (required, and long, in production) and lifetimes.
    pub(super) fn jwt(&self, app_env: AppEnv) -> Result<JwtConfig, ConfigError> {
        let refuse = |reason: &str| ConfigError {
            variable: "JWT_SECRET",
            reason: reason.into(),
        };
        let secret = match (self.get("JWT_SECRET"), app_env) {
            (Some(s), AppEnv::Production) if s.len() < 32 => {
                return Err(refuse("must be at least 32 bytes in production"));
            }
            (Some(s), _) if s.is_empty() => return Err(refuse("must not be empty")),
            (Some(s), _) => s,
            (None, AppEnv::Production) => {
                return Err(refuse("is required when APP_ENV=production"));
            }
            (None, AppEnv::Development) => DEV_JWT_SECRET.to_owned(),
        };
        let access_minutes: u64 = self.positive("JWT_ACCESS_TTL_MINUTES", 60)?;
        // Seconds, when a lifetime shorter than a minute is wanted (tests of
        // sockets outliving their token, or very short-lived deployments).
        let access_secs = match self.get("JWT_ACCESS_TTL_SECS") {
            None => access_minutes * 60,
            Some(_) => self.positive("JWT_ACCESS_TTL_SECS", 60)?,
        };
        let refresh_days: u64 = self.positive("JWT_REFRESH_TTL_DAYS", 7)?;
        Ok(JwtConfig {
            secret: Secret::new(secret),
            access_ttl: Duration::from_secs(access_secs),
            refresh_ttl: Duration::from_secs(refresh_days * 24 * 3600),
        })
    }

    pub(super) fn rate_limit(&self) -> Result<RateLimitConfig, ConfigError> {
        Ok(RateLimitConfig {
            messages: self.positive("RATE_LIMIT_MESSAGES", 10)?,
            window: Duration::from_secs(self.positive("RATE_LIMIT_WINDOW_SECS", 60)?),
        })
    }

    pub(super) fn trusted_proxies(&self) -> Result<TrustedProxies, ConfigError> {
        let raw = self.get("TRUSTED_PROXIES").unwrap_or_default();
        TrustedProxies::parse(&raw).map_err(|bad| {
            self.invalid(
                "TRUSTED_PROXIES",
                &bad,
                "a comma-separated list of IP addresses or CIDR ranges",
            )
        })
    }

    /// Argon2 is CPU-bound: a few hashes per core keep every core busy
    /// without queueing the whole blocking pool behind a flood.
    pub(super) fn password_hashing(&self) -> Result<HashingLimits, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(HashingLimits {
            concurrency: self.positive("PASSWORD_HASH_CONCURRENCY", cores * 2)?,
            queue_wait: Duration::from_millis(self.parse("PASSWORD_HASH_QUEUE_MS", 2000)?),
        })
    }

    pub(super) fn email_visibility(&self) -> Result<EmailVisibility, ConfigError> {
        match self.get("EMAIL_VISIBILITY").as_deref() {
            None | Some("participants") => Ok(EmailVisibility::Participants),
            Some("self") => Ok(EmailVisibility::OwnOnly),
            Some(other) => Err(self.invalid("EMAIL_VISIBILITY", other, "participants|self")),
        }
    }

    pub(super) fn logging(&self) -> Result<(LogFormat, String), ConfigError> {
        let format = match self.get("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => return Err(self.invalid("LOG_FORMAT", other, "json|pretty")),
        };
        let filter = self.get("RUST_LOG").unwrap_or_else(|| "info".to_owned());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&filter) {
            return Err(ConfigError {
                variable: "RUST_LOG",
                reason: e.to_string(),
            });
        }
        Ok((format, filter))
    }

    pub(super) fn database_url(&self) -> Result<String, ConfigError> {
        let url = self
            .get("DATABASE_URL")
            .unwrap_or_else(|| "sqlite://chatstream.db?mode=rwc".to_owned());
        if ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            Ok(url)
        } else {
            Err(ConfigError {
                variable: "DATABASE_URL",
                reason: "must start with sqlite:, postgres:// or postgresql://".into(),
            })
        }
    }

    pub(super) fn redis_url(&self) -> Result<Option<String>, ConfigError> {
        match self.get("REDIS_URL").filter(|s| !s.is_empty()) {
            Some(url)
                if !["redis://", "rediss://", "redis+cluster://"]
                    .iter()
                    .any(|scheme| url.starts_with(scheme)) =>
            {
                Err(ConfigError {
                    variable: "REDIS_URL",
                    reason: "must start with redis://, rediss:// or redis+cluster://".into(),
                })
            }
            url => Ok(url),
        }
    }

    /// A number that must not be zero.
    pub(super) fn positive<T>(&self, variable: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr<Err: fmt::Display> + PartialEq + Default,
    {
        let value = self.parse(variable, default)?;
        if value == T::default() {
            return Err(ConfigError {
                variable,
                reason: "must be greater than zero".into(),
            });
        }
        Ok(value)
    }

    /// `STREAM_HOT_MESSAGES`, or `None` (no archive) when `STREAM_MAXLEN`
    /// is set: trimming that loses history and an archive that keeps it
    /// cannot both govern a stream, so setting both is refused.
    pub(super) fn stream_hot_messages(&self) -> Result<Option<u64>, ConfigError> {
        match (self.get("STREAM_HOT_MESSAGES"), self.get("STREAM_MAXLEN")) {
            (Some(_), Some(_)) => Err(ConfigError {
                variable: "STREAM_HOT_MESSAGES",
                reason: "cannot be set together with STREAM_MAXLEN (which trims without \
                         archiving); unset one of them"
                    .into(),
            }),
            (_, Some(_)) => Ok(None),
            (_, None) => self.positive("STREAM_HOT_MESSAGES", 10_000).map(Some),
        }
    }

    pub(super) fn invalid(&self, variable: &'static str, got: &str, expected: &str) -> ConfigError {
        ConfigError {
            variable,
            reason: format!("expected {expected}, got {got:?}"),
        }
    }
}
