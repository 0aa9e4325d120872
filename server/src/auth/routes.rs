use actix_web::{HttpResponse, web};

use super::service::{self, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, ClientAddress};
use crate::state::AppState;
use crate::wire;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup", web::post().to(sign_up))
        .route("/login", web::post().to(log_in))
        .route("/logout", web::post().to(log_out))
        .route("/me", web::get().to(get_me))
        .route(
            "/me/language",
            web::put().to(super::language::change_language),
        )
        .route("/me/password", web::put().to(change_password))
        .route("/me/name", web::put().to(change_name))
        .route("/me/email", web::put().to(change_email));
}

/// The cookie that carries a new session for `signed_in`.
fn session_cookie(
    state: &AppState,
    signed_in: &SignedIn,
) -> ApiResult<actix_web::cookie::Cookie<'static>> {
    state
        .sessions
        .issue(
            signed_in.user.id,
            signed_in.user.org_id,
            signed_in.user.token_version,
        )
        .map_err(ApiError::internal)
}

/// Answers with who is now logged in, and the session cookie that says so.
pub fn session_response(
    state: &AppState,
    mut response: actix_web::HttpResponseBuilder,
    signed_in: &SignedIn,
) -> ApiResult<HttpResponse> {
    let cookie = session_cookie(state, signed_in)?;
    Ok(response.cookie(cookie).json(wire::me(
        &signed_in.user,
        &signed_in.organization,
        state.mailer.is_some(),
    )))
}

/// Creates an organization and its first admin, and logs them in.
#[utoipa::path(
    post,
    path = "/api/signup",
    tag = "accounts",
    request_body = api::SignupRequest,
    responses(
        (status = 201, description = "Signed up and logged in.", body = api::MeResponse, headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 409, description = "`email_taken`: an account has this e-mail address.", body = api::ErrorBody),
        (status = 422, description = "`weak_password`, `invalid_email`: the password or the address does not do.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many sign-ups from this address; `Retry-After` says how long to wait.", body = api::ErrorBody),
    ),
)]
pub async fn sign_up(
    state: web::Data<AppState>,
    client: ClientAddress,
    request: web::Json<api::SignupRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::sign_up(&state, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Created(), &signed_in)
}

/// Logs in with an e-mail address and a password.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "accounts",
    request_body = api::LoginRequest,
    responses(
        (status = 200, description = "Logged in.", body = api::MeResponse, headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 401, description = "`invalid_credentials`: the e-mail address or the password is wrong.", body = api::ErrorBody),
        (status = 403, description = "`account_deactivated`: an admin deactivated the account; `organization_disabled`: the organization is disabled.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many failed log-ins for this account or address; `Retry-After` says how long to wait.", body = api::ErrorBody),
    ),
)]
pub async fn log_in(
    state: web::Data<AppState>,
    client: ClientAddress,
    request: web::Json<api::LoginRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::log_in(&state, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Ok(), &signed_in)
}

/// Logs out: this session ends and its cookie is cleared.
///
/// Sends no body (but `Content-Type: application/json`, the CSRF rule).
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 204, description = "Logged out.", headers(("Set-Cookie" = String, description = "Clears the session cookie."))),
    ),
)]
pub async fn log_out(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    service::log_out(&state, &user, &client).await?;
    Ok(HttpResponse::NoContent()
        .cookie(state.sessions.cleared())
        .finish())
}

/// Who is logged in, in which organization, with which role.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "accounts",
    security(("session" = [])),
    responses((status = 200, description = "The session's account.", body = api::MeResponse)),
)]
pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let signed_in = service::me(&state, &user).await?;
    Ok(HttpResponse::Ok().json(wire::me(
        &signed_in.user,
        &signed_in.organization,
        state.mailer.is_some(),
    )))
}

/// Changes the password: every other session of the account ends, this one goes on.
#[utoipa::path(
    put,
    path = "/api/me/password",
    tag = "accounts",
    security(("session" = [])),
    request_body = api::ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed.", headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 403, description = "`wrong_password`: the current password is wrong.", body = api::ErrorBody),
        (status = 422, description = "`weak_password`: the new password is too short, too long or too common.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many wrong passwords; `Retry-After` says how long to wait.", body = api::ErrorBody),
    ),
)]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientAddress,
    request: web::Json<api::ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::change_password(&state, &user, request.into_inner(), &client).await?;
    // This session goes on with the new token version; the others end.
    Ok(HttpResponse::NoContent()
        .cookie(session_cookie(&state, &signed_in)?)
        .finish())
}

/// Changes the name others see.
#[utoipa::path(
    put,
    path = "/api/me/name",
    tag = "accounts",
    security(("session" = [])),
    request_body = api::ChangeNameRequest,
    responses((status = 200, description = "Changed.", body = api::MeResponse)),
)]
pub async fn change_name(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientAddress,
    request: web::Json<api::ChangeNameRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::change_name(&state, &user, request.into_inner(), &client).await?;
    Ok(HttpResponse::Ok().json(wire::me(
        &signed_in.user,
        &signed_in.organization,
        state.mailer.is_some(),
    )))
}

/// Changes the e-mail address to log in with, confirmed by the current password.
#[utoipa::path(
    put,
    path = "/api/me/email",
    tag = "accounts",
    security(("session" = [])),
    request_body = api::ChangeEmailRequest,
    responses(
        (status = 200, description = "Changed; the sessions stay open.", body = api::MeResponse, headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 403, description = "`wrong_password`: the current password is wrong.", body = api::ErrorBody),
        (status = 409, description = "`email_taken`: an account has this address.", body = api::ErrorBody),
        (status = 422, description = "`invalid_email`: the address is not one.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many wrong passwords; `Retry-After` says how long to wait.", body = api::ErrorBody),
    ),
)]
pub async fn change_email(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientAddress,
    request: web::Json<api::ChangeEmailRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::change_email(&state, &user, request.into_inner(), &client).await?;
    // This session goes on with the new token version; the others end.
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, &signed_in)?)
        .json(wire::me(
            &signed_in.user,
            &signed_in.organization,
            state.mailer.is_some(),
        )))
}
