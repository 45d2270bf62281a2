//! Who is asking: resolved from the bearer token at the edge, read by
//! resolvers through `ContextExt`.

use std::net::{IpAddr, Ipv4Addr};

use async_graphql::{Context, ErrorExtensions};

use crate::{
    client_addr::ClientAddr,
    domain::{
        UserId,
        state::AppState,
        tokens::{Access, Credentials, TokenKeys},
    },
    error::{Error, NoCredentials},
};

/// The caller of one GraphQL request or connection.
#[derive(Clone, Copy, Debug)]
pub enum Auth {
    /// No credentials were presented.
    Anonymous,
    /// Credentials were presented and are not valid.
    Invalid,
    /// A verified access token.
    User(UserId),
}

/// The credentials of a socket: as [`Auth`], with the token's lifetime,
/// since the socket outlives the check.
#[derive(Clone, Copy, Debug)]
pub enum SocketAuth {
    Anonymous,
    Invalid,
    Access(Access),
}

impl SocketAuth {
    /// From an `Authorization` header value or a graphql-ws credential (see
    /// [`Credentials`] for the forms accepted).
    pub fn from_bearer(keys: &TokenKeys, header: Option<&str>) -> Self {
        match Credentials::parse(header) {
            Credentials::Missing => SocketAuth::Anonymous,
            Credentials::Malformed => SocketAuth::Invalid,
            Credentials::Token(token) => match keys.verify_access_until(token) {
                Ok(access) => SocketAuth::Access(access),
                Err(_) => SocketAuth::Invalid,
            },
        }
    }
}

impl Auth {
    /// From an `Authorization` header value (see [`Credentials`] for the
    /// forms accepted).
    pub fn from_bearer(keys: &TokenKeys, header: Option<&str>) -> Self {
        match SocketAuth::from_bearer(keys, header) {
            SocketAuth::Anonymous => Auth::Anonymous,
            SocketAuth::Invalid => Auth::Invalid,
            SocketAuth::Access(access) => Auth::User(access.user),
        }
    }

    /// The user, or UNAUTHENTICATED.
    pub fn user(self) -> Result<UserId, Error> {
        match self {
            Auth::User(id) => Ok(id),
            Auth::Anonymous => Err(Error::Unauthenticated(NoCredentials::Missing)),
            Auth::Invalid => Err(Error::Unauthenticated(NoCredentials::InvalidToken)),
        }
    }
}

/// Typed access to what the schema and the request carry.
pub trait ContextExt {
    fn state(&self) -> async_graphql::Result<&AppState>;
    fn viewer(&self) -> async_graphql::Result<UserId>;
    /// The client's address for the throttles (`client_addr`); on
    /// graphql-ws, the upgrade request's.
    fn client(&self) -> IpAddr;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> async_graphql::Result<&AppState> {
        self.data::<AppState>()
    }

    fn viewer(&self) -> async_graphql::Result<UserId> {
        let auth = self.data_opt::<Auth>().copied().unwrap_or(Auth::Anonymous);
        auth.user().map_err(|e| e.extend())
    }

    fn client(&self) -> IpAddr {
        self.data_opt::<ClientAddr>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0)
    }
}
