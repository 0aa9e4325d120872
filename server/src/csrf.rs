//! Cross-site request forgery defence for the API: a state-changing request must be JSON
//! (an HTML form cannot send that cross-site without a CORS preflight, which we never grant)
//! and, when the browser names its origin, come from this origin. Together with SameSite=Strict
//! session cookies this closes the door.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use api::ErrorCode;

use crate::error::ApiError;
use crate::i18n::{Text, msg};
use crate::state::AppState;

pub async fn protect_api(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(refusal) = refusal(&request) {
        let response = refusal.error_response();
        return Ok(request.into_response(response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}

fn refusal(request: &ServiceRequest) -> Option<ApiError> {
    let changes_state = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !changes_state || !request.path().starts_with("/api/") {
        return None;
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
        .unwrap_or(false);
    if !is_json {
        return Some(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::JsonRequired,
            msg(Text::RequestJsonRequired),
        ));
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)?
        .to_str()
        .unwrap_or("");
    let public_url = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.public_url.clone())
        .unwrap_or_default();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    if origin == public_url || (!host.is_empty() && origin_host == host) {
        None
    } else {
        Some(ApiError::forbidden(
            ErrorCode::CrossOrigin,
            msg(Text::RequestCrossOrigin),
        ))
    }
}
