use actix_web::{HttpRequest, HttpResponse, web};

use super::setup;
use crate::error::ApiResult;
use crate::extract::{AdminUser, ClientAddress, EnterpriseAdmin};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/lever/setup", web::get().to(get_setup))
        .route("/lever/credentials", web::put().to(save_credentials))
        .service(
            web::resource("/lever/stages")
                .route(web::get().to(list_stages))
                .route(web::put().to(save_stages)),
        )
        .route("/lever/webhook", web::get().to(get_webhook))
        .route("/lever/webhook/rotate", web::post().to(rotate_webhook))
        .route("/lever/token", web::put().to(save_token))
        .route("/lever/options", web::put().to(save_options))
        .route(
            "/lever/feedback-templates",
            web::get().to(list_feedback_templates),
        )
        .route(
            "/lever/feedback-template",
            web::put().to(choose_feedback_template),
        )
        .route(
            "/lever/deliveries",
            web::get().to(super::deliveries::list_deliveries),
        )
        .route(
            "/lever/deliveries/{id}/retry",
            web::post().to(super::deliveries::retry_delivery),
        )
        .route("/lever", web::delete().to(disconnect));
}

/// The Lever setup: every step's state, as the server decides it.
#[utoipa::path(
    get,
    path = "/api/lever/setup",
    tag = "lever",
    security(("session" = [])),
    responses(
        (status = 200, description = "The setup.", body = api::LeverSetup),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
    ),
)]
pub async fn get_setup(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::setup(&state, &admin).await?))
}

/// Step 1: saves the Lever API key after checking it and its permissions with Lever.
#[utoipa::path(
    put,
    path = "/api/lever/credentials",
    tag = "lever",
    security(("session" = [])),
    request_body = api::LeverCredentialsRequest,
    responses(
        (status = 200, description = "Saved.", body = api::LeverSetup),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 422, description = "`lever_key_rejected`, `lever_permissions_missing`, `custom_base_url_disabled`: Lever refused the key, the key lacks permissions, or a custom base URL is not allowed here.", body = api::ErrorBody),
        (status = 502, description = "`lever_unreachable`, `lever_rate_limited`, `lever_error`: Lever cannot be reached, limits the key, or answered something unexpected.", body = api::ErrorBody),
        (status = 504, description = "`lever_timeout`: Lever did not answer in time.", body = api::ErrorBody),
    ),
)]
pub async fn save_credentials(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverCredentialsRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_credentials(&state, &admin, request.into_inner(), &client).await?))
}

/// Step 2: Lever's stages, live, with which are selected.
#[utoipa::path(
    get,
    path = "/api/lever/stages",
    tag = "lever",
    security(("session" = [])),
    responses(
        (status = 200, description = "The stages.", body = api::LeverStagesResponse),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
        (status = 502, description = "`lever_unreachable`, `lever_rate_limited`, `lever_error`: Lever cannot be reached, limits the key, or answered something unexpected.", body = api::ErrorBody),
        (status = 504, description = "`lever_timeout`: Lever did not answer in time.", body = api::ErrorBody),
    ),
)]
pub async fn list_stages(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::live_stages(&state, &admin).await?))
}

/// Step 2: selects the stages whose candidates get a pad.
#[utoipa::path(
    put,
    path = "/api/lever/stages",
    tag = "lever",
    security(("session" = [])),
    request_body = api::LeverStagesRequest,
    responses(
        (status = 200, description = "Saved.", body = api::LeverSetup),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
        (status = 422, description = "`no_stages`, `unknown_stage`: none picked, or one that is not Lever's.", body = api::ErrorBody),
        (status = 502, description = "`lever_unreachable`, `lever_rate_limited`, `lever_error`: Lever cannot be reached, limits the key, or answered something unexpected.", body = api::ErrorBody),
        (status = 504, description = "`lever_timeout`: Lever did not answer in time.", body = api::ErrorBody),
    ),
)]
pub async fn save_stages(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverStagesRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_stages(&state, &admin, request.into_inner(), &client).await?))
}

