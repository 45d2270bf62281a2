//! Configuration: read once from the environment (and `.env`), validated at
//! start. The only place that reads environment variables.

mod proxies;
mod vars;

use std::{collections::HashMap, fmt, net::SocketAddr, time::Duration};

pub use proxies::TrustedProxies;

use vars::Vars;

/// Whether the server runs in production (strict secrets) or development.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A secret value; it has no `Debug` or `Display` so it cannot reach a log line.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret, in time that does not depend on
    /// where they differ (only the length can be learnt by timing).
    pub fn matches(&self, candidate: &str) -> bool {
        let (secret, candidate) = (self.0.as_bytes(), candidate.as_bytes());
        secret.len() == candidate.len()
            && secret
                .iter()
                .zip(candidate)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

/// Token settings.
#[derive(Clone)]
pub struct JwtConfig {
    pub secret: Secret,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

/// Per user and conversation: at most `messages` sends per `window`.
#[derive(Clone, Copy, Debug)]
pub struct RateLimitConfig {
    pub messages: u32,
    pub window: Duration,
}

/// Everything the server needs, validated.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: SQLite (embedded) or PostgreSQL.
    pub database_url: Secret,
    /// `REDIS_URL`: unset means the embedded message log and rate limiter.
    pub redis_url: Option<Secret>,
    /// `REDIS_KEY_PREFIX`: prepended to every Redis key (default empty, which
    /// keeps django-chat's key names); lets several deployments or test runs
    /// share one Redis.
    pub redis_key_prefix: String,
    pub bind_addr: SocketAddr,
    pub app_env: AppEnv,
    pub jwt: JwtConfig,
    pub rate_limit: RateLimitConfig,
    /// `ALLOWED_ORIGINS`: browser origins allowed for CORS and WebSocket upgrades.
    pub allowed_origins: Vec<String>,
    pub log_format: LogFormat,
    /// `STREAM_MAXLEN`: approximate cap per conversation stream, trimming
    /// without archiving (history beyond it is lost); unset: no such cap.
    pub stream_maxlen: Option<u64>,
    /// `STREAM_HOT_MESSAGES` (default 10,000): in Redis mode, entries each
    /// stream keeps; older ones are archived to the database and read
    /// from there. `None` when `STREAM_MAXLEN` is set instead (the two
    /// are exclusive).
    pub stream_hot_messages: Option<u64>,
    /// `STREAM_ARCHIVE_MIN_AGE_SECS` (default 30): entries younger than
    /// this are never archived, whatever the hot limit (a margin for the
    /// stream readers, which read the stream itself).
    pub stream_archive_min_age: Duration,
    /// `GRAPHQL_WS_INIT_TIMEOUT_SECS`: how long a graphql-ws client may wait
    /// before `connection_init`.
    pub graphql_ws_init_timeout: Duration,
    /// `WS_KEEPALIVE_SECS`: ping interval on idle WebSocket connections.
    pub ws_keepalive: Duration,
    /// `SLOW_CONSUMER_LAG`: how many messages a subscriber may fall behind the
    /// live tail before its connection is closed with 4008.
    pub slow_consumer_lag: u64,
    /// `RUST_LOG`: the log filter (default `info`).
    pub log_filter: String,
    /// `LIVE_BUFFER`: messages buffered per conversation for live subscribers
    /// before a slow one lags and resumes from the log.
    pub live_buffer: usize,
    /// `STREAM_READERS`: Redis connections per node that block on XREAD for
    /// live messages (conversations are sharded across them). Ignored on a
    /// Redis Cluster, where each node runs one reader per partition.
    pub stream_readers: usize,
    /// `MAX_BODY_BYTES`: request body limit for REST and GraphQL.
    pub max_body_bytes: usize,
    /// `METRICS_TOKEN`: when set, `GET /metrics` requires
    /// `Authorization: Bearer <token>`; unset leaves it open.
    pub metrics_token: Option<Secret>,
    /// `MAX_CONNECTIONS` and `HTTP_HEADER_TIMEOUT_SECS`: the accept loop's limits.
    pub connections: ConnectionLimits,
    /// `GRAPHQL_INTROSPECTION`: whether `__schema`/`__type` and the GraphiQL
    /// page are served; on by default in development, off in production.
    pub graphql_introspection: bool,
    /// The limits on logins, signups and membership changes.
    pub limits: AccountLimits,
    /// `TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// `PASSWORD_HASH_CONCURRENCY` and `PASSWORD_HASH_QUEUE_MS`.
    pub password_hashing: HashingLimits,
    /// `EMAIL_VISIBILITY`: whose emails a user sees.
    pub email_visibility: EmailVisibility,
    /// `MAX_SOCKETS_PER_USER` and the subscription size caps.
    pub sockets: SocketLimits,
    /// `MEMBERSHIP_CACHE_SECS` and `MEMBERSHIP_CACHE_ENTRIES`: how long and
    /// how many memberships a node remembers (zero turns the cache off).
    pub membership_cache: (Duration, usize),
}

/// Limits on the account and membership surfaces (see README "Limits and abuse").
#[derive(Clone, Copy, Debug)]
pub struct AccountLimits {
    /// `LOGIN_FAILURE_LIMIT`: failed logins per account per 15 minutes
    /// before the account is locked for addresses that have failed on it.
    pub login_failures: u32,
    /// `AUTH_ADDRESS_LIMIT`: signups plus failed logins per client address
    /// per minute; 0 turns the limit off.
    pub auth_address: u32,
    /// `MEMBERSHIP_CHANGES_PER_HOUR`: conversations created plus users
    /// added, per user.
    pub membership_changes_per_hour: u32,
}

/// How many argon2 hashes one node runs at once, and how long a request
/// waits for a turn before it is refused with 503.
#[derive(Clone, Copy, Debug)]
pub struct HashingLimits {
    pub concurrency: usize,
    pub queue_wait: Duration,
}

/// Whose email addresses a user is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailVisibility {
    /// Co-participants see each other's (django-chat's behaviour).
    Participants,
    /// Only one's own, and the address one searched for exactly.
    OwnOnly,
}

