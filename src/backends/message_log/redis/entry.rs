//! One stream entry as django-chat writes it: field names, timestamps in
//! Python's isoformat, and what to do with an entry that is not a message.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use redis::Value;

use crate::model::{ConversationId, StreamId, User, UserId, message::Message};

/// What django-chat writes: Python's `datetime.isoformat()` of a naive UTC
/// time, with the microseconds always present: `2024-05-01T12:00:00.123456`.
/// An offset would be safe for chatstream, but a django-chat node reading
/// the same stream during a cutover may parse only its own form.
pub(super) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Reads an isoformat timestamp with or without an offset (a naive one,
/// from a django-chat with `USE_TZ = False`, is taken as UTC).
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim().replacen(' ', "T", 1);
    if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Turns one stream entry into a message, tolerating entries written by
/// django-chat (no email or names, other timestamp forms). An entry that
/// cannot be a message (bad id, non-numeric `user_id`, no `content`) is
/// skipped with a warning: one bad entry must not make a stream unreadable.
pub(super) fn decode_entry(
    conversation: ConversationId,
    id: &str,
    fields: &HashMap<String, Value>,
) -> Option<Message> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(|value| redis::from_redis_value_ref::<String>(value).ok())
    };
    let skip = |reason: &str| {
        tracing::warn!(
            conversation.id = %conversation,
            stream.id = id,
            reason,
            "skipping stream entry"
        );
        None
    };
    let Ok(stream_id) = id.parse::<StreamId>() else {
        return skip("bad id");
    };
    let Some(user_id) = text("user_id").and_then(|raw| raw.parse::<UserId>().ok()) else {
        return skip("bad user_id");
    };
    let Some(content) = text("content") else {
        return skip("no content");
    };
    let (first_name, last_name) = match (text("first_name"), text("last_name")) {
        // Only the full name is known: keep it whole so `full_name()` shows it.
        (None, None) => (text("user_name").unwrap_or_default(), String::new()),
        (first, last) => (first.unwrap_or_default(), last.unwrap_or_default()),
    };
    let created_at = text("timestamp")
        .and_then(|raw| parse_timestamp(&raw))
        .or_else(|| {
            i64::try_from(stream_id.ms)
                .ok()
                .and_then(DateTime::from_timestamp_millis)
        })
        .unwrap_or_default();
    Some(Message {
        id: stream_id,
        conversation_id: conversation,
        sender: User {
            id: user_id,
            email: text("user_email").unwrap_or_default(),
            username: text("username").unwrap_or_default(),
            first_name,
            last_name,
        },
        content,
        created_at,
        edited_at: None,
        deleted: false,
    })
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::BulkString(v.as_bytes().to_vec())))
            .collect()
    }

    fn conversation() -> ConversationId {
        ConversationId(Uuid::nil())
    }

    #[test]
    fn timestamps_look_like_python_isoformat_and_round_trip() {
        let at = DateTime::from_timestamp_micros(1_714_564_800_123_456).expect("valid");
        let text = format_timestamp(at);
        assert_eq!(text, "2024-05-01T12:00:00.123456");
        assert_eq!(parse_timestamp(&text), Some(at));
        let whole_second = DateTime::from_timestamp(1_714_564_800, 0).expect("valid");
        assert_eq!(format_timestamp(whole_second), "2024-05-01T12:00:00.000000");
        // Python leaves out zero microseconds.
        assert_eq!(parse_timestamp("2024-05-01T12:00:00"), Some(whole_second));
        assert_eq!(
            parse_timestamp("2024-05-01T12:00:00.123456+00:00"),
            Some(at)
        );
        assert_eq!(
            parse_timestamp("2024-05-01 14:00:00.123456+02:00"),
            Some(at)
        );
    }

    #[test]
    fn decodes_an_entry_with_every_field() {
        let entry = fields(&[
            ("user_id", "7"),
            ("username", "ada"),
            ("content", "hello"),
            ("timestamp", "2024-05-01T12:00:00.123456+00:00"),
            ("user_email", "ada@example.com"),
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("user_name", "Ada Lovelace"),
        ]);
        let message = decode_entry(conversation(), "1714564800123-3", &entry).expect("decoded");
        assert_eq!(message.id, StreamId::new(1_714_564_800_123, 3));
        assert_eq!(message.sender.id, UserId(7));
        assert_eq!(message.sender.email, "ada@example.com");
        assert_eq!(message.sender.full_name(), "Ada Lovelace");
        assert_eq!(message.content, "hello");
        assert_eq!(message.created_at.timestamp_micros(), 1_714_564_800_123_456);
    }

    #[test]
    fn decodes_a_django_chat_entry() {
        let entry = fields(&[
            ("user_id", "7"),
            ("username", "ada"),
            ("content", "hello"),
            ("timestamp", "not a time"),
        ]);
        let message = decode_entry(conversation(), "1714564800123-0", &entry).expect("decoded");
        assert_eq!(message.sender.username, "ada");
        assert_eq!(message.sender.email, "");
        assert_eq!(message.sender.full_name(), "");
        // An unreadable timestamp falls back to the id's milliseconds.
        assert_eq!(message.created_at.timestamp_millis(), 1_714_564_800_123);
    }

    #[test]
    fn skips_entries_that_are_not_messages() {
        let bad_user = fields(&[("user_id", "ada"), ("content", "hi")]);
        assert_eq!(decode_entry(conversation(), "1-0", &bad_user), None);
        let no_content = fields(&[("user_id", "7")]);
        assert_eq!(decode_entry(conversation(), "1-0", &no_content), None);
        let good = fields(&[("user_id", "7"), ("content", "hi")]);
        assert_eq!(decode_entry(conversation(), "one", &good), None);
    }
}
