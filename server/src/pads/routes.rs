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

/// Every language of the pad's selector, and whether this server can run it.
///
/// No account needed: the candidate's pad asks.
#[utoipa::path(
    get,
    path = "/api/languages",
    tag = "pads",
    responses((status = 200, description = "The languages.", body = api::LanguagesResponse)),
)]
pub async fn languages(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(api::LanguagesResponse {
        languages: state.runs.languages(),
    })
}

/// One page of the organization's pads, newest first.
#[utoipa::path(
    get,
    path = "/api/pads",
    tag = "pads",
    security(("session" = [])),
    params(super::PadFilter),
    responses(
        (status = 200, description = "A page of pads.", body = api::PadsResponse),
        (status = 400, description = "`invalid_status`, `invalid_cursor`, `invalid_limit`, `invalid_search`, `invalid_query`: the query does not fit.", body = api::ErrorBody),
    ),
)]
pub async fn list_pads(
    state: web::Data<AppState>,
    user: AuthUser,
    filter: web::Query<super::PadFilter>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::list(&state, user.org_id, &filter).await?))
}

/// Makes a pad for an interview that does not come from Lever.
#[utoipa::path(
    post,
    path = "/api/pads",
    tag = "pads",
    security(("session" = [])),
    request_body = api::NewPadRequest,
    responses(
        (status = 201, description = "Made.", body = api::PadSummary),
        (status = 422, description = "`invalid_language`: not a language Stagepad knows.", body = api::ErrorBody),
    ),
)]
pub async fn create_pad(
    state: web::Data<AppState>,
    user: AuthUser,
    request: web::Json<api::NewPadRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(super::create(&state, &user, request.into_inner()).await?))
}

/// What a pad's link shows.
///
/// No account needed: the candidate opens the link; a member of the pad's organization (by the
/// session cookie) sees more (`member`).
#[utoipa::path(
    get,
    path = "/api/pads/{id}",
    tag = "pads",
    security((), ("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link.")),
    responses(
        (status = 200, description = "The pad.", body = api::PadView),
        (status = 403, description = "`organization_disabled`: the pad's organization is disabled.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such pad.", body = api::ErrorBody),
    ),
)]
pub async fn view_pad(
    state: web::Data<AppState>,
    id: web::Path<PadId>,
    viewer: Viewer,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::view(&state, &id, viewer.user()).await?))
}

/// Whom the pad's link can be e-mailed to, and the e-mails of it sent so far.
#[utoipa::path(
    get,
    path = "/api/pads/{id}/mail",
    tag = "pads",
    security(("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link.")),
    responses(
        (status = 200, description = "The options.", body = api::PadMailOptions),
        (status = 404, description = "`not_found`: no such pad in the organization.", body = api::ErrorBody),
    ),
)]
pub async fn mail_options(state: web::Data<AppState>, pad: MemberPad) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::mail::options(&state, &pad).await?))
}

/// E-mails the pad's link to the candidate or members; answers the e-mails queued.
#[utoipa::path(
    post,
    path = "/api/pads/{id}/mail",
    tag = "pads",
    security(("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link.")),
    request_body = api::PadMailRequest,
    responses(
        (status = 202, description = "Queued.", body = Vec<api::MailView>),
        (status = 404, description = "`not_found`: no such pad in the organization.", body = api::ErrorBody),
        (status = 422, description = "`no_mail_recipient`: no address to send to.", body = api::ErrorBody),
        (status = 429, description = "`too_many_requests`: too many e-mails; `Retry-After` says how long to wait.", body = api::ErrorBody),
        (status = 503, description = "`mail_not_configured`: this Stagepad sends no e-mail.", body = api::ErrorBody),
    ),
)]
pub async fn mail_link(
    state: web::Data<AppState>,
    pad: MemberPad,
    client: crate::extract::ClientAddress,
    request: web::Json<api::PadMailRequest>,
) -> ApiResult<HttpResponse> {
    let queued = super::mail::send(&state, &pad, request.into_inner(), &client).await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// Ends the interview: the pad becomes read-only.
///
/// Sends no body (but `Content-Type: application/json`, the CSRF rule).
#[utoipa::path(
    post,
    path = "/api/pads/{id}/end",
    tag = "pads",
    security(("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link.")),
    responses(
        (status = 200, description = "Ended (or it had already).", body = api::PadView),
        (status = 404, description = "`not_found`: no such pad in the organization.", body = api::ErrorBody),
    ),
)]
pub async fn end_pad(state: web::Data<AppState>, pad: MemberPad) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::end(&state, &pad).await?))
}

/// A page of the pad's edits, with their time and author, for playback.
#[utoipa::path(
    get,
    path = "/api/pads/{id}/history",
    tag = "pads",
    security(("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link."), super::HistoryPage),
    responses(
        (status = 200, description = "A page of history.", body = api::PadHistory),
        (status = 404, description = "`not_found`: no such pad in the organization.", body = api::ErrorBody),
        (status = 400, description = "`invalid_limit`, `invalid_query`: the query does not fit.", body = api::ErrorBody),
    ),
)]
pub async fn pad_history(
    state: web::Data<AppState>,
    pad: MemberPad,
    page: web::Query<super::HistoryPage>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::history(&state, &pad, &page).await?))
}

/// Sends the pad's final code to the candidate in Lever as a note.
#[utoipa::path(
    post,
    path = "/api/pads/{id}/lever-note",
    tag = "pads",
    security(("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link.")),
    request_body(content = Option<api::LeverWriteRequest>, description = "Optional (no body, or `null`, is a first sending): `again_after` to send again.", content_type = "application/json"),
    responses(
        (status = 200, description = "Asked: the note is on its way (`code_note_status`).", body = api::PadView),
        (status = 404, description = "`not_found`: no such pad in the organization.", body = api::ErrorBody),
        (status = 409, description = "`not_from_lever`, `pad_not_ended`, `note_in_progress`, `note_already_sent`, `lever_not_connected`: the code cannot go to Lever now.", body = api::ErrorBody),
    ),
)]
pub async fn code_to_lever(
    state: web::Data<AppState>,
    pad: MemberPad,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let request = lever_write_request(&body)?;
    Ok(HttpResponse::Ok().json(super::notes::request_code_note(&state, &pad, request).await?))
}

/// Files the pad's code in Lever as a feedback form, as the member who asks.
#[utoipa::path(
    post,
    path = "/api/pads/{id}/lever-feedback",
    tag = "pads",
    security(("session" = [])),
    params(("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link.")),
    request_body(content = Option<api::LeverWriteRequest>, description = "Optional (no body, or `null`, is a first sending): `again_after` to send again.", content_type = "application/json"),
    responses(
        (status = 200, description = "Asked: the form is on its way (`feedback_status`).", body = api::PadView),
        (status = 404, description = "`not_found`: no such pad in the organization.", body = api::ErrorBody),
        (status = 409, description = "`not_from_lever`, `pad_not_ended`, `feedback_in_progress`, `feedback_already_sent`, `no_feedback_template`, `lever_not_connected`: the form cannot be filed now.", body = api::ErrorBody),
    ),
)]
pub async fn feedback_to_lever(
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
