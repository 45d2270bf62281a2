//! The Redis rate limiter: each key's window as a sorted set of instants,
//! read and updated in one atomic script, so every node shares one count.

use crate::backends::redis_conn::RedisConn;
use async_trait::async_trait;
use redis::Script;

use super::{Decision, LimitKey, LimitRule, RateLimiter, Step};
use crate::{backends::redis_keys::RedisKeys, error::StorageBackend};

/// KEYS[1] the window; ARGV step (`acquire` | `peek` | `record` | `undo`),
/// limit, window ms, memory ms (how long counts are kept), back-off (`1`
/// or `0`), how many to count, a random nonce. Returns 0 when allowed (and
/// counted, for `acquire` and `record`), else the milliseconds to wait:
/// the arithmetic of `rate_limit::wait_for`. The server's clock is used,
/// so nodes with skewed clocks still agree.
const SLIDING_WINDOW: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local step = ARGV[1]
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local memory = tonumber(ARGV[4])
local backoff = ARGV[5] == '1'
local n = tonumber(ARGV[6])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - memory)
if step == 'undo' then
  redis.call('ZPOPMAX', key)
  return 0
end
local wait = 0
if step ~= 'record' then
  local recent = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES')
  local count = #recent / 2
  local excess = count + n - limit
  if excess > count then
    wait = window
  elseif excess > 0 then
    wait = tonumber(recent[excess * 2]) + window - now
  end
  local total = redis.call('ZCARD', key)
  if backoff and total > limit then
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    local lock = math.min(window * 2 ^ math.min(total - limit - 1, 16), memory)
    local until_newest = math.floor(tonumber(newest[2]) + lock - now)
    if until_newest > wait then
      wait = until_newest
    end
  end
  if wait > 0 or step == 'peek' then
    return wait
  end
end
for i = 1, n do
  redis.call('ZADD', key, now, time[1] .. '.' .. time[2] .. '-' .. ARGV[7] .. '-' .. i)
end
redis.call('PEXPIRE', key, memory)
return 0
";

/// A [`RateLimiter`] shared by every node through Redis.
pub struct RedisLimiter {
    manager: RedisConn,
    keys: RedisKeys,
    script: Script,
}

impl RedisLimiter {
    pub fn new(manager: RedisConn, keys: RedisKeys) -> Self {
        Self {
            manager,
            keys,
            script: Script::new(SLIDING_WINDOW),
        }
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn apply(&self, key: &LimitKey, rule: LimitRule, step: Step) -> Decision {
        let (name, n) = match step {
            Step::Acquire(n) => ("acquire", n),
            Step::Peek => ("peek", 1),
            Step::Record => ("record", 1),
            Step::Undo => ("undo", 0),
        };
        let result: redis::RedisResult<i64> = self
            .script
            .key(self.keys.limit(key))
            .arg(name)
            .arg(rule.limit)
            .arg(millis(rule.window))
            .arg(millis(rule.memory()))
            .arg(if rule.backoff { "1" } else { "0" })
            .arg(n)
            // Two counts in the same microsecond from different nodes still
            // need distinct set members.
            .arg(rand::random::<u64>())
            .invoke_async(&mut self.manager.clone())
            .await;
        match result {
            Ok(wait_ms) => decision(wait_ms),
            // Failing open, as django-chat does: an outage of the limiter
            // should not stop conversations (nor logins). The error is
            // still visible.
            Err(err) => {
                StorageBackend::Redis.count_failure();
                tracing::warn!(error = %err, limit = ?key, "rate limiter unavailable; allowing");
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
    use crate::model::{ConversationId, UserId};

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
        let rule = LimitRule {
            limit: 3,
            window: Duration::from_secs(30),
            backoff: false,
        };
        let limiter = RedisLimiter::new(manager.clone(), keys.clone());
        let room = ConversationId(Uuid::new_v4());
        let (key, other) = (
            LimitKey::Send(UserId(1), room),
            LimitKey::Send(UserId(2), room),
        );
        for _ in 0..3 {
            let allowed = limiter.apply(&key, rule, Step::Acquire(1)).await;
            assert_eq!(allowed, Decision::Allowed);
        }
        for _ in 0..3 {
            match limiter.apply(&key, rule, Step::Acquire(1)).await {
                Decision::Throttled { retry_after } => assert!((1..=30).contains(&retry_after)),
                Decision::Allowed => panic!("fourth send within the window was allowed"),
            }
        }
        assert_eq!(
            limiter.apply(&other, rule, Step::Acquire(1)).await,
            Decision::Allowed
        );
        // Throttled attempts were not counted.
        let count = |manager: &mut RedisConn, key: &LimitKey| {
            let name = keys.limit(key);
            let mut manager = manager.clone();
            async move {
                redis::cmd("ZCARD")
                    .arg(name)
                    .query_async::<u64>(&mut manager)
                    .await
                    .expect("zcard")
            }
        };
        assert_eq!(count(&mut manager, &key).await, 3);
        // Undo takes one back; a weighted acquire needs room for all.
        limiter.apply(&key, rule, Step::Undo).await;
        assert_eq!(count(&mut manager, &key).await, 2);
        assert!(matches!(
            limiter.apply(&key, rule, Step::Acquire(2)).await,
            Decision::Throttled { .. }
        ));
        assert_eq!(
            limiter.apply(&key, rule, Step::Peek).await,
            Decision::Allowed
        );
        limiter.apply(&key, rule, Step::Record).await;
        assert_eq!(count(&mut manager, &key).await, 3);
        // Back-off: past the limit, the newest count locks a whole window.
        let backoff = LimitRule {
            backoff: true,
            ..rule
        };
        let failures = LimitKey::LoginFailures(super::super::Account::new("a@example.com"));
        for _ in 0..4 {
            limiter.apply(&failures, backoff, Step::Record).await;
        }
        match limiter.apply(&failures, backoff, Step::Peek).await {
            Decision::Throttled { retry_after } => assert!((29..=30).contains(&retry_after)),
            Decision::Allowed => panic!("past the limit with back-off was allowed"),
        }
        let _: i64 = redis::cmd("DEL")
            .arg(keys.limit(&key))
            .arg(keys.limit(&other))
            .arg(keys.limit(&failures))
            .query_async(&mut manager)
            .await
            .expect("cleanup");
    }
}
