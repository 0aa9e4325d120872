//! `POST /webhooks/lever/<key>`: where Lever delivers. The key in the URL names the
//! organization; the signature in the body proves Lever sent it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use entity::lever_integration;
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;

use super::setup::{Integration, webhook_key_hash};
use super::signature;
use super::types::LeverWebhook;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/webhooks/lever/{key}",
        web::post().to(receive_lever_webhook),
    );
}

async fn receive_lever_webhook(
    state: web::Data<AppState>,
    key: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let integration = lever_integration::Entity::find()
        .filter(lever_integration::Column::WebhookKeyHash.eq(webhook_key_hash(&key)))
        .one(&state.db)
        .await?
        .map(|row| Integration { row })
        .ok_or_else(|| ApiError::not_found("No Lever webhook at this address."))?;
    let body = read_limited(payload, MAX_BODY_BYTES).await?;
    let delivery: LeverWebhook = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "malformed_json",
            format!("The body is not a Lever webhook: {e}."),
        )
    })?;
    let now = OffsetDateTime::now_utc();
    let signed = integration.signature_token(&state).is_some_and(|token| {
        signature::is_valid(
            token.expose(),
            &delivery.token,
            delivery.triggered_at,
            &delivery.signature,
        )
    });
    let mut row: lever_integration::ActiveModel = integration.row.clone().into();
    if !signed {
        row.last_signature_failure_at = Set(Some(now));
        row.update(&state.db).await?;
        tracing::warn!(org_id = %integration.row.org_id, event = %delivery.event, "Lever webhook with a wrong signature");
        return Err(ApiError::unauthorized(
            "invalid_signature",
            "The signature does not match the signature token saved in Stagepad.",
        ));
    }
    row.verified_at = Set(Some(now));
    row.last_delivery_at = Set(Some(now));
    row.update(&state.db).await?;
    tracing::info!(org_id = %integration.row.org_id, event = %delivery.event, "Lever webhook received");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "received" })))
}

/// Reads at most `limit` bytes; a larger body is refused with 413 instead of being buffered.
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> ApiResult<Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "unreadable_body",
                format!("The body could not be read: {e}."),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The body is larger than the {limit} bytes this endpoint accepts."),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
