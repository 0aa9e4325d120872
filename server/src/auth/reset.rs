//! "Forgot password?": a link e-mailed to the account's address, single-use and short-lived,
//! its token kept only as its SHA-256. Asking never tells whether an address has an account;
//! using the link sets the password, ends every other session and logs in.

use actix_web::{HttpResponse, web};
use api::{ErrorCode, MailPurpose, MemberStatus};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::InOrg;
use entity::{password_reset, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use time::{Duration, OffsetDateTime};

use super::password::check_new_password;
use super::routes::session_response;
use super::service::{SignedIn, find_by_email, too_many, with_organization, with_sessions_ended};
use crate::audit::{self, Actor};
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientAddress;
use crate::i18n::{Text, msg};
use crate::mail::{self, compose};
use crate::secrets::token_hash;
use crate::state::AppState;
use crate::validate;

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/password-reset", web::post().to(ask)).service(
        web::resource("/password-reset/{token}")
            .route(web::get().to(preview))
            .route(web::post().to(complete)),
    );
}

/// Asks for a password reset link, e-mailed if the address has an account.
///
/// The answer is the same either way: it never says whether an account exists.
#[utoipa::path(
    post,
    path = "/api/password-reset",
    tag = "accounts",
    request_body = api::PasswordResetRequest,
    responses(
        (status = 202, description = "Asked (a link is on its way if the address has an account)."),
        (status = 422, description = "`invalid_email`: the address is not one.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many requests from this address; `Retry-After` says how long to wait.", body = api::ErrorBody),
        (status = 503, description = "`mail_not_configured`: this Stagepad sends no e-mail.", body = api::ErrorBody),
    ),
)]
pub async fn ask(
    state: web::Data<AppState>,
    client: ClientAddress,
    request: web::Json<api::PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    request_reset(&state, request.into_inner(), &client).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// The account a password reset link is for.
#[utoipa::path(
    get,
    path = "/api/password-reset/{token}",
    tag = "accounts",
    params(("token" = String, Path, description = "The token of the link e-mailed.")),
    responses(
        (status = 200, description = "The link works.", body = api::PasswordResetPreview),
        (status = 404, description = "`reset_link_not_found`: the link was used, replaced or expired.", body = api::ErrorBody),
    ),
)]
pub async fn preview(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (reset, user) = open_reset(&state, &token).await?;
    Ok(HttpResponse::Ok().json(api::PasswordResetPreview {
        email: user.email,
        expires_at: reset.expires_at,
    }))
}

/// Sets the new password with a reset link, ends every other session and logs in.
#[utoipa::path(
    post,
    path = "/api/password-reset/{token}",
    tag = "accounts",
    params(("token" = String, Path, description = "The token of the link e-mailed.")),
    request_body = api::CompletePasswordResetRequest,
    responses(
        (status = 200, description = "Set and logged in.", body = api::MeResponse, headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 404, description = "`reset_link_not_found`: the link was used, replaced or expired.", body = api::ErrorBody),
        (status = 422, description = "`weak_password`: the password is too short, too long or too common.", body = api::ErrorBody),
    ),
)]
pub async fn complete(
    state: web::Data<AppState>,
    client: ClientAddress,
    token: web::Path<String>,
    request: web::Json<api::CompletePasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = complete_reset(&state, &token, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Ok(), &signed_in)
}

fn link_not_found() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        ErrorCode::ResetLinkNotFound,
        msg(Text::MailResetNotFound),
    )
}

pub fn mail_not_configured() -> ApiError {
    ApiError::service_unavailable(
        ErrorCode::MailNotConfigured,
        msg(Text::MailErrorNotConfigured),
    )
}

/// E-mails a reset link when the address is an active account's; says the same either way,
/// and as fast: the account is looked up after the answer, so its time tells nothing.
pub async fn request_reset(
    state: &AppState,
    request: api::PasswordResetRequest,
    client: &ClientAddress,
) -> ApiResult<()> {
    if state.settings.mail.is_none() {
        return Err(mail_not_configured());
    }
    let email = validate::email(&request.email)?;
    state
        .throttle
        .password_reset(client)
        .map_err(|wait| too_many(Text::MailResetTooMany, wait))?;
    let state = state.clone();
    let client = *client;
    let locale = crate::i18n::request_locale();
    tokio::spawn(async move {
        if let Err(e) = mail_reset_link(&state, &email, locale, &client).await {
            tracing::error!(error = %e, "a password reset link could not be queued");
        }
    });
    Ok(())
}

