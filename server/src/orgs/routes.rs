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

/// The session's organization.
#[utoipa::path(
    get,
    path = "/api/organization",
    tag = "organization",
    security(("session" = [])),
    responses((status = 200, description = "The organization.", body = api::OrganizationSummary)),
)]
pub async fn get_organization(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<HttpResponse> {
    let org = service::organization(&state, &user).await?;
    Ok(HttpResponse::Ok().json(wire::organization(&org)))
}

/// Changes the organization's plan (admins).
#[utoipa::path(
    put,
    path = "/api/organization/plan",
    tag = "organization",
    security(("session" = [])),
    request_body = api::ChangePlanRequest,
    responses(
        (status = 200, description = "Changed.", body = api::OrganizationSummary),
        (status = 403, description = "`admin_only`: only admins of the organization may do this.", body = api::ErrorBody),
        (status = 409, description = "`plan_limit`: the organization has more active members than the plan allows.", body = api::ErrorBody),
    ),
)]
pub async fn change_plan(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    request: web::Json<api::ChangePlanRequest>,
) -> ApiResult<HttpResponse> {
    let org = service::change_plan(&state, &admin, request.plan, &client).await?;
    Ok(HttpResponse::Ok().json(wire::organization(&org)))
}

/// Renames the organization (admins).
#[utoipa::path(
    put,
    path = "/api/organization/name",
    tag = "organization",
    security(("session" = [])),
    request_body = api::RenameOrganizationRequest,
    responses(
        (status = 200, description = "Renamed.", body = api::OrganizationSummary),
        (status = 403, description = "`admin_only`: only admins of the organization may do this.", body = api::ErrorBody),
    ),
)]
pub async fn rename_organization(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    request: web::Json<api::RenameOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let org = service::rename_organization(&state, &admin, request.into_inner(), &client).await?;
    Ok(HttpResponse::Ok().json(wire::organization(&org)))
}

/// One page of the organization's members, oldest first, and every open invitation (admins).
#[utoipa::path(
    get,
    path = "/api/members",
    tag = "organization",
    security(("session" = [])),
    params(service::MembersQuery),
    responses(
        (status = 200, description = "A page of members.", body = api::MembersResponse),
        (status = 400, description = "`invalid_cursor`, `invalid_limit`, `invalid_search`, `invalid_query`: the query does not fit.", body = api::ErrorBody),
        (status = 403, description = "`admin_only`: only admins of the organization may do this.", body = api::ErrorBody),
    ),
)]
pub async fn list_members(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<service::MembersQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::members(&state, &admin, &query).await?))
}

