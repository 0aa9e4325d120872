//! Sign-up, log-in, log-out, and changes to one's name, e-mail and password. Handlers stay thin;
//! the rules live here.

use api::{ErrorCode, OrgId, UserId};
use entity::InOrg;
use entity::{organization, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr,
    TransactionTrait,
};
use time::OffsetDateTime;

use crate::audit::{self, Actor};
use crate::auth::password::check_new_password;
use crate::auth::throttle::LogInAttempt;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, ClientAddress};
use crate::i18n::{Message, Text, msg, plan_name};
use crate::state::AppState;
use crate::validate;

/// A user with their organization: what a new session is issued for.
pub struct SignedIn {
    pub user: user::Model,
    pub organization: organization::Model,
}

fn email_taken() -> ApiError {
    ApiError::conflict(ErrorCode::EmailTaken, msg(Text::AuthEmailTaken))
}

/// 429 with `Retry-After`, in whole seconds rounded up.
pub fn too_many(message: impl Into<Message>, wait: std::time::Duration) -> ApiError {
    ApiError::too_many_requests(message, wait.as_secs_f64().ceil() as u64)
}

fn wrong_password() -> ApiError {
    ApiError::forbidden(ErrorCode::WrongPassword, msg(Text::AuthWrongPassword))
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::InvalidCredentials,
        msg(Text::AuthInvalidCredentials),
    )
}

/// The session names no user any more (the same answer as with no session).
fn not_logged_in() -> ApiError {
    ApiError::unauthorized(ErrorCode::NotLoggedIn, msg(Text::RequestNotLoggedIn))
}

/// Maps a unique-constraint violation on insert to the answer the caller gives.
pub fn on_unique_violation(error: sea_orm::DbErr, answer: fn() -> ApiError) -> ApiError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => answer(),
        _ => ApiError::internal(error),
    }
}

pub async fn sign_up(
    state: &AppState,
    request: api::SignupRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let org_name = validate::name("org_name", &request.org_name)?;
    let name = validate::name("name", &request.name)?;
    let email = validate::email(&request.email)?;
    check_new_password(&request.password, &email)?;
    // Counted before the lookup and the hashing: a flood must neither use up the hashing that
    // log-ins need nor probe which e-mails have accounts.
    state
        .throttle
        .sign_up(client)
        .map_err(|wait| too_many(Text::AuthTooManySignUps, wait))?;
    if find_by_email(&state.db, &email).await?.is_some() {
        return Err(email_taken());
    }
    let password_hash = state.passwords.hash(request.password).await?;
    let now = OffsetDateTime::now_utc();

    let txn = state.db.begin().await?;
    let organization = organization::ActiveModel {
        id: Set(OrgId::random()),
        name: Set(org_name),
        plan: Set(crate::wire::db_plan(request.plan)),
        created_at: Set(now),
        disabled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let user = new_user(
        organization.id,
        email,
        name,
        password_hash,
        user::Role::Admin,
        now,
    )
    .insert(&txn)
    .await
    .map_err(|e| on_unique_violation(e, email_taken))?;
    audit::record(
        &txn,
        organization.id,
        Actor {
            user_id: Some(user.id),
            label: Some(label(&user)),
        },
        "signed_up",
        msg(Text::AuditDetailSignedUp)
            .with("organization", format!("{:?}", organization.name))
            .with_text("plan", plan_name(request.plan)),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(SignedIn { user, organization })
}

pub fn new_user(
    org_id: OrgId,
    email: String,
    name: String,
    password_hash: String,
    role: user::Role,
    now: OffsetDateTime,
) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(UserId::random()),
        org_id: Set(org_id),
        email: Set(email),
        name: Set(name),
        password_hash: Set(password_hash),
        role: Set(role),
        status: Set(user::Status::Active),
        token_version: Set(0),
        created_at: Set(now),
        language: Set(None),
    }
}

pub fn label(user: &user::Model) -> String {
    format!("{} <{}>", user.name, user.email)
}

/// Log-in is the one lookup that comes before any tenant is known: by email, across all.
pub(super) async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> ApiResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

