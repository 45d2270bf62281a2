//! The Redis rate limiter: the sliding window as a sorted set per user and
//! conversation, checked and updated in one atomic script, so every node
//! shares one count.

use async_trait::async_trait;
use redis::{Script, aio::ConnectionManager};

use super::{Decision, RateLimiter};
use crate::{
    backends::redis_keys::RedisKeys,
    config::RateLimitConfig,
    domain::{ConversationId, UserId},
    error::StorageBackend,
};

/// KEYS[1] the window; ARGV limit, window in ms, a random nonce.
/// Returns 0 when the send is allowed (and counted), else the milliseconds
/// until the oldest send leaves the window. The server's clock is used, so
/// nodes with skewed clocks still agree.
const SLIDING_WINDOW: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, time[1] .. '.' .. time[2] .. '-' .. ARGV[3])
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
if oldest[2] == nil then
  return window
end
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then
  return 1
end
return wait
";

/// A [`RateLimiter`] shared by every node through Redis.
pub struct RedisLimiter {
    manager: ConnectionManager,
    keys: RedisKeys,
    limit: RateLimitConfig,
    script: Script,
    searches: bool,
}

impl RedisLimiter {
    /// At most `limit.messages` sends per `limit.window`, counted in Redis.
    pub fn new(manager: ConnectionManager, keys: RedisKeys, limit: RateLimitConfig) -> Self {
        Self {
            manager,
            keys,
            limit,
            script: Script::new(SLIDING_WINDOW),
            searches: false,
        }
    }

    /// People searches: per user alone, so the conversation is ignored.
    pub fn for_searches(
        manager: ConnectionManager,
        keys: RedisKeys,
        limit: RateLimitConfig,
    ) -> Self {
        Self {
            searches: true,
            ..Self::new(manager, keys, limit)
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, user: UserId, conversation: ConversationId) -> Decision {
        let window_ms = u64::try_from(self.limit.window.as_millis()).unwrap_or(u64::MAX);
        let result: redis::RedisResult<i64> = self
            .script
            .key(if self.searches {
                self.keys.search_rate_limit(user)
            } else {
                self.keys.rate_limit(user, conversation)
            })
            .arg(self.limit.messages)
            .arg(window_ms)
            // Two sends in the same microsecond from different nodes still
            // need distinct set members.
            .arg(rand::random::<u64>())
            .invoke_async(&mut self.manager.clone())
            .await;
        match result {
            Ok(wait_ms) => decision(wait_ms),
            // Failing open, as django-chat does: an outage of the limiter
            // should not stop conversations. The error is still visible.
            Err(err) => {
                StorageBackend::Redis.count_failure();
                tracing::warn!(
                    error = %err,
                    user.id = %user,
                    conversation.id = %conversation,
                    "rate limiter unavailable; allowing the send"
                );
                Decision::Allowed
            }
        }
    }
}

/// The script's answer as a decision: whole seconds rounded up, at least 1.
fn decision(wait_ms: i64) -> Decision {
    match u64::try_from(wait_ms) {
        Ok(0) | Err(_) => Decision::Allowed,
        Ok(ms) => Decision::Throttled {
            retry_after: ms.div_ceil(1000).max(1),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use uuid::Uuid;

    use super::*;

    #[test]
    fn waits_become_whole_seconds_rounded_up() {
        assert_eq!(decision(0), Decision::Allowed);
        assert_eq!(decision(1), Decision::Throttled { retry_after: 1 });
        assert_eq!(decision(1_000), Decision::Throttled { retry_after: 1 });
        assert_eq!(decision(1_001), Decision::Throttled { retry_after: 2 });
        assert_eq!(decision(59_999), Decision::Throttled { retry_after: 60 });
    }

    /// Runs against the server in `TEST_REDIS_URL`; skipped when unset.
    #[tokio::test]
    async fn limits_through_a_real_server() {
        let Some((mut manager, keys)) = crate::backends::redis_keys::test_server().await else {
            return;
        };
        let limit = RateLimitConfig {
            messages: 3,
            window: Duration::from_secs(30),
        };
        let limiter = RedisLimiter::new(manager.clone(), keys.clone(), limit);
        let (user, room) = (UserId(1), ConversationId(Uuid::new_v4()));
        for _ in 0..3 {
            assert_eq!(limiter.check(user, room).await, Decision::Allowed);
        }
        for _ in 0..3 {
            match limiter.check(user, room).await {
                Decision::Throttled { retry_after } => assert!((1..=30).contains(&retry_after)),
                Decision::Allowed => panic!("fourth send within the window was allowed"),
            }
        }
        assert_eq!(limiter.check(UserId(2), room).await, Decision::Allowed);
        // Throttled attempts were not counted.
        let counted: u64 = redis::cmd("ZCARD")
            .arg(keys.rate_limit(user, room))
            .query_async(&mut manager)
            .await
            .expect("zcard");
        assert_eq!(counted, 3);
        let _: i64 = redis::cmd("DEL")
            .arg(keys.rate_limit(user, room))
            .arg(keys.rate_limit(UserId(2), room))
            .query_async(&mut manager)
            .await
            .expect("cleanup");
    }
}
