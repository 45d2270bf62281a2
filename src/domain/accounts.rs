//! Accounts: signup, login, token refresh, the current user, superusers.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::TransactionTrait;
use validator::ValidateEmail;

use super::{
    NO_CONTROL, User, UserId, auth_throttle, has_control,
    passwords::{self, Verdict},
    tokens::{self, Session},
};
use crate::{
    domain::state::AppState,
    error::{Clash, Error, NoCredentials, Result, Validator},
    store::{self, users::NewUser},
};

/// What a new user submits. No `Debug`: it holds a password, and nothing
/// holding one may reach a log line.
#[derive(Clone, Default)]
pub struct SignupInput {
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    pub password_confirm: String,
}

/// Credentials for a login (no `Debug`, as above).
#[derive(Clone, Default)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

const REQUIRED: &str = "This field is required.";
const INVALID_EMAIL: &str = "Enter a valid email address.";

/// The longest email, username and first or last name, in characters after
/// trimming.
pub const EMAIL_MAX: usize = 254;
pub const USERNAME_MAX: usize = 150;
pub const NAME_MAX: usize = 50;

/// Creates an account and signs it in. Every failing field is reported.
/// A valid signup counts against `client`'s address limit.
#[tracing::instrument(skip_all)]
pub async fn signup(state: &AppState, input: SignupInput, client: IpAddr) -> Result<Session> {
    let email = normalize_email(&input.email);
    let username = input.username.trim().to_owned();
    let first_name = input.first_name.trim().to_owned();
    let last_name = input.last_name.trim().to_owned();

    let mut v = Validator::default();
    // Before trimming: a tab or newline at either end is refused too, as the
    // OpenAPI document's pattern says.
    for (field, raw) in [
        ("first_name", &input.first_name),
        ("last_name", &input.last_name),
    ] {
        v.check(has_control(raw), field, NO_CONTROL);
    }
    check_email(&mut v, &email);
    check_username(&mut v, &username);
    check_name(&mut v, "first_name", &first_name);
    check_name(&mut v, "last_name", &last_name);
    check_password(&mut v, &input.password);
    check_password_confirm(&mut v, &input.password, &input.password_confirm);
    check_taken(state, &mut v, &email, &username).await?;
    v.finish()?;

    auth_throttle::admit_signup(state, client).await?;
    let password = hash_in_a_slot(state, input.password).await?;
    let new_user = NewUser {
        email,
        username,
        first_name,
        last_name,
        password,
        is_staff: false,
        is_superuser: false,
    };
    create_session(state, new_user).await
}

/// Creates the user and its first token pair in one transaction. A unique
/// violation here means another signup won a race: report it like the
/// up-front check would.
async fn create_session(state: &AppState, new_user: NewUser) -> Result<Session> {
    let (email, username) = (new_user.email.clone(), new_user.username.clone());
    let txn = state.db.begin().await?;
    let model = match store::users::insert(&txn, new_user, Utc::now()).await {
        Ok(model) => model,
        Err(err) if store::is_unique_violation(&err) => {
            drop(txn);
            let mut v = Validator::default();
            check_taken(state, &mut v, &email, &username).await?;
            v.finish()?;
            return Err(Error::Conflict(Clash::UserExists));
        }
        Err(err) => return Err(err.into()),
    };
    let user = User::from(model);
    let tokens = tokens::issue(&txn, &state.tokens, user.id).await?;
    txn.commit().await?;
    tracing::info!(user.id = user.id.0, "user signed up");
    Ok(Session { user, tokens })
}

/// Hashes a new password once one of the node's hash slots is free (the
/// slots bound how much CPU and memory argon2 may take at once).
async fn hash_in_a_slot(state: &AppState, password: String) -> Result<String> {
    let _slot = state.hash_slots.acquire().await?;
    passwords::hash(password).await
}

