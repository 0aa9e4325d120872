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

async fn sign_up(
    state: web::Data<AppState>,
    client: ClientAddress,
    request: web::Json<api::SignupRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::sign_up(&state, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Created(), &signed_in)
}

async fn log_in(
    state: web::Data<AppState>,
    client: ClientAddress,
    request: web::Json<api::LoginRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::log_in(&state, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Ok(), &signed_in)
}

async fn log_out(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    service::log_out(&state, &user, &client).await?;
    Ok(HttpResponse::NoContent()
        .cookie(state.sessions.cleared())
        .finish())
}

async fn get_me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let signed_in = service::me(&state, &user).await?;
    Ok(HttpResponse::Ok().json(wire::me(
        &signed_in.user,
        &signed_in.organization,
        state.mailer.is_some(),
    )))
}

async fn change_password(
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

async fn change_name(
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

async fn change_email(
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
