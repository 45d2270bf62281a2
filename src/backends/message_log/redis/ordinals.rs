//! Ordinals on Redis: each message's place in its conversation, so unread
//! counts are subtractions. A Lua script numbers an entry as it adds it:
//! its ordinal is the stream's `entries-added` (Redis 7) after the `XADD`,
//! which also counts entries django-chat adds and entries trimmed since.
//! The number is stored in the entry as one more field, `ordinal`, beside
//! django-chat's; django-chat's readers ignore fields they do not know.
//!
//! Each function here is one round trip (`EVALSHA`; the first call on a
//! server that has not seen the script also loads it).

use std::{collections::HashMap, sync::LazyLock};

use crate::backends::redis_conn::RedisConn;
use redis::{RedisResult, Script, Value};

/// Lua: `next_id(keys)`, an id larger than the last id of each of these
/// streams and at least the server's clock, as `XADD *` would pick for one
/// stream. Messages and events of a conversation take their ids from it,
/// so one order covers both streams.
pub(super) const NEXT_ID: &str = r"
local function next_id(keys)
  local top_ms, top_seq = -1, -1
  for _, key in ipairs(keys) do
    if redis.call('EXISTS', key) == 1 then
      local info = redis.call('XINFO', 'STREAM', key)
      for i = 1, #info, 2 do
        if info[i] == 'last-generated-id' then
          local id = info[i + 1]
          local dash = string.find(id, '-', 1, true)
          local ms, seq = tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
          if ms > top_ms or (ms == top_ms and seq > top_seq) then top_ms, top_seq = ms, seq end
        end
      end
    end
  end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now > top_ms then return string.format('%.0f-0', now) end
  return string.format('%.0f-%.0f', top_ms, top_seq + 1)
end
";

/// Adds an entry numbered with its ordinal. KEYS[1]: the stream; KEYS[2]:
/// the conversation's event stream; ARGV[1]: the approximate MAXLEN or "";
/// ARGV[2..]: field, value, ... Returns `{id, ordinal, length}`. Once the
/// conversation has events, the id is chosen after theirs too.
static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NEXT_ID}{}",
        r"
local added = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then added = info[i + 1] end
  end
end
local n = added + 1
local args = {'XADD', KEYS[1]}
if ARGV[1] ~= '' then
  table.insert(args, 'MAXLEN'); table.insert(args, '~'); table.insert(args, ARGV[1])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  table.insert(args, next_id({KEYS[1], KEYS[2]}))
else
  table.insert(args, '*')
end
for i = 2, #ARGV do table.insert(args, ARGV[i]) end
table.insert(args, 'ordinal'); table.insert(args, tostring(n))
local id = redis.call(unpack(args))
return {id, n, redis.call('XLEN', KEYS[1])}
"
    ))
});

/// For each of the ARGV[1] streams first in KEYS, followed by as many
/// hashes of changed messages: `{entries-added, last-entry, state}`
/// (`{0, nil, nil}` when it does not exist; `state` is the last entry's
/// edited or deleted state, nil when it has none). `XINFO STREAM` without
/// `FULL` and `HGET` are O(1) per stream.
static HEADS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local out = {}
local n = tonumber(ARGV[1])
for i = 1, n do
  local key = KEYS[i]
  local added, last, state = 0, false, false
  if redis.call('EXISTS', key) == 1 then
    local info = redis.call('XINFO', 'STREAM', key)
    for j = 1, #info, 2 do
      if info[j] == 'entries-added' then added = info[j + 1]
      elseif info[j] == 'last-entry' then last = info[j + 1] end
    end
  end
  if last then state = redis.call('HGET', KEYS[n + i], last[1]) end
  out[i] = {added, last, state}
end
return out
",
    )
});

/// The last entry at or before ARGV[1] in KEYS[1] and its ordinal, or nil.
/// An entry without an `ordinal` field (django-chat wrote it, or a
/// chatstream older than ordinals) is placed by counting back from
/// `entries-added` over the entries after it: exact, and as cheap as the
/// reader is close to the end, which is where read markers are.
static POSITION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local found = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', 1)
local entry = found[1]
if not entry then return false end
local fields = entry[2]
for j = 1, #fields, 2 do
  if fields[j] == 'ordinal' then
    local n = tonumber(fields[j + 1])
    if n then return {entry[1], n} end
  end
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local added = 0
for j = 1, #info, 2 do
  if info[j] == 'entries-added' then added = info[j + 1] end
end
local after = redis.call('XRANGE', KEYS[1], '(' .. entry[1], '+')
return {entry[1], added - #after}
",
    )
});

/// One stream entry: its id and fields.
pub(super) type Entry = (String, HashMap<String, Value>);

/// `XADD` of `fields` numbered with the entry's ordinal; returns the new
/// id, its ordinal and the stream's length after it.
pub(super) async fn append(
    conn: &mut RedisConn,
    (key, events): (String, String),
    maxlen: Option<u64>,
    fields: &[(&str, String)],
) -> RedisResult<(String, u64, u64)> {
    let mut invocation = APPEND.prepare_invoke();
    invocation
        .key(key)
        .key(events)
        .arg(maxlen.map(|m| m.to_string()).unwrap_or_default());
    for (name, value) in fields {
        invocation.arg(*name).arg(value);
    }
    invocation.invoke_async(conn).await
}

/// The message count, last entry and that entry's changed state (if
/// any) of each stream, in `keys` order; `keys` pairs each stream with its
/// hash of changed messages.
pub(super) async fn heads(
    conn: &mut RedisConn,
    keys: Vec<(String, String)>,
) -> RedisResult<Vec<(u64, Option<Entry>, Option<String>)>> {
    let mut invocation = HEADS.prepare_invoke();
    invocation.arg(keys.len());
    let (streams, changed): (Vec<_>, Vec<_>) = keys.into_iter().unzip();
    for key in streams.into_iter().chain(changed) {
        invocation.key(key);
    }
    let reply: Vec<(u64, Value, Option<String>)> = invocation.invoke_async(conn).await?;
    Ok(reply
        .into_iter()
        .map(|(count, last, state)| (count, entry(&last), state))
        .collect())
}

/// The id and ordinal of the last entry at or before `at`.
pub(super) async fn position(
    conn: &mut RedisConn,
    key: String,
    at: String,
) -> RedisResult<Option<(String, u64)>> {
    POSITION.key(key).arg(at).invoke_async(conn).await
}

/// An entry as `XRANGE` and `XINFO` return it: `[id, [field, value, ...]]`.
fn entry(value: &Value) -> Option<Entry> {
    let Value::Array(parts) = value else {
        return None;
    };
    let [id, Value::Array(flat)] = parts.as_slice() else {
        return None;
    };
    let id: String = redis::from_redis_value_ref(id).ok()?;
    let fields = flat
        .chunks_exact(2)
        .filter_map(|pair| {
            let name: String = redis::from_redis_value_ref(&pair[0]).ok()?;
            Some((name, pair[1].clone()))
        })
        .collect();
    Some((id, fields))
}