/// Checks credentials. Unknown emails, wrong passwords and inactive accounts
/// all look alike and take the same time. Throttled (per address, and per
/// account for addresses that have failed on it) before any hashing.
#[tracing::instrument(skip_all)]
pub async fn login(state: &AppState, input: LoginInput, client: IpAddr) -> Result<Session> {
    let email = normalize_email(&input.email);
    let mut v = Validator::default();
    v.check(email.is_empty(), "email", REQUIRED);
    v.check(input.password.is_empty(), "password", REQUIRED);
    v.finish()?;

    let attempt = auth_throttle::admit_login(state, &email, client).await?;
    let found = find_by_email(state, &email).await?;
    let stored = found.as_ref().map(|m| m.password.clone());
    let verdict = {
        let _slot = state.hash_slots.acquire().await?;
        passwords::verify(input.password, stored).await?
    };
    let (model, rehashed) = match (found, verdict) {
        (Some(model), Verdict::Match { rehashed }) if model.is_active => (model, rehashed),
        (Some(model), Verdict::Unsupported(format)) => {
            log_unsupported(model.id, format);
            attempt.failed(state).await;
            return Err(Error::InvalidCredentials);
        }
        _ => {
            attempt.failed(state).await;
            return Err(Error::InvalidCredentials);
        }
    };
    attempt.succeeded(state).await;
    let old_hash = model.password.clone();
    let user = User::from(model);
    let txn = state.db.begin().await?;
    store::users::touch_last_login(&txn, user.id, Utc::now()).await?;
    if let Some(rehashed) = rehashed {
        // Only if nobody changed the password meanwhile (django-chat may be
        // running beside us during a cutover).
        if store::users::replace_password(&txn, user.id, &old_hash, rehashed).await? {
            tracing::info!(user.id = user.id.0, "password hash upgraded to argon2id");
        }
    }
    let tokens = tokens::issue(&txn, &state.tokens, user.id).await?;
    txn.commit().await?;
    tracing::info!(user.id = user.id.0, "user logged in");
    Ok(Session { user, tokens })
}

/// Exchanges a refresh token for a new pair (single use).
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, refresh: &str) -> Result<Session> {
    if refresh.trim().is_empty() {
        return Err(Error::field("refresh", REQUIRED));
    }
    tokens::rotate(&state.db, &state.tokens, refresh).await
}

/// Resolves a verified access token's user; a deleted or deactivated user is
/// no longer authenticated.
pub async fn current_user(state: &AppState, id: UserId) -> Result<User> {
    match store::users::find_by_id(&state.db, id).await? {
        Some(model) if model.is_active => Ok(User::from(model)),
        _ => Err(Error::Unauthenticated(NoCredentials::InactiveUser)),
    }
}

/// What `chatstream create-superuser` submits (no `Debug`, as above).
#[derive(Clone, Default)]
pub struct SuperuserInput {
    pub email: String,
    pub username: String,
    pub password: String,
}

/// Creates a staff superuser (names are optional, as in Django).
pub async fn create_superuser(state: &AppState, input: SuperuserInput) -> Result<User> {
    let email = normalize_email(&input.email);
    let username = input.username.trim().to_owned();
    let mut v = Validator::default();
    check_email(&mut v, &email);
    check_username(&mut v, &username);
    check_password(&mut v, &input.password);
    check_taken(state, &mut v, &email, &username).await?;
    v.finish()?;
    let password = hash_in_a_slot(state, input.password).await?;
    let new_user = NewUser {
        email,
        username,
        first_name: String::new(),
        last_name: String::new(),
        password,
        is_staff: true,
        is_superuser: true,
    };
    Ok(create_session(state, new_user).await?.user)
}

/// The account an email names, in any case. An email with a control
/// character names no one, and is not sent to the database (PostgreSQL
/// cannot even hold a NUL).
pub(crate) async fn find_by_email(
    state: &AppState,
    email: &str,
) -> Result<Option<entity::users::Model>> {
    if has_control(email) {
        return Ok(None);
    }
    Ok(store::users::find_by_email(&state.db, email).await?)
}

/// A stored hash chatstream does not verify is reported once per format
/// (at `warn`: an operator has accounts to reset), later ones at `debug`,
/// so a client retrying such a login cannot flood the log.
fn log_unsupported(user: i64, format: &'static str) {
    static SEEN: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.contains(&format) {
        tracing::debug!(
            user.id = user,
            password.format = format,
            "login refused: unsupported password hash"
        );
    } else {
        seen.push(format);
        tracing::warn!(
            user.id = user,
            password.format = format,
            "login refused: the stored password hash is in a format chatstream does not verify \
             (reported once per format)"
        );
    }
}

