//! Edits and deletes on Redis. The message stream stays as django-chat
//! wrote and reads it (every entry a message, never rewritten); changes live
//! beside it, under chatstream's own keys:
//!
//! * an event stream per conversation (`chatstream:events:{uuid}`), whose
//!   ids come from the same sequence as the messages' ([`super::ordinals`]'s
//!   `next_id`), so the two streams merge into one order by id;
//! * a hash of changed messages (`chatstream:changed:{uuid}`: message id ->
//!   current state), which reads overlay on the entries they return;
//! * a sorted set of deleted messages by ordinal (`chatstream:deleted:{uuid}`),
//!   so an unread count subtracts the deleted messages after a marker.
//!
//! A change is one script: it checks the message exists and is not deleted,
//! then writes all three atomically.

use std::{collections::HashMap, sync::LazyLock};

use crate::backends::redis_conn::RedisConn;
use chrono::{DateTime, Utc};
use redis::{RedisResult, Script, Value};

use super::ordinals::NEXT_ID;
use crate::backends::message_log::Note;
use crate::model::{
    ConversationId, StreamId, User, UserId,
    message::{Change, Delivery, Event, Happened, Message},
};

/// KEYS: the message stream, the event stream, the hash of changed
/// messages, the sorted set of deleted ones. ARGV: message id, kind
/// (`edited` | `deleted`), the new state, user id, content, timestamp, the
/// message's ordinal when it is archived (trimmed from the stream; empty
/// otherwise), then more field, value, ... of the event (the message's
/// sender and time, so an event is read without its message).
/// Returns `{'missing'}`, `{'deleted', state}` or `{'changed', event id}`.
static CHANGE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NEXT_ID}{}",
        r"
local entry = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])[1]
local archived = tonumber(ARGV[7])
if not entry and not archived then return {'missing'} end
local prior = redis.call('HGET', KEYS[3], ARGV[1])
if prior and string.sub(prior, 1, 1) == 'D' then return {'deleted', prior} end
local id = next_id({KEYS[1], KEYS[2]})
local event = {'XADD', KEYS[2], id, 'kind', ARGV[2], 'message_id', ARGV[1],
  'user_id', ARGV[4], 'content', ARGV[5], 'timestamp', ARGV[6]}
for i = 8, #ARGV do table.insert(event, ARGV[i]) end
redis.call(unpack(event))
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
if ARGV[2] == 'deleted' then
  local n = archived
  local fields = entry and entry[2] or {}
  for j = 1, #fields, 2 do
    if fields[j] == 'ordinal' then n = tonumber(fields[j + 1]) end
  end
  if not n then
    local added = 0
    local info = redis.call('XINFO', 'STREAM', KEYS[1])
    for j = 1, #info, 2 do
      if info[j] == 'entries-added' then added = info[j + 1] end
    end
    n = added - #redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')
  end
  redis.call('ZADD', KEYS[4], n, ARGV[1])
end
return {'changed', id}
"
    ))
});

/// KEYS: the message stream, the event stream. ARGV: field, value, ... of
/// an event that is not about a message. Returns its id.
static NOTE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NEXT_ID}{}",
        r"
local id = next_id({KEYS[1], KEYS[2]})
local event = {'XADD', KEYS[2], id}
for i = 1, #ARGV do table.insert(event, ARGV[i]) end
redis.call(unpack(event))
return id
"
    ))
});

/// KEYS: sorted sets of deleted messages; ARGV: an ordinal for each.
/// Returns how many deleted messages lie after each ordinal.
static DELETED_AFTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('ZCOUNT', key, '(' .. ARGV[i], '+inf')
end
return out
",
    )
});

/// The keys one change touches.
pub(super) struct ChangeKeys {
    pub stream: String,
    pub events: String,
    pub changed: String,
    pub deleted: String,
}

/// What the script found.
pub(super) enum Outcome {
    Missing,
    /// Deleted already, with its stored state.
    Deleted(String),
    /// Recorded as this event id.
    Changed(String),
}

/// Records `message` (already changed) as `change` by `user`. `archived`
/// is its ordinal when the caller found it in the archive, not the stream.
pub(super) async fn change(
    conn: &mut RedisConn,
    keys: &ChangeKeys,
    message: &Message,
    change: &Change,
    (user, timestamp): (i64, String),
    archived: Option<u64>,
) -> RedisResult<Outcome> {
    let kind = match change {
        Change::Edit { .. } => "edited",
        Change::Delete => "deleted",
    };
    let reply: Vec<String> = CHANGE
        .key(&keys.stream)
        .key(&keys.events)
        .key(&keys.changed)
        .key(&keys.deleted)
        .arg(message.id.to_string())
        .arg(kind)
        .arg(encode_state(message))
        .arg(user)
        .arg(&message.content)
        .arg(timestamp)
        .arg(archived.map(|n| n.to_string()).unwrap_or_default())
        .arg(&[
            ("sender_id", message.sender.id.0.to_string()),
            ("username", message.sender.username.clone()),
            ("user_email", message.sender.email.clone()),
            ("first_name", message.sender.first_name.clone()),
            ("last_name", message.sender.last_name.clone()),
            ("created_at", message.created_at.to_rfc3339()),
            ("state", encode_state(message)),
        ])
        .invoke_async(conn)
        .await?;
    let mut reply = reply.into_iter();
    Ok(match (reply.next().as_deref(), reply.next()) {
        (Some("changed"), Some(id)) => Outcome::Changed(id),
        (Some("deleted"), Some(state)) => Outcome::Deleted(state),
        _ => Outcome::Missing,
    })
}

