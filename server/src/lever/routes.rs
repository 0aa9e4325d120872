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

async fn get_setup(state: web::Data<AppState>, admin: EnterpriseAdmin) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::setup(&state, &admin).await?))
}

async fn save_credentials(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverCredentialsRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_credentials(&state, &admin, request.into_inner(), &client).await?))
}

async fn list_stages(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::live_stages(&state, &admin).await?))
}

async fn save_stages(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverStagesRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_stages(&state, &admin, request.into_inner(), &client).await?))
}

async fn get_webhook(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::webhook(&state, &admin).await?))
}

async fn rotate_webhook(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(setup::rotate_webhook(&state, &admin, &client).await?))
}

async fn save_token(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverTokenRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_token(&state, &admin, request.into_inner(), &client).await?))
}

async fn save_options(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverOptionsRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(setup::save_options(&state, &admin, request.into_inner(), &client).await?))
}

async fn list_feedback_templates(
    request: HttpRequest,
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
) -> ApiResult<HttpResponse> {
    let locale = crate::i18n::requested_locale(request.headers());
    Ok(HttpResponse::Ok().json(super::feedback::templates(&state, &admin, locale).await?))
}

async fn choose_feedback_template(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    request: web::Json<api::LeverFeedbackTemplateRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        super::feedback::choose_template(&state, &admin, request.into_inner(), &client).await?,
    ))
}

async fn disconnect(
    state: web::Data<AppState>,
    admin: AdminUser,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    setup::disconnect(&state, &admin, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}