/// Emails compare case-insensitively everywhere; storing them lower-cased
/// makes the unique index do that on SQLite and PostgreSQL alike.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Emails and usernames are unique; one query checks both. A value that
/// already failed its own checks is not looked up: it cannot be stored
/// anyway, and a NUL cannot even be sent to PostgreSQL.
async fn check_taken(
    state: &AppState,
    v: &mut Validator,
    email: &str,
    username: &str,
) -> Result<()> {
    let email = (!v.has("email")).then_some(email);
    let username = (!v.has("username")).then_some(username);
    let (email_taken, username_taken) = store::users::taken(&state.db, email, username).await?;
    v.check(
        email_taken,
        "email",
        "A user with this email already exists.",
    );
    v.check(
        username_taken,
        "username",
        "A user with that username already exists.",
    );
    Ok(())
}

fn check_email(v: &mut Validator, email: &str) {
    if email.is_empty() {
        v.add("email", REQUIRED);
    } else if email.chars().count() > EMAIL_MAX || has_control(email) || !email.validate_email() {
        v.add("email", INVALID_EMAIL);
    }
}

fn check_username(v: &mut Validator, username: &str) {
    let len = username.chars().count();
    if len == 0 {
        v.add("username", REQUIRED);
    } else if len > USERNAME_MAX {
        v.add(
            "username",
            format!("Ensure this field has no more than {USERNAME_MAX} characters."),
        );
    } else if !username
        .chars()
        .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
    {
        v.add(
            "username",
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        );
    }
}

fn check_name(v: &mut Validator, field: &str, value: &str) {
    let len = value.chars().count();
    if len == 0 {
        v.add(field, REQUIRED);
    } else if len > NAME_MAX {
        v.add(
            field,
            format!("Ensure this field has no more than {NAME_MAX} characters."),
        );
    }
}

fn check_password(v: &mut Validator, password: &str) {
    let len = password.chars().count();
    if len == 0 {
        v.add("password", REQUIRED);
        return;
    }
    v.check(
        len < 10,
        "password",
        "Password must be at least 10 characters long.",
    );
    v.check(
        len > 128,
        "password",
        "Password must be at most 128 characters long.",
    );
    v.check(
        !password.chars().any(char::is_uppercase),
        "password",
        "Password must contain at least one uppercase letter.",
    );
    v.check(
        !password.chars().any(char::is_lowercase),
        "password",
        "Password must contain at least one lowercase letter.",
    );
    v.check(
        !password.chars().any(|c| c.is_ascii_digit()),
        "password",
        "Password must contain at least one digit.",
    );
    v.check(
        password.chars().all(char::is_alphanumeric),
        "password",
        "Password must contain at least one special character.",
    );
}

/// An empty confirmation is missing, not a mismatch: without this, a body
/// with neither password reported only `password`.
fn check_password_confirm(v: &mut Validator, password: &str, confirm: &str) {
    if confirm.is_empty() {
        v.add("password_confirm", REQUIRED);
    } else {
        v.check(
            password != confirm,
            "password_confirm",
            "Passwords do not match.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password_errors(password: &str) -> usize {
        let mut v = Validator::default();
        check_password(&mut v, password);
        match v.finish() {
            Ok(()) => 0,
            Err(Error::Validation(fields)) => fields.get("password").map_or(0, Vec::len),
            Err(_) => usize::MAX,
        }
    }

    #[test]
    fn password_rules() {
        assert_eq!(password_errors("Str0ng-Passw0rd"), 0);
        assert_eq!(password_errors("short1A!"), 1);
        assert_eq!(password_errors("alllowercase"), 3);
        assert_eq!(password_errors(&format!("Aa1!{}", "x".repeat(125))), 1);
        assert_eq!(password_errors("NoDigitsHere!"), 1);
    }

    #[test]
    fn usernames_allow_letters_digits_and_symbols() {
        let ok = |u: &str| {
            let mut v = Validator::default();
            check_username(&mut v, u);
            v.finish().is_ok()
        };
        assert!(ok("alice.b+c-d_e@x"));
        assert!(ok("zoë"));
        assert!(!ok("has space"));
        assert!(!ok("semi;colon"));
        assert!(!ok(&"a".repeat(151)));
    }
}