/// What one user, and one socket, may hold open.
#[derive(Clone, Copy, Debug)]
pub struct SocketLimits {
    /// `MAX_SOCKETS_PER_USER`: authenticated WebSockets one user may hold
    /// open, both protocols, every node.
    pub per_user: u32,
    /// `MAX_SUBSCRIPTION_BYTES`: the largest operation a graphql-ws client
    /// may start (query, variables and operation name).
    pub operation_bytes: usize,
    /// `MAX_SUBSCRIPTION_BYTES_PER_SOCKET`: what the operations running on
    /// one graphql-ws socket may add up to.
    pub socket_bytes: usize,
    /// `SOCKET_TTL_SECS` (Redis mode): how long a socket counts, toward the
    /// cap and presence, without its node's heartbeat. A node that dies
    /// without closing its sockets has its users offline within 1.25× it.
    pub ttl: Duration,
}

/// The limits of the accept loop (`http::serve`).
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// `MAX_CONNECTIONS`: open connections on this node, WebSockets included.
    pub max_connections: usize,
    /// `HTTP_HEADER_TIMEOUT_SECS`: time to send a request head, on a new
    /// connection and between keep-alive requests.
    pub header_timeout: Duration,
}

/// A configuration error names the variable and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

const DEV_JWT_SECRET: &str = "chatstream-development-secret-do-not-use-in-production";

