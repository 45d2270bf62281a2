//! Query root.

use async_graphql::{Context, ErrorExtensions, Object};

use super::{auth::ContextExt, types::UserType};
use crate::domain::accounts;

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// The authenticated user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserType> {
        let viewer = ctx.viewer()?;
        let user = accounts::current_user(ctx.state()?, viewer)
            .await
            .map_err(|e| e.extend())?;
        Ok(user.into())
    }
}
