//! API types, converted from domain types (entities never leak here).

use async_graphql::{Enum, ID, InputObject, SimpleObject};

pub use super::scalars::{DateTime, StreamIdScalar};
use crate::{
    domain::{self, ConversationId, UserId, accounts, conversations, messaging, tokens},
    error::Error,
};

/// A chat user.
#[derive(SimpleObject, Clone)]
#[graphql(name = "User", complex)]
pub struct UserType {
    #[graphql(skip)]
    pub user_id: UserId,
    pub id: ID,
    /// Empty when the caller may not see it: see `EMAIL_VISIBILITY`.
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    /// First and last name joined by a space.
    pub full_name: String,
}

impl From<domain::User> for UserType {
    fn from(user: domain::User) -> Self {
        Self {
            full_name: user.full_name(),
            user_id: user.id,
            id: ID(user.id.to_string()),
            email: user.email,
            username: user.username,
            first_name: user.first_name,
            last_name: user.last_name,
        }
    }
}

/// An access token (short-lived) and a refresh token (single use).
#[derive(SimpleObject, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl From<tokens::TokenPair> for Tokens {
    fn from(pair: tokens::TokenPair) -> Self {
        Self {
            access: pair.access,
            refresh: pair.refresh,
        }
    }
}

/// A user and fresh tokens.
#[derive(SimpleObject, Clone)]
pub struct AuthPayload {
    pub user: UserType,
    pub tokens: Tokens,
}

impl From<tokens::Session> for AuthPayload {
    fn from(session: tokens::Session) -> Self {
        Self {
            user: session.user.into(),
            tokens: session.tokens.into(),
        }
    }
}

/// A new account.
#[derive(InputObject)]
pub struct SignupInput {
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    pub password_confirm: String,
}

impl From<SignupInput> for accounts::SignupInput {
    fn from(input: SignupInput) -> Self {
        Self {
            email: input.email,
            username: input.username,
            first_name: input.first_name,
            last_name: input.last_name,
            password: input.password,
            password_confirm: input.password_confirm,
        }
    }
}

/// Credentials.
#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

impl From<LoginInput> for accounts::LoginInput {
    fn from(input: LoginInput) -> Self {
        Self {
            email: input.email,
            password: input.password,
        }
    }
}

/// A participant's role.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Role {
    Admin,
    Member,
}

impl From<conversations::Role> for Role {
    fn from(role: conversations::Role) -> Self {
        match role {
            conversations::Role::Admin => Role::Admin,
            conversations::Role::Member => Role::Member,
        }
    }
}

/// A user's membership in a conversation.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Participant")]
pub struct ParticipantType {
    pub id: ID,
    pub user: UserType,
    pub role: Role,
    pub joined_at: DateTime,
}

/// A conversation and its participants.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Conversation", complex)]
pub struct ConversationType {
    pub id: ID,
    pub name: String,
    pub slug: String,
    pub created_by: UserType,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub participants: Vec<ParticipantType>,
    /// Messages after my read marker not sent by me (deleted ones excluded).
    pub unread_count: i32,
    /// The latest message; null while there is none.
    pub last_message: Option<MessageType>,
    /// My read marker; null before I read anything.
    pub last_read_id: Option<StreamIdScalar>,
}

impl From<conversations::Conversation> for ConversationType {
    fn from(c: conversations::Conversation) -> Self {
        Self {
            id: ID(c.id.to_string()),
            name: c.name,
            slug: c.slug,
            created_by: c.created_by.into(),
            created_at: c.created_at.into(),
            updated_at: c.updated_at.into(),
            participants: c
                .participants
                .into_iter()
                .map(|p| ParticipantType {
                    id: ID(p.id.to_string()),
                    user: p.user.into(),
                    role: p.role.into(),
                    joined_at: p.joined_at.into(),
                })
                .collect(),
            unread_count: i32::try_from(c.unread_count).unwrap_or(i32::MAX),
            last_message: c.last_message.map(Into::into),
            last_read_id: c.last_read_id.map(Into::into),
        }
    }
}

impl ConversationType {
    /// The participants as users.
    pub fn participant_users(&self) -> impl Iterator<Item = domain::User> + '_ {
        self.participants.iter().map(|p| domain::User {
            id: p.user.user_id,
            email: p.user.email.clone(),
            username: p.user.username.clone(),
            first_name: p.user.first_name.clone(),
            last_name: p.user.last_name.clone(),
        })
    }
}

/// A page of the caller's conversations.
#[derive(SimpleObject, Clone)]
pub struct ConversationPage {
    /// How many conversations the caller has in all.
    pub count: i64,
    pub results: Vec<ConversationType>,
}

impl From<conversations::ConversationPage> for ConversationPage {
    fn from(page: conversations::ConversationPage) -> Self {
        Self {
            count: i64::try_from(page.count).unwrap_or(i64::MAX),
            results: page.results.into_iter().map(Into::into).collect(),
        }
    }
}

/// A new conversation.
#[derive(InputObject)]
pub struct CreateConversationInput {
    pub name: String,
    #[graphql(default_with = "Some(Vec::new())")]
    pub participant_ids: Option<Vec<ID>>,
}

/// A chat message.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Message")]
pub struct MessageType {
    pub id: StreamIdScalar,
    pub conversation_id: ID,
    pub sender: UserType,
    /// The current content: the latest edit's; empty once deleted.
    pub content: String,
    pub created_at: DateTime,
    /// When the content was last edited; null unless edited.
    pub edited_at: Option<DateTime>,
    /// A deleted message keeps its id; its content is "".
    pub deleted: bool,
}

impl From<messaging::Message> for MessageType {
    fn from(m: messaging::Message) -> Self {
        Self {
            id: m.id.into(),
            conversation_id: ID(m.conversation_id.to_string()),
            sender: m.sender.into(),
            content: m.content,
            created_at: m.created_at.into(),
            edited_at: m.edited_at.map(Into::into),
            deleted: m.deleted,
        }
    }
}

/// A page of history, oldest first.
#[derive(SimpleObject, Clone)]
pub struct MessagePage {
    pub messages: Vec<MessageType>,
    /// The id of the last message returned; pass it as `from` to continue.
    pub next_from: Option<StreamIdScalar>,
    pub has_more: bool,
}

impl From<messaging::MessagePage> for MessagePage {
    fn from(page: messaging::MessagePage) -> Self {
        Self {
            messages: page.messages.into_iter().map(Into::into).collect(),
            next_from: page.next_from.map(Into::into),
            has_more: page.has_more,
        }
    }
}

/// Reads a conversation id argument; a malformed one is a VALIDATION_ERROR.
pub fn conversation_id(id: &ID, field: &str) -> Result<ConversationId, Error> {
    id.parse()
        .map_err(|_| Error::field(field, "Must be a conversation id (UUID)."))
}

/// Reads a user id argument; a malformed one is a VALIDATION_ERROR.
pub fn user_id(id: &ID, field: &str) -> Result<UserId, Error> {
    id.parse()
        .map_err(|_| Error::field(field, "Must be a user id (integer)."))
}
