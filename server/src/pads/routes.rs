use actix_web::{HttpResponse, web};
use api::PadId;

use super::member::MemberPad;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Viewer};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/languages", web::get().to(languages))
        .service(
            web::resource("/pads")
                .route(web::get().to(list_pads))
                .route(web::post().to(create_pad)),
        )
        .route("/pads/{id}", web::get().to(view_pad))
        .route(
            "/pads/{id}/socket",
            web::get().to(super::socket::pad_socket),
        )
        .route("/pads/{id}/end", web::post().to(end_pad))
        .route("/pads/{id}/history", web::get().to(pad_history))
        .route("/pads/{id}/lever-note", web::post().to(code_to_lever))
        .route(
            "/pads/{id}/lever-feedback",
            web::post().to(feedback_to_lever),
        )
        .service(
            web::resource("/pads/{id}/mail")
                .route(web::get().to(mail_options))
                .route(web::post().to(mail_link)),
        );
}

/// No account needed: the candidate's pad asks which languages run here.
async fn languages(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(api::LanguagesResponse {
        languages: state.runs.languages(),
    })
}

async fn list_pads(
    state: web::Data<AppState>,
    user: AuthUser,
    filter: web::Query<super::PadFilter>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::list(&state, user.org_id, &filter).await?))
}

async fn create_pad(
    state: web::Data<AppState>,
    user: AuthUser,
    request: web::Json<api::NewPadRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(super::create(&state, &user, request.into_inner()).await?))
}

/// No account needed: the candidate opens the link from the invitation.
async fn view_pad(
    state: web::Data<AppState>,
    id: web::Path<PadId>,
    viewer: Viewer,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::view(&state, &id, viewer.user()).await?))
}

async fn mail_options(state: web::Data<AppState>, pad: MemberPad) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::mail::options(&state, &pad).await?))
}

async fn mail_link(
    state: web::Data<AppState>,
    pad: MemberPad,
    client: crate::extract::ClientAddress,
    request: web::Json<api::PadMailRequest>,
) -> ApiResult<HttpResponse> {
    let queued = super::mail::send(&state, &pad, request.into_inner(), &client).await?;
    Ok(HttpResponse::Accepted().json(queued))
}

async fn end_pad(state: web::Data<AppState>, pad: MemberPad) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::end(&state, &pad).await?))
}

async fn pad_history(
    state: web::Data<AppState>,
    pad: MemberPad,
    page: web::Query<super::HistoryPage>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::history(&state, &pad, &page).await?))
}

async fn code_to_lever(
    state: web::Data<AppState>,
    pad: MemberPad,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let request = lever_write_request(&body)?;
    Ok(HttpResponse::Ok().json(super::notes::request_code_note(&state, &pad, request).await?))
}

async fn feedback_to_lever(
    state: web::Data<AppState>,
    pad: MemberPad,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let request = lever_write_request(&body)?;
    Ok(HttpResponse::Ok().json(super::feedback::request_feedback(&state, &pad, request).await?))
}

/// A first sending needs no body (as before "send again" existed); one given must be JSON.
fn lever_write_request(body: &[u8]) -> ApiResult<api::LeverWriteRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(api::LeverWriteRequest::default());
    }
    serde_json::from_slice::<Option<api::LeverWriteRequest>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            ApiError::bad_request(
                api::ErrorCode::MalformedJson,
                crate::i18n::msg(crate::i18n::Text::PadsSendRequestMalformed).with("detail", e),
            )
        })
}