pub async fn log_in(
    state: &AppState,
    request: api::LoginRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let attempt = LogInAttempt::new(&request.email, client);
    if let Err(wait) = state.throttle.check_log_in(&attempt) {
        return Err(too_many(Text::AuthTooManyLogIns, wait));
    }
    // A malformed e-mail matches no account: refused like a wrong password, without hashing.
    let user = match attempt.email() {
        Some(email) => find_by_email(&state.db, email).await?,
        None => {
            state.throttle.log_in_failed(&attempt);
            return Err(invalid_credentials());
        }
    };
    let matches = state
        .passwords
        .verify(
            request.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let user = match user {
        Some(user) if matches => user,
        known => {
            state.throttle.log_in_failed(&attempt);
            if let Some(user) = known {
                let actor = Actor {
                    user_id: Some(user.id),
                    label: Some(label(&user)),
                };
                audit::record(
                    &state.db,
                    user.org_id,
                    actor,
                    "login_failed",
                    msg(Text::AuditDetailWrongPassword),
                    client,
                )
                .await?;
            }
            return Err(invalid_credentials());
        }
    };
    let actor = || Actor {
        user_id: Some(user.id),
        label: Some(label(&user)),
    };
    if user.status != user::Status::Active {
        audit::record(
            &state.db,
            user.org_id,
            actor(),
            "login_failed",
            msg(Text::AuditDetailAccountDeactivated),
            client,
        )
        .await?;
        return Err(ApiError::forbidden(
            ErrorCode::AccountDeactivated,
            msg(Text::AuthAccountDeactivated),
        ));
    }
    if crate::orgs::service::is_disabled(&state.db, user.org_id).await? {
        audit::record(
            &state.db,
            user.org_id,
            actor(),
            "login_failed",
            msg(Text::AuditDetailOrganizationIsDisabled),
            client,
        )
        .await?;
        return Err(crate::orgs::service::refused_while_disabled());
    }
    state.throttle.log_in_succeeded(&attempt);
    audit::record(
        &state.db,
        user.org_id,
        actor(),
        "logged_in",
        msg(Text::AuditDetailLoggedIn),
        client,
    )
    .await?;
    with_organization(&state.db, user).await
}

/// The user with their organization, for the answer that says who is logged in.
pub(super) async fn with_organization(
    db: &DatabaseConnection,
    user: user::Model,
) -> ApiResult<SignedIn> {
    let organization = organization::Entity::find_by_id(user.org_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user without organization")))?;
    Ok(SignedIn { user, organization })
}

/// The logged-in user's row, as it is now.
async fn current_user(state: &AppState, user: &AuthUser) -> ApiResult<user::Model> {
    user::Entity::find_in_org(user.org_id)
        .filter(user::Column::Id.eq(user.user_id))
        .one(&state.db)
        .await?
        .ok_or_else(not_logged_in)
}

/// Checks the current password of someone logged in who changes their e-mail or password.
/// Failures count with log-in's, for the same account and address: a session left open is no
/// faster a password oracle than the log-in form.
async fn confirm_password(
    state: &AppState,
    current: &user::Model,
    password: String,
    client: &ClientAddress,
) -> ApiResult<()> {
    let attempt = LogInAttempt::new(&current.email, client);
    if let Err(wait) = state.throttle.check_log_in(&attempt) {
        return Err(too_many(Text::AuthTooManyWrongPasswords, wait));
    }
    let matches = state
        .passwords
        .verify(password, Some(current.password_hash.clone()))
        .await?;
    if !matches {
        state.throttle.log_in_failed(&attempt);
        return Err(wrong_password());
    }
    state.throttle.log_in_succeeded(&attempt);
    Ok(())
}

/// Ends every session of the user (the token version moves on).
pub async fn log_out(state: &AppState, user: &AuthUser, client: &ClientAddress) -> ApiResult<()> {
    let txn = state.db.begin().await?;
    bump_token_version(&txn, user.org_id, user.user_id).await?;
    audit::record(
        &txn,
        user.org_id,
        user.into(),
        "logged_out",
        msg(Text::AuditDetailLoggedOut),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn bump_token_version(
    db: &impl sea_orm::ConnectionTrait,
    org_id: OrgId,
    user_id: UserId,
) -> ApiResult<()> {
    user::Entity::update_in_org(org_id)
        .col_expr(
            user::Column::TokenVersion,
            Expr::col(user::Column::TokenVersion).add(1),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of `user` and reads them back with their new token version (counted up
/// in the database, so that a log-out everywhere at the same moment is not undone), for the
/// caller to issue its own session anew.
pub(super) async fn with_sessions_ended(
    db: &impl sea_orm::ConnectionTrait,
    user: &user::Model,
) -> ApiResult<user::Model> {
    bump_token_version(db, user.org_id, user.id).await?;
    user::Entity::find_in_org(user.org_id)
        .filter(user::Column::Id.eq(user.id))
        .one(db)
        .await?
        .ok_or_else(not_logged_in)
}

/// Changes the password and ends the user's other sessions; the caller re-issues this one.
pub async fn change_password(
    state: &AppState,
    user: &AuthUser,
    request: api::ChangePasswordRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let current = current_user(state, user).await?;
    confirm_password(state, &current, request.current_password, client).await?;
    check_new_password(&request.new_password, &current.email)?;
    let hash = state.passwords.hash(request.new_password).await?;
    let txn = state.db.begin().await?;
    // Reset links are made and closed in the organization's mail turn: take it first.
    crate::mail::take_turn(&txn, user.org_id).await?;
    let mut changed: user::ActiveModel = current.clone().into();
    changed.password_hash = Set(hash);
    changed.update(&txn).await?;
    let updated = with_sessions_ended(&txn, &current).await?;
    super::reset::close_links(&txn, &current).await?;
    audit::record(
        &txn,
        user.org_id,
        user.into(),
        "password_changed",
        msg(Text::AuditDetailPasswordChanged),
        client,
    )
    .await?;
    txn.commit().await?;
    with_organization(&state.db, updated).await
}

/// Changes the name the user goes by.
pub async fn change_name(
    state: &AppState,
    user: &AuthUser,
    request: api::ChangeNameRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let name = validate::name("name", &request.name)?;
    let current = current_user(state, user).await?;
    if current.name == name {
        return with_organization(&state.db, current).await;
    }
    let txn = state.db.begin().await?;
    let mut changed: user::ActiveModel = current.clone().into();
    changed.name = Set(name);
    let updated = changed.update(&txn).await?;
    audit::record(
        &txn,
        user.org_id,
        user.into(),
        "name_changed",
        msg(Text::AuditDetailNameChanged)
            .with("old", format!("{:?}", current.name))
            .with("new", format!("{:?}", updated.name)),
        client,
    )
    .await?;
    txn.commit().await?;
    with_organization(&state.db, updated).await
}

fn email_in_use() -> ApiError {
    ApiError::conflict(ErrorCode::EmailTaken, msg(Text::AuthEmailInUse))
}

/// Changes the address the user logs in with, once their password confirms it is them. Like a
/// new password, it ends the user's other sessions (someone who took over one could otherwise
/// keep it after the owner moved the account to a new address); the caller's goes on.
pub async fn change_email(
    state: &AppState,
    user: &AuthUser,
    request: api::ChangeEmailRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let email = validate::email(&request.new_email)?;
    let current = current_user(state, user).await?;
    confirm_password(state, &current, request.current_password, client).await?;
    if current.email == email {
        return with_organization(&state.db, current).await;
    }
    // Asked only after the password, and only a few times an hour: a session alone cannot
    // probe which addresses have accounts, nor one with its own password at will.
    state
        .throttle
        .email_change(current.id)
        .map_err(|wait| too_many(Text::AuthTooManyEmailChanges, wait))?;
    if find_by_email(&state.db, &email).await?.is_some() {
        return Err(email_in_use());
    }
    let txn = state.db.begin().await?;
    // Reset links are made and closed in the organization's mail turn: take it first.
    crate::mail::take_turn(&txn, user.org_id).await?;
    let mut changed: user::ActiveModel = current.clone().into();
    changed.email = Set(email);
    changed
        .update(&txn)
        .await
        .map_err(|e| on_unique_violation(e, email_in_use))?;
    let updated = with_sessions_ended(&txn, &current).await?;
    super::reset::close_links(&txn, &current).await?;
    audit::record(
        &txn,
        user.org_id,
        user.into(),
        "email_changed",
        msg(Text::AuditDetailEmailChanged)
            .with("old", &current.email)
            .with("new", &updated.email),
        client,
    )
    .await?;
    txn.commit().await?;
    with_organization(&state.db, updated).await
}

pub async fn me(state: &AppState, user: &AuthUser) -> ApiResult<SignedIn> {
    let found = user::Entity::find_in_org(user.org_id)
        .filter(user::Column::Id.eq(user.user_id))
        .find_also_related(organization::Entity)
        .one(&state.db)
        .await?;
    match found {
        Some((user, Some(organization))) => Ok(SignedIn { user, organization }),
        _ => Err(not_logged_in()),
    }
}
