//! A user as every surface shows it.

use super::ids::UserId;

/// A user as every surface shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

impl User {
    /// "First Last", trimmed, as django-chat's `get_full_name`.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

impl From<entity::users::Model> for User {
    fn from(model: entity::users::Model) -> Self {
        Self {
            id: UserId(model.id),
            email: model.email,
            username: model.username,
            first_name: model.first_name,
            last_name: model.last_name,
        }
    }
}