/// Records `note` in the event stream; returns its id.
pub(super) async fn note(
    conn: &mut RedisConn,
    (stream, events): (String, String),
    note: &Note,
) -> RedisResult<String> {
    let user = note.user();
    let up_to = match note {
        Note::ReadMarkerMoved { up_to, .. } => up_to.to_string(),
        _ => String::new(),
    };
    NOTE.key(stream)
        .key(events)
        .arg(&[
            ("kind", note.kind().to_owned()),
            ("user_id", user.id.0.to_string()),
            ("username", user.username.clone()),
            ("user_email", user.email.clone()),
            ("first_name", user.first_name.clone()),
            ("last_name", user.last_name.clone()),
            ("up_to", up_to),
        ])
        .invoke_async(conn)
        .await
}

/// How many deleted messages lie after each ordinal, in `keys` order.
pub(super) async fn deleted_after(
    conn: &mut RedisConn,
    keys: Vec<(String, u64)>,
) -> RedisResult<Vec<u64>> {
    let mut invocation = DELETED_AFTER.prepare_invoke();
    for (key, after) in keys {
        invocation.key(key).arg(after);
    }
    invocation.invoke_async(conn).await
}

/// The current state of each of `messages` that has changed, in one
/// `HMGET`, applied to them.
pub(super) async fn overlay(
    conn: &mut RedisConn,
    key: String,
    messages: &mut [Message],
) -> RedisResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = messages.iter().map(|m| m.id.to_string()).collect();
    let states: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(key)
        .arg(ids)
        .query_async(conn)
        .await?;
    for (message, state) in messages.iter_mut().zip(states) {
        if let Some(state) = state {
            apply_state(message, &state);
        }
    }
    Ok(())
}

/// An entry of the event stream as a delivery; `None` (with a warning)
/// when it is not one of chatstream's events.
pub(super) fn decode_event(
    conversation: ConversationId,
    id: &str,
    fields: &HashMap<String, Value>,
) -> Option<Delivery> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(|value| redis::from_redis_value_ref::<String>(value).ok())
    };
    let decoded = (|| {
        let position: StreamId = id.parse().ok()?;
        let user = || {
            Some(User {
                id: text("user_id")?.parse::<UserId>().ok()?,
                email: text("user_email").unwrap_or_default(),
                username: text("username").unwrap_or_default(),
                first_name: text("first_name").unwrap_or_default(),
                last_name: text("last_name").unwrap_or_default(),
            })
        };
        let noted = match text("kind")?.as_str() {
            "read" => Some(Event::ReadMarkerMoved {
                id: position,
                user: user()?,
                up_to: text("up_to")?.parse().ok()?,
            }),
            "joined" => Some(Event::ParticipantJoined {
                id: position,
                user: user()?,
            }),
            "left" => Some(Event::ParticipantLeft {
                id: position,
                user: user()?,
            }),
            _ => None,
        };
        if let Some(noted) = noted {
            return Some(Delivery::event(conversation, noted));
        }
        let mut message = Message {
            id: text("message_id")?.parse().ok()?,
            conversation_id: conversation,
            sender: User {
                id: text("sender_id")?.parse::<UserId>().ok()?,
                email: text("user_email").unwrap_or_default(),
                username: text("username").unwrap_or_default(),
                first_name: text("first_name").unwrap_or_default(),
                last_name: text("last_name").unwrap_or_default(),
            },
            content: String::new(),
            created_at: DateTime::parse_from_rfc3339(&text("created_at")?)
                .ok()?
                .with_timezone(&Utc),
            edited_at: None,
            deleted: false,
        };
        apply_state(&mut message, &text("state")?);
        let happened = match text("kind")?.as_str() {
            "edited" => Happened::Edited(position),
            "deleted" => Happened::Deleted(position),
            _ => return None,
        };
        Some(Delivery::of(message, happened))
    })();
    if decoded.is_none() {
        tracing::warn!(conversation.id = %conversation, stream.id = id, "skipping event entry");
    }
    decoded
}

/// `E|<edited ms>|<content>` or `D|<edited ms, or empty>|`.
fn encode_state(message: &Message) -> String {
    let edited = message
        .edited_at
        .map(|at| at.timestamp_millis().to_string())
        .unwrap_or_default();
    if message.deleted {
        format!("D|{edited}|")
    } else {
        format!("E|{edited}|{}", message.content)
    }
}

/// Applies a stored state to the message as the stream holds it; a state
/// that does not parse leaves the message as it is.
pub(super) fn apply_state(message: &mut Message, state: &str) {
    let mut parts = state.splitn(3, '|');
    let (Some(kind), Some(edited), content) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let edited_at = edited
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis);
    match kind {
        "D" => {
            message.deleted = true;
            message.content.clear();
            message.edited_at = edited_at;
        }
        "E" => {
            message.content = content.unwrap_or_default().to_owned();
            message.edited_at = edited_at;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        let original = crate::model::message::sample(
            ConversationId(uuid::Uuid::nil()),
            StreamId::new(1, 0),
            "hi",
        );
        let at = DateTime::from_timestamp_millis(1_700_000_000_123).expect("valid");
        let edited = original.clone().changed(&Change::Edit {
            content: "a|b".into(),
            at,
        });
        let mut read = original.clone();
        apply_state(&mut read, &encode_state(&edited));
        assert_eq!(read, edited);
        let deleted = edited.changed(&Change::Delete);
        let mut read = original.clone();
        apply_state(&mut read, &encode_state(&deleted));
        assert_eq!(read, deleted);
        let mut untouched = original.clone();
        apply_state(&mut untouched, "garbage");
        assert_eq!(untouched, original);
    }
}
