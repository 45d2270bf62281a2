//! The Redis scripts behind the shared socket count and presence: each
//! change is one script, so two nodes cannot both take a user's last
//! place, and exactly one node learns that a user went offline.

/// KEYS[1] the user's set, KEYS[2] the online set; ARGV the cap, the
/// socket id, the TTL in ms, the user id. 0 when the user holds the cap
/// already, 1 when counted, 2 when counted as the user's first socket. The
/// server's clock scores every entry, so nodes with skewed clocks agree.
pub(super) const ACQUIRE: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
if open == 0 then return 2 end
return 1
";

/// KEYS[1] the user's set, KEYS[2] the online set; ARGV the socket id, the
/// user id. 1 when that was the user's last socket (they went offline).
pub(super) const RELEASE: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
";

/// KEYS[1] the online set, then the users' sets; ARGV[1] the TTL in ms,
/// then one socket id and its user's id per user set.
pub(super) const HEARTBEAT_SCRIPT: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[2 * i - 2])
  redis.call('PEXPIRE', KEYS[i], ttl)
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[2 * i - 1])
end
return 0
";

/// KEYS[1] the online set; ARGV[1] the prefix of the users' sets, ARGV[2]
/// how long the online set outlives the last node sweeping it, in ms.
/// Takes the users whose online score expired: each whose set holds no
/// live socket any more leaves the online set and is returned (to exactly
/// one caller); the others get their latest socket's score back.
pub(super) const SWEEP: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local gone = {}
for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 500)) do
  local key = ARGV[1] .. user
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local latest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if latest[2] then
    redis.call('ZADD', KEYS[1], latest[2], user)
  else
    redis.call('ZREM', KEYS[1], user)
    table.insert(gone, user)
  end
end
return gone
";

/// KEYS[1] the online set; ARGV user ids. 1 for each online user, else 0.
pub(super) const ONLINE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local online = {}
for i, score in ipairs(redis.call('ZMSCORE', KEYS[1], unpack(ARGV))) do
  if score and tonumber(score) > now then online[i] = 1 else online[i] = 0 end
end
return online
";
