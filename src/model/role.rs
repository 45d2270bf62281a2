//! A participant's role, as django-chat stores it: a leaf the backends may
//! use (the membership cache keeps roles) without reaching the services.

use crate::error::{Error, Result};

/// A participant's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    /// As django-chat stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// A stored role; anything else is a storage error, not a member in
    /// disguise (an unknown value could be a privilege written by a newer
    /// or foreign writer).
    pub fn parse(stored: &str) -> Result<Role> {
        match stored {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(Error::Storage(anyhow::anyhow!(
                "unknown participant role {other:?} in the participants table"
            ))),
        }
    }
}
