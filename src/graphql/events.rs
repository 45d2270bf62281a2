//! `conversationEvents`: every event of a conversation's log in one order —
//! messages added, edited and deleted — each with its id, usable as `since`;
//! and, live only, who is typing and who comes online or goes offline.

use async_graphql::{Context, ID, SimpleObject, Subscription, Union};
use futures::stream::BoxStream;

use super::{
    messages::subscribe_live,
    types::{MessageType, StreamIdScalar, UserType},
};
use crate::domain::{
    message::{Delivery, Event, Happened, Signal},
    messaging,
};

/// A message was added.
#[derive(SimpleObject, Clone)]
pub struct MessageAdded {
    /// Its place in the conversation's event order (the message's id).
    pub id: StreamIdScalar,
    pub message: MessageType,
}

/// A message was edited; `message` carries the new content.
#[derive(SimpleObject, Clone)]
pub struct MessageEdited {
    /// Its place in the conversation's event order.
    pub id: StreamIdScalar,
    pub message: MessageType,
}

/// A message was deleted; `message` keeps its id, with empty content.
#[derive(SimpleObject, Clone)]
pub struct MessageDeleted {
    /// Its place in the conversation's event order.
    pub id: StreamIdScalar,
    pub message: MessageType,
}

/// A participant's read marker moved.
#[derive(SimpleObject, Clone)]
pub struct ReadMarkerMoved {
    /// Its place in the conversation's event order.
    pub id: StreamIdScalar,
    pub user: UserType,
    pub up_to: StreamIdScalar,
}

/// Someone joined the conversation.
#[derive(SimpleObject, Clone)]
pub struct ParticipantJoined {
    /// Its place in the conversation's event order.
    pub id: StreamIdScalar,
    pub user: UserType,
}

/// Someone left or was removed from the conversation.
#[derive(SimpleObject, Clone)]
pub struct ParticipantLeft {
    /// Its place in the conversation's event order.
    pub id: StreamIdScalar,
    pub user: UserType,
}

/// A participant started typing (sent again at most every 2 s while they
/// keep typing) or stopped: explicitly, by sending a message, or 5 s after
/// their last `setTyping`. Live only: no id, never replayed by `since`.
#[derive(SimpleObject, Clone)]
pub struct TypingChanged {
    pub conversation_id: ID,
    pub user: UserType,
    pub typing: bool,
}

/// A participant's first WebSocket opened (`online`), or their last one
/// closed, on any node. Live only: no id, never replayed by `since`.
#[derive(SimpleObject, Clone)]
pub struct PresenceChanged {
    pub conversation_id: ID,
    pub user: UserType,
    pub online: bool,
}

/// One event of a conversation's log, or a live-only signal.
#[derive(Union, Clone)]
pub enum ConversationEvent {
    MessageAdded(MessageAdded),
    MessageEdited(MessageEdited),
    MessageDeleted(MessageDeleted),
    ReadMarkerMoved(ReadMarkerMoved),
    ParticipantJoined(ParticipantJoined),
    ParticipantLeft(ParticipantLeft),
    TypingChanged(TypingChanged),
    PresenceChanged(PresenceChanged),
}

impl From<&Delivery> for ConversationEvent {
    fn from(delivery: &Delivery) -> Self {
        let id = delivery.position().into();
        match &delivery.event {
            Event::Message { message, happened } => {
                let message = MessageType::from(message.clone());
                match happened {
                    Happened::Added => Self::MessageAdded(MessageAdded { id, message }),
                    Happened::Edited(_) => Self::MessageEdited(MessageEdited { id, message }),
                    Happened::Deleted(_) => Self::MessageDeleted(MessageDeleted { id, message }),
                }
            }
            Event::ReadMarkerMoved { user, up_to, .. } => Self::ReadMarkerMoved(ReadMarkerMoved {
                id,
                user: user.clone().into(),
                up_to: (*up_to).into(),
            }),
            Event::ParticipantJoined { user, .. } => Self::ParticipantJoined(ParticipantJoined {
                id,
                user: user.clone().into(),
            }),
            Event::ParticipantLeft { user, .. } => Self::ParticipantLeft(ParticipantLeft {
                id,
                user: user.clone().into(),
            }),
            Event::Signal(Signal::Typing { user, typing }) => Self::TypingChanged(TypingChanged {
                conversation_id: delivery.conversation_id.to_string().into(),
                user: user.clone().into(),
                typing: *typing,
            }),
            Event::Signal(Signal::Presence { user, online }) => {
                Self::PresenceChanged(PresenceChanged {
                    conversation_id: delivery.conversation_id.to_string().into(),
                    user: user.clone().into(),
                    online: *online,
                })
            }
        }
    }
}

#[derive(Default)]
pub struct EventsSubscription;

#[Subscription]
impl EventsSubscription {
    /// Every event of a conversation (participants only), in one order. With
    /// `since` (any event's id): every event after it, then live ones, with
    /// no gap and no duplicate. Ends with `FORBIDDEN` when the viewer leaves
    /// or is removed; a subscriber too far behind is closed with 4008.
    async fn conversation_events(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
        since: Option<StreamIdScalar>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<ConversationEvent>>> {
        subscribe_live(
            ctx,
            &conversation_id,
            since.as_ref(),
            messaging::live_events,
            |delivery| ConversationEvent::from(&*delivery),
        )
        .await
    }
}
