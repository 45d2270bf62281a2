//! Identifier newtypes: user ids (integers), conversation ids (UUIDs) and
//! stream ids (`<ms>-<seq>`, ordered numerically, never as strings).

use std::{fmt, str::FromStr};

use uuid::Uuid;

/// A user's id (`users.id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for UserId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(UserId)
    }
}

/// A conversation's id (`conversations.id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId(pub Uuid);

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ConversationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(ConversationId)
    }
}

/// A stream entry id in Redis format: milliseconds and a sequence number.
/// Ordering compares `(ms, seq)` numerically, as Redis does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };

    pub fn new(ms: u64, seq: u64) -> Self {
        Self { ms, seq }
    }

    /// The smallest id strictly greater than this one.
    pub fn successor(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| StreamId { ms, seq: 0 }),
        }
    }

    /// The greatest id strictly smaller than this one.
    pub fn predecessor(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self
                .ms
                .checked_sub(1)
                .map(|ms| StreamId { ms, seq: u64::MAX }),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Why a text is not a stream id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a stream id of the form <milliseconds>-<sequence>")]
pub struct InvalidStreamId;

impl FromStr for StreamId {
    type Err = InvalidStreamId;

    /// Accepts `<ms>-<seq>`, and a bare `<ms>` (sequence 0) as Redis does.
    /// Each part has at most 19 digits: every such number fits in a `u64`,
    /// so the rule is one a document can state (`[0-9]{1,19}`) and an id
    /// is never refused for a reason its text does not show. No real id
    /// comes near (milliseconds have 13 digits until the year 2286).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = |part: &str| {
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidStreamId);
            }
            part.parse::<u64>().map_err(|_| InvalidStreamId)
        };
        match s.split_once('-') {
            Some((ms, seq)) => Ok(StreamId::new(digits(ms)?, digits(seq)?)),
            None => Ok(StreamId::new(digits(s)?, 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_parse_and_print() {
        let id: StreamId = "1700000000000-7".parse().expect("valid");
        assert_eq!(id, StreamId::new(1_700_000_000_000, 7));
        assert_eq!(id.to_string(), "1700000000000-7");
        assert_eq!("42".parse::<StreamId>(), Ok(StreamId::new(42, 0)));
    }

    #[test]
    fn malformed_stream_ids_are_refused() {
        for bad in [
            "",
            "-",
            "1-",
            "-1",
            "a-1",
            "1-b",
            "1-2-3",
            " 1-2",
            "+1-2",
            "99999999999999999999999-0",
        ] {
            assert_eq!(bad.parse::<StreamId>(), Err(InvalidStreamId), "{bad:?}");
        }
    }

    #[test]
    fn ordering_is_numeric_not_lexical() {
        let a: StreamId = "9-0".parse().expect("valid");
        let b: StreamId = "10-0".parse().expect("valid");
        let c: StreamId = "10-10".parse().expect("valid");
        let d: StreamId = "10-9".parse().expect("valid");
        assert!(a < b && b < d && d < c);
    }

    #[test]
    fn neighbours() {
        assert_eq!(StreamId::new(5, 1).successor(), Some(StreamId::new(5, 2)));
        assert_eq!(
            StreamId::new(5, u64::MAX).successor(),
            Some(StreamId::new(6, 0))
        );
        assert_eq!(
            StreamId::new(5, 0).predecessor(),
            Some(StreamId::new(4, u64::MAX))
        );
        assert_eq!(StreamId::MIN.predecessor(), None);
    }
}
