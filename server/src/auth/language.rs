//! The console language a user chose, kept with their account so it follows them.

use actix_web::{HttpResponse, web};
use entity::user;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};

use super::service;
use crate::error::ApiResult;
use crate::extract::AuthUser;
use crate::state::AppState;
use crate::wire;

/// Sets the console's language for this user, wherever they log in.
#[utoipa::path(
    put,
    path = "/api/me/language",
    tag = "accounts",
    security(("session" = [])),
    request_body = api::ChangeLanguageRequest,
    responses((status = 200, description = "Changed: the new `MeResponse`.", body = api::MeResponse)),
)]
pub async fn change_language(
    state: web::Data<AppState>,
    user: AuthUser,
    request: web::Json<api::ChangeLanguageRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::me(&state, &user).await?;
    let mut row = signed_in.user.into_active_model();
    row.language = Set(Some(request.language));
    let updated: user::Model = row.update(&state.db).await?;
    Ok(HttpResponse::Ok().json(wire::me(
        &updated,
        &signed_in.organization,
        state.mailer.is_some(),
    )))
}
