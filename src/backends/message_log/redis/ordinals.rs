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

use redis::{RedisResult, Script, Value, aio::ConnectionManager};

/// Adds an entry numbered with its ordinal. KEYS[1]: the stream; ARGV[1]:
/// the approximate MAXLEN or ""; ARGV[2..]: field, value, ... Returns
/// `{id, ordinal}`.
static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
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
table.insert(args, '*')
for i = 2, #ARGV do table.insert(args, ARGV[i]) end
table.insert(args, 'ordinal'); table.insert(args, tostring(n))
local id = redis.call(unpack(args))
return {id, n}
",
    )
});

/// For each stream in KEYS: `{entries-added, last-entry}` (`{0, nil}` when
/// it does not exist). `XINFO STREAM` without `FULL` is O(1) per stream.
static HEADS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local out = {}
for i, key in ipairs(KEYS) do
  local added, last = 0, false
  if redis.call('EXISTS', key) == 1 then
    local info = redis.call('XINFO', 'STREAM', key)
    for j = 1, #info, 2 do
      if info[j] == 'entries-added' then added = info[j + 1]
      elseif info[j] == 'last-entry' then last = info[j + 1] end
    end
  end
  out[i] = {added, last}
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
/// id and ordinal.
pub(super) async fn append(
    conn: &mut ConnectionManager,
    key: String,
    maxlen: Option<u64>,
    fields: &[(&str, String)],
) -> RedisResult<(String, u64)> {
    let mut invocation = APPEND.prepare_invoke();
    invocation
        .key(key)
        .arg(maxlen.map(|m| m.to_string()).unwrap_or_default());
    for (name, value) in fields {
        invocation.arg(*name).arg(value);
    }
    invocation.invoke_async(conn).await
}

/// The message count and last entry of each stream, in `keys` order.
pub(super) async fn heads(
    conn: &mut ConnectionManager,
    keys: Vec<String>,
) -> RedisResult<Vec<(u64, Option<Entry>)>> {
    let mut invocation = HEADS.prepare_invoke();
    for key in keys {
        invocation.key(key);
    }
    let reply: Vec<(u64, Value)> = invocation.invoke_async(conn).await?;
    Ok(reply
        .into_iter()
        .map(|(count, last)| (count, entry(&last)))
        .collect())
}

/// The id and ordinal of the last entry at or before `at`.
pub(super) async fn position(
    conn: &mut ConnectionManager,
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