/// Changes a member's role, or deactivates or reactivates them (admins).
#[utoipa::path(
    patch,
    path = "/api/members/{id}",
    tag = "organization",
    security(("session" = [])),
    params(("id" = api::UserId, Path, description = "The member's id.")),
    request_body = api::UpdateMemberRequest,
    responses(
        (status = 200, description = "Changed.", body = api::Member),
        (status = 403, description = "`admin_only`: only admins may do this; `plan_limit`: the plan allows no more active members.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such member in the organization.", body = api::ErrorBody),
        (status = 409, description = "`last_admin`: the organization would have no active admin left.", body = api::ErrorBody),
    ),
)]
pub async fn update_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<UserId>,
    request: web::Json<api::UpdateMemberRequest>,
) -> ApiResult<HttpResponse> {
    let member = service::update_member(&state, &admin, *id, request.into_inner(), &client).await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Removes a member from the organization (admins).
#[utoipa::path(
    delete,
    path = "/api/members/{id}",
    tag = "organization",
    security(("session" = [])),
    params(("id" = api::UserId, Path, description = "The member's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "`admin_only`: only admins of the organization may do this.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such member in the organization.", body = api::ErrorBody),
        (status = 409, description = "`last_admin`: the organization would have no active admin left.", body = api::ErrorBody),
    ),
)]
pub async fn remove_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    service::remove_member(&state, &admin, *id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Invites someone by e-mail (admins).
///
/// Answers the single-use link, also e-mailed to them when this Stagepad sends e-mail.
#[utoipa::path(
    post,
    path = "/api/invitations",
    tag = "organization",
    security(("session" = [])),
    request_body = api::CreateInvitationRequest,
    responses(
        (status = 201, description = "Invited.", body = api::InvitationCreated),
        (status = 403, description = "`admin_only`: only admins may invite; `plan_limit`: the plan allows no more members.", body = api::ErrorBody),
        (status = 409, description = "`email_taken`: an account has this address.", body = api::ErrorBody),
        (status = 422, description = "`invalid_email`: the address is not one.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many invitations; `Retry-After` says how long to wait.", body = api::ErrorBody),
    ),
)]
pub async fn create_invitation(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    request: web::Json<api::CreateInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let created = service::create_invitation(&state, &admin, request.into_inner(), &client).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Makes a new link for an invitation (the old one stops working) and e-mails it again (admins).
#[utoipa::path(
    post,
    path = "/api/invitations/{id}/resend",
    tag = "organization",
    security(("session" = [])),
    params(("id" = api::InvitationId, Path, description = "The invitation's id.")),
    responses(
        (status = 200, description = "Resent.", body = api::InvitationCreated),
        (status = 403, description = "`admin_only`: only admins of the organization may do this.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such open invitation in the organization.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many invitations; `Retry-After` says how long to wait.", body = api::ErrorBody),
    ),
)]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<InvitationId>,
) -> ApiResult<HttpResponse> {
    let resent = service::resend_invitation(&state, &admin, *id, &client).await?;
    Ok(HttpResponse::Ok().json(resent))
}

/// Revokes an invitation (admins): its link stops working.
#[utoipa::path(
    delete,
    path = "/api/invitations/{id_or_token}",
    tag = "organization",
    security(("session" = [])),
    params(("id_or_token" = api::InvitationId, Path, description = "The invitation's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "`admin_only`: only admins of the organization may do this.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such open invitation in the organization.", body = api::ErrorBody),
    ),
)]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
    id: web::Path<InvitationId>,
) -> ApiResult<HttpResponse> {
    service::revoke_invitation(&state, &admin, *id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link joins (no login needed).
#[utoipa::path(
    get,
    path = "/api/invitations/{id_or_token}",
    tag = "organization",
    params(("id_or_token" = String, Path, description = "The token of the invitation's link.")),
    responses(
        (status = 200, description = "The invitation.", body = api::InvitationPreview),
        (status = 404, description = "`invitation_not_found`: the link was used, revoked or expired.", body = api::ErrorBody),
    ),
)]
pub async fn preview_invitation(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::preview_invitation(&state, &token).await?))
}

/// Accepts an invitation: makes the account and logs in (no login needed).
#[utoipa::path(
    post,
    path = "/api/invitations/{token}/accept",
    tag = "organization",
    params(("token" = String, Path, description = "The token of the invitation's link.")),
    request_body = api::AcceptInvitationRequest,
    responses(
        (status = 201, description = "Joined and logged in.", body = api::MeResponse, headers(("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 403, description = "`plan_limit`: the organization's plan allows no more members.", body = api::ErrorBody),
        (status = 404, description = "`invitation_not_found`: the link was used, revoked or expired.", body = api::ErrorBody),
        (status = 409, description = "`email_taken`: an account has this address.", body = api::ErrorBody),
        (status = 422, description = "`weak_password`: the password is too short, too long or too common.", body = api::ErrorBody),
    ),
)]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    client: ClientAddress,
    token: web::Path<String>,
    request: web::Json<api::AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in =
        service::accept_invitation(&state, &token, request.into_inner(), &client).await?;
    session_response(&state, HttpResponse::Created(), &signed_in)
}