impl Config {
    /// Loads `.env` when present, then reads the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => {
                return Err(ConfigError {
                    variable: ".env",
                    reason: e.to_string(),
                });
            }
        }
        Self::from_vars(std::env::vars().collect())
    }

    /// Builds the configuration from a map of variables (the environment, or
    /// a test's own values).
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Self, ConfigError> {
        let env = Vars(vars);
        let app_env = env.app_env()?;
        let (log_format, log_filter) = env.logging()?;
        Ok(Self {
            database_url: Secret::new(env.database_url()?),
            redis_url: env.redis_url()?.map(Secret::new),
            redis_key_prefix: env.get("REDIS_KEY_PREFIX").unwrap_or_default(),
            bind_addr: env.parse("BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 8000)))?,
            app_env,
            jwt: env.jwt(app_env)?,
            rate_limit: env.rate_limit()?,
            allowed_origins: env
                .get("ALLOWED_ORIGINS")
                .map(|list| {
                    list.split(',')
                        .map(|s| s.trim().trim_end_matches('/').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            log_format,
            log_filter,
            stream_maxlen: match env.get("STREAM_MAXLEN") {
                None => None,
                Some(_) => Some(env.parse::<u64>("STREAM_MAXLEN", 0)?),
            },
            stream_hot_messages: env.stream_hot_messages()?,
            stream_archive_min_age: Duration::from_secs(
                env.parse("STREAM_ARCHIVE_MIN_AGE_SECS", 30)?,
            ),
            graphql_ws_init_timeout: Duration::from_secs(
                env.parse("GRAPHQL_WS_INIT_TIMEOUT_SECS", 10)?,
            ),
            ws_keepalive: Duration::from_secs(env.parse("WS_KEEPALIVE_SECS", 15)?),
            slow_consumer_lag: env.parse("SLOW_CONSUMER_LAG", 100_000)?,
            max_body_bytes: env.parse("MAX_BODY_BYTES", 256 * 1024)?,
            live_buffer: env.parse("LIVE_BUFFER", 1024)?,
            stream_readers: env.parse::<usize>("STREAM_READERS", 2)?.clamp(1, 64),
            metrics_token: env
                .get("METRICS_TOKEN")
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            connections: ConnectionLimits {
                max_connections: env.positive("MAX_CONNECTIONS", 200_000)?,
                header_timeout: Duration::from_secs(env.positive("HTTP_HEADER_TIMEOUT_SECS", 10)?),
            },
            graphql_introspection: env
                .parse("GRAPHQL_INTROSPECTION", app_env == AppEnv::Development)?,
            limits: AccountLimits {
                login_failures: env.positive("LOGIN_FAILURE_LIMIT", 10)?,
                auth_address: env.parse("AUTH_ADDRESS_LIMIT", 30)?,
                membership_changes_per_hour: env.positive("MEMBERSHIP_CHANGES_PER_HOUR", 100)?,
            },
            trusted_proxies: env.trusted_proxies()?,
            password_hashing: env.password_hashing()?,
            email_visibility: env.email_visibility()?,
            sockets: SocketLimits {
                per_user: env.positive("MAX_SOCKETS_PER_USER", 20)?,
                operation_bytes: env.positive("MAX_SUBSCRIPTION_BYTES", 16 * 1024)?,
                socket_bytes: env.positive("MAX_SUBSCRIPTION_BYTES_PER_SOCKET", 256 * 1024)?,
                ttl: Duration::from_secs(env.positive::<u64>("SOCKET_TTL_SECS", 20)?),
            },
            membership_cache: (
                Duration::from_secs(env.parse("MEMBERSHIP_CACHE_SECS", 10)?),
                env.parse("MEMBERSHIP_CACHE_ENTRIES", 100_000)?,
            ),
        })
    }

    /// What is worth a warning at start: settings that are fine on a
    /// laptop and a risk in production.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.uses_dev_secret() {
            warnings.push(
                "JWT_SECRET is not set: using the development secret; never do this in production",
            );
        }
        if self.app_env == AppEnv::Production && self.metrics_token.is_none() {
            warnings.push("METRICS_TOKEN is not set: /metrics is open to anyone who can reach it");
        }
        warnings
    }

    /// True when the development JWT secret is in use (worth a warning).
    pub fn uses_dev_secret(&self) -> bool {
        self.jwt.secret.expose() == DEV_JWT_SECRET
    }

    /// The database kind, as named in `/healthz`.
    pub fn database_kind(&self) -> &'static str {
        if self.database_url.expose().starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs may carry passwords and the JWT secret is a secret: name only
        // the shape of the configuration.
        f.debug_struct("Config")
            .field("database", &self.database_kind())
            .field("redis", &self.redis_url.is_some())
            .field("bind_addr", &self.bind_addr)
            .field("app_env", &self.app_env)
            .field("rate_limit", &self.rate_limit)
            .field("allowed_origins", &self.allowed_origins)
            .field("log_format", &self.log_format)
            .field("stream_maxlen", &self.stream_maxlen)
            .field("stream_hot_messages", &self.stream_hot_messages)
            .field("stream_archive_min_age", &self.stream_archive_min_age)
            .field("metrics_token", &self.metrics_token.is_some())
            .field("connections", &self.connections)
            .field("graphql_introspection", &self.graphql_introspection)
            .field("limits", &self.limits)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("password_hashing", &self.password_hashing)
            .field("email_visibility", &self.email_visibility)
            .field("sockets", &self.sockets)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_embedded_on_localhost() {
        let config = Config::from_vars(HashMap::new()).expect("defaults are valid");
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(config.database_kind(), "sqlite");
        assert!(config.redis_url.is_none());
        assert!(config.uses_dev_secret());
        assert_eq!(config.rate_limit.messages, 10);
        assert_eq!(config.jwt.access_ttl, Duration::from_secs(3600));
    }

    #[test]
    fn socket_limits_and_a_token_lifetime_in_seconds() {
        let config = Config::from_vars(HashMap::new()).expect("defaults are valid");
        assert_eq!(config.sockets.per_user, 20);
        assert_eq!(config.sockets.operation_bytes, 16 * 1024);
        assert_eq!(config.sockets.socket_bytes, 256 * 1024);
        let config = Config::from_vars(vars(&[
            ("JWT_ACCESS_TTL_MINUTES", "5"),
            ("JWT_ACCESS_TTL_SECS", "2"),
        ]))
        .expect("valid");
        assert_eq!(config.jwt.access_ttl, Duration::from_secs(2), "seconds win");
        for variable in ["JWT_ACCESS_TTL_SECS", "MAX_SOCKETS_PER_USER"] {
            let err = Config::from_vars(vars(&[(variable, "0")])).err();
            assert_eq!(err.map(|e| e.variable), Some(variable));
        }
    }

    #[test]
    fn the_archive_is_on_unless_trimming_without_it_is_asked_for() {
        let config = Config::from_vars(HashMap::new()).expect("defaults are valid");
        assert_eq!(config.stream_hot_messages, Some(10_000));
        assert_eq!(config.stream_archive_min_age, Duration::from_secs(30));
        assert_eq!(config.stream_maxlen, None);
        let lossy = Config::from_vars(vars(&[("STREAM_MAXLEN", "5000")])).expect("valid");
        assert_eq!(
            (lossy.stream_maxlen, lossy.stream_hot_messages),
            (Some(5000), None)
        );
        let both = vars(&[("STREAM_MAXLEN", "5000"), ("STREAM_HOT_MESSAGES", "100")]);
        let err = Config::from_vars(both).err();
        assert_eq!(err.map(|e| e.variable), Some("STREAM_HOT_MESSAGES"));
        let err = Config::from_vars(vars(&[("STREAM_HOT_MESSAGES", "0")])).err();
        assert_eq!(err.map(|e| e.variable), Some("STREAM_HOT_MESSAGES"));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = Config::from_vars(vars(&[("RATE_LIMIT_MESSAGES", "ten")])).err();
        assert_eq!(err.map(|e| e.variable), Some("RATE_LIMIT_MESSAGES"));
        let err = Config::from_vars(vars(&[("BIND_ADDR", "nowhere")])).err();
        assert_eq!(err.map(|e| e.variable), Some("BIND_ADDR"));
        let err = Config::from_vars(vars(&[("LOG_FORMAT", "xml")])).err();
        assert_eq!(err.map(|e| e.variable), Some("LOG_FORMAT"));
    }

    #[test]
    fn account_limits_have_documented_defaults_and_named_errors() {
        let config = Config::from_vars(HashMap::new()).expect("defaults are valid");
        assert_eq!(config.limits.login_failures, 10);
        assert_eq!(config.limits.auth_address, 30);
        assert_eq!(config.limits.membership_changes_per_hour, 100);
        assert_eq!(config.email_visibility, EmailVisibility::Participants);
        assert!(config.trusted_proxies.is_empty());
        assert!(config.password_hashing.concurrency >= 2);
        assert_eq!(config.password_hashing.queue_wait, Duration::from_secs(2));
        let off = Config::from_vars(vars(&[("AUTH_ADDRESS_LIMIT", "0")])).expect("0 is valid");
        assert_eq!(off.limits.auth_address, 0);
        for (variable, value) in [
            ("EMAIL_VISIBILITY", "nobody"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, proxy.local"),
            ("LOGIN_FAILURE_LIMIT", "0"),
            ("MEMBERSHIP_CHANGES_PER_HOUR", "0"),
            ("PASSWORD_HASH_CONCURRENCY", "0"),
        ] {
            let err = Config::from_vars(vars(&[(variable, value)])).err();
            assert_eq!(err.map(|e| e.variable), Some(variable), "{value}");
        }
        let private = Config::from_vars(vars(&[("EMAIL_VISIBILITY", "self")])).expect("valid");
        assert_eq!(private.email_visibility, EmailVisibility::OwnOnly);
    }

    #[test]
    fn production_requires_a_long_secret() {
        for accepted in ["Production", "PROD", "Development", "dev", "test"] {
            assert!(
                Config::from_vars(vars(&[
                    ("APP_ENV", accepted),
                    ("JWT_SECRET", &"x".repeat(32))
                ]))
                .is_ok(),
                "{accepted}"
            );
        }
        let err = Config::from_vars(vars(&[("APP_ENV", "staging")])).err();
        assert!(err.is_some_and(|e| e.to_string().contains("production (or prod)")));
        let err = Config::from_vars(vars(&[("APP_ENV", "production")])).err();
        assert_eq!(err.map(|e| e.variable), Some("JWT_SECRET"));
        let err =
            Config::from_vars(vars(&[("APP_ENV", "production"), ("JWT_SECRET", "short")])).err();
        assert_eq!(err.map(|e| e.variable), Some("JWT_SECRET"));
        let long = "x".repeat(32);
        let ok = Config::from_vars(vars(&[("APP_ENV", "production"), ("JWT_SECRET", &long)]));
        assert!(ok.is_ok());
    }

    #[test]
    fn secrets_match_only_themselves() {
        let secret = Secret::new("s3cret-token");
        assert!(secret.matches("s3cret-token"));
        assert!(!secret.matches("s3cret-tokeN"));
        assert!(!secret.matches("s3cret"));
        assert!(!secret.matches(""));
    }

    #[test]
    fn production_turns_introspection_off_and_warns_about_open_metrics() {
        let dev = Config::from_vars(HashMap::new()).expect("valid");
        assert!(dev.graphql_introspection);
        let production = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("APP_ENV", "production"),
                ("JWT_SECRET", "a-production-secret-of-some-length-0123"),
            ];
            pairs.extend_from_slice(extra);
            Config::from_vars(vars(&pairs)).expect("valid")
        };
        let config = production(&[]);
        assert!(!config.graphql_introspection);
        assert_eq!(config.warnings().len(), 1, "{:?}", config.warnings());
        let config = production(&[("GRAPHQL_INTROSPECTION", "true"), ("METRICS_TOKEN", "t")]);
        assert!(config.graphql_introspection);
        assert!(config.warnings().is_empty());
    }
}
