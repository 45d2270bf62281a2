//! Accounts in GraphQL: `me`, `signup`, `login`, `refreshToken`.

use async_graphql::{Context, ErrorExtensions, Object};

use super::{
    auth::ContextExt,
    types::{AuthPayload, LoginInput, SignupInput, UserType},
};
use crate::domain::{accounts, people};

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The authenticated user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserType> {
        let viewer = ctx.viewer()?;
        let user = accounts::current_user(ctx.state()?, viewer)
            .await
            .map_err(|e| e.extend())?;
        Ok(user.into())
    }

    /// People to add: a username prefix or an exact email, case-insensitive;
    /// at most 20 (a larger `limit` is capped). `email` is empty for users
    /// who share no conversation with the caller (and with
    /// `EMAIL_VISIBILITY=self`, for everyone but the caller), unless `search`
    /// was their email. Rate limited per user.
    async fn users(
        &self,
        ctx: &Context<'_>,
        search: String,
        #[graphql(default = 10)] limit: Option<i32>,
    ) -> async_graphql::Result<Vec<UserType>> {
        let viewer = ctx.viewer()?;
        let users = people::search(ctx.state()?, viewer, &search, limit.map(i64::from))
            .await
            .map_err(|e| e.extend())?;
        Ok(users.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates an account and returns it with tokens.
    async fn signup(
        &self,
        ctx: &Context<'_>,
        input: SignupInput,
    ) -> async_graphql::Result<AuthPayload> {
        let session = accounts::signup(ctx.state()?, input.into(), ctx.client())
            .await
            .map_err(|e| e.extend())?;
        Ok(session.into())
    }

    /// Exchanges email and password for tokens.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let session = accounts::login(ctx.state()?, input.into(), ctx.client())
            .await
            .map_err(|e| e.extend())?;
        Ok(session.into())
    }

    /// Exchanges a refresh token (once) for a new pair.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh: String,
    ) -> async_graphql::Result<AuthPayload> {
        let session = accounts::refresh(ctx.state()?, &refresh)
            .await
            .map_err(|e| e.extend())?;
        Ok(session.into())
    }
}