/// Step 3: the webhook URL to paste into Lever.
#[utoipa::path(
    get,
    path = "/api/lever/webhook",
    tag = "lever",
    security(("session" = [])),
    responses(
        (status = 200, description = "The URL.", body = api::LeverWebhookResponse),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
    ),
)]
pub async fn get_webhook(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::webhook(&state, &admin).await?))
}

/// Step 3: a new webhook URL; the old one stops working.
#[utoipa::path(
    post,
    path = "/api/lever/webhook/rotate",
    tag = "lever",
    security(("session" = [])),
    responses(
        (status = 200, description = "The new URL.", body = api::LeverWebhookResponse),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
    ),
)]
pub async fn rotate_webhook(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::rotate_webhook(&state, &admin, &client).await?))
}

/// Step 4: saves Lever's signature token and the pads' owner.
#[utoipa::path(
    put,
    path = "/api/lever/token",
    tag = "lever",
    security(("session" = [])),
    request_body = api::LeverTokenRequest,
    responses(
        (status = 200, description = "Saved.", body = api::LeverSetup),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
        (status = 422, description = "`invalid_pad_owner`: the owner is not an active member.", body = api::ErrorBody),
    ),
)]
pub async fn save_token(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverTokenRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_token(&state, &admin, request.into_inner(), &client).await?))
}

/// The tag and what Stagepad writes back to Lever.
#[utoipa::path(
    put,
    path = "/api/lever/options",
    tag = "lever",
    security(("session" = [])),
    request_body = api::LeverOptionsRequest,
    responses(
        (status = 200, description = "Saved.", body = api::LeverSetup),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
    ),
)]
pub async fn save_options(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverOptionsRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_options(&state, &admin, request.into_inner(), &client).await?))
}

/// Lever's feedback templates, live, for the picker.
#[utoipa::path(
    get,
    path = "/api/lever/feedback-templates",
    tag = "lever",
    security(("session" = [])),
    responses(
        (status = 200, description = "The templates.", body = api::LeverFeedbackTemplatesResponse),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
        (status = 502, description = "`lever_unreachable`, `lever_rate_limited`, `lever_error`: Lever cannot be reached, limits the key, or answered something unexpected.", body = api::ErrorBody),
        (status = 504, description = "`lever_timeout`: Lever did not answer in time.", body = api::ErrorBody),
    ),
)]
pub async fn list_feedback_templates(
    request: HttpRequest,
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    let locale = crate::i18n::requested_locale(request.headers());
    Ok(HttpResponse::Ok().json(super::feedback::templates(&state, &admin, locale).await?))
}

/// Chooses the feedback template "Send as feedback" files, or none.
#[utoipa::path(
    put,
    path = "/api/lever/feedback-template",
    tag = "lever",
    security(("session" = [])),
    request_body = api::LeverFeedbackTemplateRequest,
    responses(
        (status = 200, description = "Chosen.", body = api::LeverSetup),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 409, description = "`step_incomplete`: no Lever API key is saved yet (step 1).", body = api::ErrorBody),
        (status = 422, description = "`unknown_template`, `template_unusable`: not one of Lever's, or Stagepad cannot fill it.", body = api::ErrorBody),
        (status = 502, description = "`lever_unreachable`, `lever_rate_limited`, `lever_error`: Lever cannot be reached, limits the key, or answered something unexpected.", body = api::ErrorBody),
        (status = 504, description = "`lever_timeout`: Lever did not answer in time.", body = api::ErrorBody),
    ),
)]
pub async fn choose_feedback_template(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverFeedbackTemplateRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        super::feedback::choose_template(&state, &admin, request.into_inner(), &client).await?,
    ))
}

/// Disconnects Lever: the saved key, stages and tokens are deleted (admins, any plan).
#[utoipa::path(
    delete,
    path = "/api/lever",
    tag = "lever",
    security(("session" = [])),
    responses(
        (status = 204, description = "Disconnected."),
        (status = 403, description = "`admin_only`: only admins may do this.", body = api::ErrorBody),
    ),
)]
pub async fn disconnect(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    setup::disconnect(&state, &admin, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
