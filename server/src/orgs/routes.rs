use actix_web::{HttpResponse, web};
use api::{InvitationId, UserId};

use super::service;
use crate::auth::routes::session_response;
use crate::error::ApiResult;
use crate::extract::{AdminUser, AuthUser, ClientAddress};
use crate::state::AppState;
use crate::wire;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organization", web::get().to(get_organization))
        .route("/organization/plan", web::put().to(change_plan))
        .route("/organization/name", web::put().to(rename_organization))
        .route("/members", web::get().to(list_members))
        .service(
            web::resource("/members/{id}")
                .route(web::patch().to(update_member))
                .route(web::delete().to(remove_member)),
        )
        .route("/invitations", web::post().to(create_invitation))
        // One resource: the id (admins revoking) and the link's token (invitees) share a path.
        .service(
            web::resource("/invitations/{id_or_token}")
                .route(web::get().to(preview_invitation))
                .route(web::delete().to(revoke_invitation)),
        )
        .route(
            "/invitations/{token}/accept",
            web::post().to(accept_invitation),
        )
        .route(
            "/invitations/{id}/resend",
            web::post().to(resend_invitation),
        );
}

async fn get_organization(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let org = service::organization(&state, &user).await?;
    Ok(HttpResponse::Ok().json(wire::organization(&org)))
}

async fn change_plan(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    request: web::Json<api::ChangePlanRequest>,
) -> ApiResult<HttpResponse> {
    let org = service::change_plan(&state, &admin, request.plan, &client).await?;
    Ok(HttpResponse::Ok().json(wire::organization(&org)))
}

async fn rename_organization(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    request: web::Json<api::RenameOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let org = service::rename_organization(&state, &admin, request.into_inner(), &client).await?;
    Ok(HttpResponse::Ok().json(wire::organization(&org)))
}

async fn list_members(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<service::MembersQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::members(&state, &admin, &query).await?))
}

async fn update_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<UserId>,
    request: web::Json<api::UpdateMemberRequest>,
) -> ApiResult<HttpResponse> {
    let member = service::update_member(&state, &admin, *id, request.into_inner(), &client).await?;
    Ok(HttpResponse::Ok().json(member))
}

async fn remove_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    service::remove_member(&state, &admin, *id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn create_invitation(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    request: web::Json<api::CreateInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let created = service::create_invitation(&state, &admin, request.into_inner(), &client).await?;
    Ok(HttpResponse::Created().json(created))
}

async fn resend_invitation(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<InvitationId>,
) -> ApiResult<HttpResponse> {
    let resent = service::resend_invitation(&state, &admin, *id, &client).await?;
    Ok(HttpResponse::Ok().json(resent))
}

async fn revoke_invitation(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<InvitationId>,
) -> ApiResult<HttpResponse> {
    service::revoke_invitation(&state, &admin, *id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn preview_invitation(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::preview_invitation(&state, &token).await?))
}

async fn accept_invitation(
    state: web::Data<AppState>,
    client: ClientAddress,
    token: web::Path<String>,
    request: web::Json<api::AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in =
        service::accept_invitation(&state, &token, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Created(), &signed_in)
}
