//! Typing and presence signals on their way to live subscribers: never in
//! the message log. Embedded, a signal goes straight to the node's hub; in
//! Redis mode it is published on the nodes' one Pub/Sub channel (the one
//! revocations use, see [`super::revocations`]) and every node, this one
//! included, hands it to the subscribers it has.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::hub::Hub;
use crate::model::{ConversationId, User, UserId, message::Signal};

/// A signal and the conversations whose subscribers see it (a presence
/// change goes to every conversation of its user, in one message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast {
    pub conversations: Vec<ConversationId>,
    pub signal: Signal,
}

impl Broadcast {
    /// Hands the signal to this node's subscribers of each conversation.
    pub fn deliver(self, hub: &Hub) {
        for conversation in self.conversations {
            hub.signal(conversation, self.signal.clone());
        }
    }

    /// The form on the Pub/Sub channel: a JSON object (revocations and
    /// notices never start with `{`).
    pub fn encode(&self) -> String {
        let (kind, on, user) = match &self.signal {
            Signal::Typing { user, typing } => (Kind::Typing, *typing, user),
            Signal::Presence { user, online } => (Kind::Presence, *online, user),
        };
        let wire = Wire {
            kind,
            on,
            conversations: self.conversations.iter().map(|c| c.0).collect(),
            user: WireUser {
                id: user.id.0,
                email: user.email.clone(),
                username: user.username.clone(),
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
            },
        };
        // Strings, numbers and booleans always serialize.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// The reverse of [`Broadcast::encode`]; `None` for anything else.
    pub fn decode(payload: &str) -> Option<Broadcast> {
        let wire: Wire = serde_json::from_str(payload).ok()?;
        let user = User {
            id: UserId(wire.user.id),
            email: wire.user.email,
            username: wire.user.username,
            first_name: wire.user.first_name,
            last_name: wire.user.last_name,
        };
        let signal = match wire.kind {
            Kind::Typing => Signal::Typing {
                user,
                typing: wire.on,
            },
            Kind::Presence => Signal::Presence {
                user,
                online: wire.on,
            },
        };
        Some(Broadcast {
            conversations: wire.conversations.into_iter().map(ConversationId).collect(),
            signal,
        })
    }
}

#[derive(Serialize, Deserialize)]
enum Kind {
    #[serde(rename = "typing")]
    Typing,
    #[serde(rename = "presence")]
    Presence,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "signal")]
    kind: Kind,
    on: bool,
    conversations: Vec<Uuid>,
    user: WireUser,
}

#[derive(Serialize, Deserialize)]
struct WireUser {
    id: i64,
    email: String,
    username: String,
    first_name: String,
    last_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_round_trip_and_garbage_is_ignored() {
        let user = User {
            id: UserId(7),
            email: "ada@example.com".into(),
            username: "ada".into(),
            first_name: "Ada \"A\"".into(),
            last_name: "Lovelace".into(),
        };
        for signal in [
            Signal::Typing {
                user: user.clone(),
                typing: true,
            },
            Signal::Presence {
                user: user.clone(),
                online: false,
            },
        ] {
            let broadcast = Broadcast {
                conversations: vec![
                    ConversationId(Uuid::new_v4()),
                    ConversationId(Uuid::new_v4()),
                ],
                signal,
            };
            let encoded = broadcast.encode();
            assert!(encoded.starts_with('{'), "{encoded}");
            assert_eq!(Broadcast::decode(&encoded), Some(broadcast));
        }
        assert_eq!(Broadcast::decode("{}"), None);
        assert_eq!(Broadcast::decode("c 5"), None);
    }
}