/// The part of a reset request that depends on the account.
async fn mail_reset_link(
    state: &AppState,
    email: &str,
    request_locale: api::i18n::Locale,
    client: &ClientAddress,
) -> ApiResult<()> {
    let Some(outbox) = state.outbox() else {
        return Ok(());
    };
    let Some(user) = find_by_email(&state.db, email).await? else {
        return Ok(());
    };
    if user.status != MemberStatus::Active || mail::deliverable(email).is_err() {
        return Ok(());
    }
    // A disabled organization's members get no link (the answer was the same 202 already:
    // it tells nothing about the account).
    if crate::orgs::service::is_disabled(&state.db, user.org_id).await? {
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let locale = user.language.unwrap_or(request_locale);
    let link = format!("{}/reset-password/{token}", state.settings.public_url);
    let composed = compose::password_reset(locale, &user.email, &link, RESET_MINUTES);
    let txn = state.db.begin().await?;
    // Only the newest link works: requests take turns (the organization's mail turn), so two
    // at once cannot both leave a link open.
    mail::take_turn(&txn, user.org_id).await?;
    // The account as it is now, in turn: an e-mail change (which takes the turn too) may have
    // closed the links since it was read, and this link must not go to the old address.
    let still = user::Entity::find_in_org(user.org_id)
        .filter(user::Column::Id.eq(user.id))
        .one(&txn)
        .await?
        .is_some_and(|now| now.email == user.email && now.status == MemberStatus::Active);
    if !still {
        return Ok(());
    }
    password_reset::Entity::update_in_org(user.org_id)
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(user.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    password_reset::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.id),
        org_id: Set(user.org_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(RESET_MINUTES)),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let draft = mail::Draft {
        purpose: MailPurpose::PasswordReset,
        recipient: user.email.clone(),
        locale,
        subject: composed.subject,
        text: composed.text,
        html: composed.html,
        invitation_id: None,
        pad_id: None,
        requested_by: None,
    };
    if let Err(wait) = mail::queue(&txn, &outbox, user.org_id, draft, now).await? {
        // Said nowhere but the log (a 429 would tell that the account exists); the new link
        // and the closing of the older ones go back with the transaction.
        tracing::info!(user_id = %user.id, wait_secs = wait.as_secs(), "password reset not e-mailed: the address had its mails for the hour");
        return Ok(());
    }
    audit::record(
        &txn,
        user.org_id,
        actor(&user),
        "password_reset_asked",
        msg(Text::AuditDetailPasswordResetAsked),
        client,
    )
    .await?;
    txn.commit().await?;
    state.job_signal.wake();
    Ok(())
}

/// Closes every open reset link of the user: its password or e-mail changed, so a link sent
/// before (perhaps to the old address) must not work.
pub async fn close_links(
    db: &impl sea_orm::ConnectionTrait,
    user: &user::Model,
) -> Result<(), sea_orm::DbErr> {
    password_reset::Entity::update_in_org(user.org_id)
        .col_expr(
            password_reset::Column::UsedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(password_reset::Column::UserId.eq(user.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn actor(user: &user::Model) -> Actor {
    Actor {
        user_id: Some(user.id),
        label: Some(super::service::label(user)),
    }
}

/// The link's reset and its account, while the link works and the account may log in; a
/// disabled organization's link is refused (not used up: it works again once enabled).
async fn open_reset(
    state: &AppState,
    token: &str,
) -> ApiResult<(password_reset::Model, user::Model)> {
    let now = OffsetDateTime::now_utc();
    let Some(reset) = password_reset::Entity::find_by_id(token_hash(token))
        .one(&state.db)
        .await?
        .filter(|reset| reset.is_open(now))
    else {
        return Err(link_not_found());
    };
    let user = user::Entity::find_in_org(reset.org_id)
        .filter(user::Column::Id.eq(reset.user_id))
        .one(&state.db)
        .await?
        .filter(|user| user.status == MemberStatus::Active)
        .ok_or_else(link_not_found)?;
    if crate::orgs::service::is_disabled(&state.db, reset.org_id).await? {
        return Err(crate::orgs::service::refused_while_disabled());
    }
    Ok((reset, user))
}

pub async fn complete_reset(
    state: &AppState,
    token: &str,
    request: api::CompletePasswordResetRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let (reset, user) = open_reset(state, token).await?;
    check_new_password(&request.password, &user.email)?;
    let hash = state.passwords.hash(request.password).await?;
    let now = OffsetDateTime::now_utc();
    let txn = state.db.begin().await?;
    // Reset links are made and closed in the organization's mail turn: take it first.
    mail::take_turn(&txn, reset.org_id).await?;
    // Claimed once: of two uses at the same moment, one wins; then every other open link of
    // the account closes too.
    let claimed = password_reset::Entity::update_in_org(reset.org_id)
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::TokenHash.eq(&reset.token_hash))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(link_not_found());
    }
    close_links(&txn, &user).await?;
    let mut changed: user::ActiveModel = user.clone().into();
    changed.password_hash = Set(hash);
    changed.update(&txn).await?;
    let updated = with_sessions_ended(&txn, &user).await?;
    audit::record(
        &txn,
        user.org_id,
        actor(&user),
        "password_reset",
        msg(Text::AuditDetailPasswordReset),
        client,
    )
    .await?;
    txn.commit().await?;
    // The log-in throttle forgets this account's failures: its owner just proved the mailbox.
    state
        .throttle
        .log_in_succeeded(&super::throttle::LogInAttempt::new(&user.email, client));
    with_organization(&state.db, updated).await
}
