//! API types, converted from domain types (entities never leak here).

use async_graphql::{ComplexObject, ID, InputObject, SimpleObject};

use crate::domain::{self, accounts, tokens};

/// A chat user.
#[derive(SimpleObject, Clone)]
#[graphql(name = "User", complex)]
pub struct UserType {
    pub id: ID,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

#[ComplexObject]
impl UserType {
    /// First and last name joined by a space.
    async fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

impl From<domain::User> for UserType {
    fn from(user: domain::User) -> Self {
        Self {
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
