//! `POST /webhooks/lever/<key>`: where Lever delivers. The key in the URL names the
//! organization; the signature in the body proves Lever sent it. A valid delivery is decided
//! as far as it can be without Lever, handed to the group-commit writer (with its job, for a
//! stage change to a selected stage) and answered once stored: no call to Lever happens on
//! the request path.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use api::{DeliveryId, ErrorCode, OrgId};
use entity::InOrg;
use entity::lever_delivery::Status;
use entity::{lever_delivery, lever_forged_count, lever_integration};
use futures_util::StreamExt;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set, TryInsertResult,
};
use time::{Duration, OffsetDateTime};

use super::delivery_writer::NewDelivery;
use super::signature;
use super::types::LeverWebhook;
use super::webhook_cache::WebhookTarget;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Text, msg};
use crate::state::AppState;
use api::DeliveryReason;
use serde::Deserialize;
use std::sync::Arc;

pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Lever's clock may run a little ahead; further than this is not a real delivery.
const MAX_CLOCK_AHEAD: Duration = Duration::minutes(5);
/// Older deliveries are refused: shorter than the 16 days seen tokens are kept.
const MAX_AGE: Duration = Duration::days(15);
pub const STAGE_CHANGE: &str = "candidateStageChange";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/webhooks/lever/{key}",
        web::post().to(receive_lever_webhook),
    );
}

/// What the delivery said, as far as it is kept.
struct Received<'a> {
    org_id: OrgId,
    event: &'a str,
    triggered_at: Option<i64>,
    data: Option<&'a serde_json::Value>,
}

/// Text from a delivery as it is kept: at most `max` characters, and no NUL, which PostgreSQL
/// refuses in text (U+FFFD shows where one was).
fn storable(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| {
            if c == '\0' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

fn delivery_row(
    received: &Received,
    now: OffsetDateTime,
    status: Status,
    reason: Option<DeliveryReason>,
) -> lever_delivery::Model {
    let field = |name: &str| {
        received
            .data
            .and_then(|d| d.get(name))
            .and_then(|v| v.as_str())
            .map(|v| storable(v, 128))
    };
    lever_delivery::Model {
        id: DeliveryId::time_ordered(),
        org_id: received.org_id,
        received_at: now,
        event: storable(received.event, 64),
        triggered_at: received.triggered_at,
        opportunity_id: field("opportunityId"),
        to_stage_id: field("toStageId"),
        status,
        reason,
        detail: None,
        candidate_name: None,
        pad_id: None,
        attempts: 0,
        detail_message: None,
    }
}

/// Where Lever delivers its webhooks (Candidate Stage Change, and Verify's sample).
///
/// The key in the URL names the organization; the `signature` in the body (HMAC-SHA256 of
/// `token` and `triggeredAt` with the signature token saved in the Lever setup) proves Lever
/// sent it. A valid delivery is stored and answered at once; a stage change to a selected stage
/// makes its pad in the background.
#[utoipa::path(
    post,
    path = "/webhooks/lever/{key}",
    tag = "webhooks",
    params(("key" = String, Path, description = "The organization's webhook key, from the URL the Lever setup shows.")),
    request_body(content = super::types::LeverWebhook, description = "Lever's webhook body, as Lever sends it.", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored: what became of the delivery so far.", body = WebhookReceived),
        (status = 400, description = "`malformed_json`: not a Lever webhook; `triggered_in_future`, `too_old`: its `triggeredAt` is out of time.", body = api::ErrorBody),
        (status = 401, description = "`no_signature`, `invalid_signature`: no signature, or not one the saved signature token makes.", body = api::ErrorBody),
        (status = 403, description = "`organization_disabled`: the organization is disabled.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no organization has this key.", body = api::ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is larger than 64 KiB.", body = api::ErrorBody),
    ),
)]
pub async fn receive_lever_webhook(
    state: web::Data<AppState>,
    key: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let outcome = async {
        let body = read_limited(payload, MAX_BODY_BYTES).await?;
        let delivery = ingest(&state, &key, &body).await?;
        accept(&state, delivery).await
    }
    .await;
    crate::metrics::webhook_delivery(match &outcome {
        Ok(status) => status.as_str(),
        Err(refusal) => refusal.code().as_str(),
    });
    Ok(HttpResponse::Ok().json(WebhookReceived { status: outcome? }))
}

/// The answer to a delivery Lever made.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebhookReceived {
    /// `queued` (a stage change whose job will decide), `ignored` or `duplicate`.
    pub status: api::DeliveryStatus,
}

/// A delivery proven to come from Lever for this organization: its signature matches the
/// saved token and it is neither from the future nor older than Lever reruns. Only
/// [`ingest`] makes one.
pub struct VerifiedDelivery {
    target: Arc<WebhookTarget>,
    delivery: LeverWebhook,
    /// The token Lever signed, unique per delivery: a replay repeats it.
    token: String,
    received_at: OffsetDateTime,
}

/// Finds the organization by the URL's key and verifies the body. A refusal is recorded as a
/// rejected delivery the console shows (within the forgery budget) and answered as an error.
pub async fn ingest(state: &AppState, key: &str, body: &[u8]) -> ApiResult<VerifiedDelivery> {
    let mut target = state
        .webhooks
        .find(state, key)
        .await?
        .ok_or_else(|| ApiError::not_found(msg(Text::LeverWebhookNotFound)))?;
    let delivery: LeverWebhook = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::MalformedJson,
            msg(Text::LeverWebhookMalformed).with("detail", e),
        )
    })?;
    let now = OffsetDateTime::now_utc();
    // Lever leaves both out while the entry has no signing token.
    let presented = match (&delivery.signature, &delivery.token) {
        (Some(signature), Some(token)) if !signature.is_empty() && !token.is_empty() => {
            Some((signature.clone(), token.clone()))
        }
        _ => None,
    };
    // A refused request is recorded by its event name only: its data proves nothing.
    let unsigned = |org_id| Received {
        org_id,
        event: &delivery.event,
        triggered_at: None,
        data: None,
    };
    let Some((signature, token)) = presented else {
        let received = unsigned(target.org_id());
        record_refusal(&state.db, &received, now, DeliveryReason::NoSignature).await?;
        return Err(ApiError::unauthorized(
            ErrorCode::NoSignature,
            msg(Text::LeverWebhookNoSignature),
        ));
    };
    let signed_with = |target: &WebhookTarget| {
        target.signature_token.as_ref().is_some_and(|key| {
            signature::is_valid(key.expose(), &token, delivery.triggered_at, &signature)
        })
    };
    // The token may have been saved since it was cached (on another instance): look again
    // before refusing.
    if !signed_with(&target)
        && let Some(current) = state.webhooks.reload(state, key).await?
    {
        target = current;
    }
    let org_id = target.org_id();
    if !signed_with(&target) {
        // Each webhook entry in Lever signs with a token of its own, and Verify's sample is a
        // candidateHired: only a stage change (the one entry Stagepad asks for) says that the
        // saved token is wrong. Other events may come from entries the admin added besides.
        if delivery.event == STAGE_CHANGE {
            lever_integration::Entity::update_in_org(org_id)
                .col_expr(
                    lever_integration::Column::LastSignatureFailureAt,
                    Expr::value(Some(now)),
                )
                .exec(&state.db)
                .await?;
        }
        record_refusal(
            &state.db,
            &unsigned(org_id),
            now,
            DeliveryReason::BadSignature,
        )
        .await?;
        return Err(ApiError::unauthorized(
            ErrorCode::InvalidSignature,
            msg(Text::LeverWebhookBadSignature),
        ));
    }
    // Checked once the delivery is proven to be Lever's, so only Lever learns of it. A 403 is
    // a failed delivery in Lever's webhook log; nothing is recorded here.
    if target.organization_disabled {
        return Err(ApiError::forbidden(
            ErrorCode::OrganizationDisabled,
            msg(Text::LeverWebhookOrganizationDisabled),
        ));
    }
    if let Some((reason, code, message)) = out_of_time(&delivery, now) {
        let received = Received {
            org_id,
            event: &delivery.event,
            triggered_at: Some(delivery.triggered_at),
            data: Some(&delivery.data),
        };
        delivery_row(&received, now, Status::Rejected, Some(reason))
            .into_active_model()
            .insert(&state.db)
            .await?;
        return Err(ApiError::bad_request(code, msg(message)));
    }
    Ok(VerifiedDelivery {
        target,
        delivery,
        token,
        received_at: now,
    })
}

/// Why a signed delivery is refused for its date, if it is: the reason recorded with the
/// delivery, the code and the sentence answered to Lever.
fn out_of_time(
    delivery: &LeverWebhook,
    now: OffsetDateTime,
) -> Option<(DeliveryReason, ErrorCode, Text)> {
    let ahead_ms = MAX_CLOCK_AHEAD.whole_milliseconds() as i64;
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let too_old = delivery.triggered_at < now_ms - MAX_AGE.whole_milliseconds() as i64;
    if delivery.triggered_at > now_ms + ahead_ms {
        Some((
            DeliveryReason::TriggeredInFuture,
            ErrorCode::TriggeredInFuture,
            Text::LeverWebhookTriggeredInFuture,
        ))
    } else if too_old && delivery.event == STAGE_CHANGE {
        // Seen tokens are kept 16 days; Lever reruns deliveries up to two weeks old. An older
        // stage change can only be a replay whose token was forgotten. (Other events create no
        // work, and Lever's Verify sample may carry any date.)
        Some((
            DeliveryReason::TooOld,
            ErrorCode::TooOld,
            Text::LeverWebhookTooOld,
        ))
    } else {
        None
    }
}

/// The part of a `candidateStageChange` delivery's `data` its job needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageChange {
    pub opportunity_id: String,
    pub to_stage_id: String,
}

/// What a verified delivery comes to, decided without asking Lever: only a well-formed stage
/// change to a selected stage needs a job (which reads the candidate); everything else is
/// recorded with its reason at once.
fn decide(target: &WebhookTarget, delivery: &LeverWebhook) -> Result<(), DeliveryReason> {
    if delivery.event != STAGE_CHANGE {
        return Err(DeliveryReason::NotAStageChange);
    }
    let change =
        StageChange::deserialize(&delivery.data).map_err(|_| DeliveryReason::MalformedEvent)?;
    if !target.selects_stage(&change.to_stage_id) {
        return Err(DeliveryReason::StageNotSelected);
    }
    Ok(())
}

/// Records a verified delivery and answers its status: a replay (its token seen before) as a
/// duplicate, a stage change to a selected stage as queued with its job (in the same
/// transaction), anything else as ignored with its reason.
pub async fn accept(state: &AppState, verified: VerifiedDelivery) -> ApiResult<Status> {
    let VerifiedDelivery {
        target,
        delivery,
        token,
        received_at: now,
    } = verified;
    let org_id = target.org_id();
    let received = Received {
        org_id,
        event: &delivery.event,
        triggered_at: Some(delivery.triggered_at),
        data: Some(&delivery.data),
    };
    // The plan as it is now, not as it was at setup: after a downgrade a delivery is
    // acknowledged (so Lever stops sending it) and creates nothing.
    let new_delivery = if !target.plan_includes_lever {
        NewDelivery {
            row: delivery_row(
                &received,
                now,
                Status::Ignored,
                Some(DeliveryReason::PlanExcludesLever),
            ),
            token: None,
            job_payload: None,
            stamps_integration: false,
            checked_against: target.integration.row.updated_at,
        }
    } else {
        let (row, job_payload) = match decide(&target, &delivery) {
            Ok(()) => (
                delivery_row(&received, now, Status::Queued, None),
                Some(serde_json::to_string(&delivery.data).expect("json")),
            ),
            Err(reason) => (
                delivery_row(&received, now, Status::Ignored, Some(reason)),
                None,
            ),
        };
        NewDelivery {
            row,
            token: Some(storable(&token, 128)),
            job_payload,
            stamps_integration: true,
            checked_against: target.integration.row.updated_at,
        }
    };
    let status = state.deliveries.store(new_delivery).await?;
    if status == Status::Queued {
        state.job_signal.wake();
    }
    tracing::debug!(%org_id, event = %delivery.event, %status, "Lever webhook received");
    Ok(status)
}

/// Records a refused delivery, within the per-minute budget (past it, only counts it).
async fn record_refusal(
    db: &DatabaseConnection,
    received: &Received<'_>,
    now: OffsetDateTime,
    reason: DeliveryReason,
) -> Result<(), DbErr> {
    if may_record_forgery(db, received.org_id, now).await? {
        delivery_row(received, now, Status::Rejected, Some(reason))
            .into_active_model()
            .insert(db)
            .await?;
        tracing::warn!(org_id = %received.org_id, event = %received.event, %reason, "Lever webhook refused");
    } else {
        tracing::debug!(org_id = %received.org_id, %reason, "Lever webhook refused, counted only");
    }
    Ok(())
}

/// Forged requests recorded per organization and minute; past that they are only counted.
pub const FORGED_RECORDED_PER_MINUTE: i32 = 20;

/// Whether this forged request may be recorded as a rejected delivery; when not, it is
/// counted. Each step is one conditional UPDATE, so concurrent requests, on any instance,
/// cannot record more than the budget.
async fn may_record_forgery(
    db: &DatabaseConnection,
    org_id: OrgId,
    now: OffsetDateTime,
) -> Result<bool, DbErr> {
    let first = lever_forged_count::Entity::insert(lever_forged_count::ActiveModel {
        org_id: Set(org_id),
        window_start: Set(now),
        recorded_in_window: Set(1),
        not_recorded: Set(0),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    if matches!(first, TryInsertResult::Inserted(_)) {
        return Ok(true);
    }
    let window_began = now - Duration::MINUTE;
    let this_org = || lever_forged_count::Entity::update_in_org(org_id);
    let within_budget = this_org()
        .col_expr(
            lever_forged_count::Column::RecordedInWindow,
            Expr::col(lever_forged_count::Column::RecordedInWindow).add(1),
        )
        .filter(lever_forged_count::Column::WindowStart.gt(window_began))
        .filter(lever_forged_count::Column::RecordedInWindow.lt(FORGED_RECORDED_PER_MINUTE))
        .exec(db)
        .await?;
    if within_budget.rows_affected == 1 {
        return Ok(true);
    }
    let new_window = this_org()
        .col_expr(lever_forged_count::Column::WindowStart, Expr::value(now))
        .col_expr(lever_forged_count::Column::RecordedInWindow, Expr::value(1))
        .filter(lever_forged_count::Column::WindowStart.lte(window_began))
        .exec(db)
        .await?;
    if new_window.rows_affected == 1 {
        return Ok(true);
    }
    this_org()
        .col_expr(
            lever_forged_count::Column::NotRecorded,
            Expr::col(lever_forged_count::Column::NotRecorded).add(1),
        )
        .exec(db)
        .await?;
    Ok(false)
}

/// Forged requests of the organization that were counted without being recorded.
pub async fn forgeries_not_recorded(db: &DatabaseConnection, org_id: OrgId) -> Result<u64, DbErr> {
    Ok(lever_forged_count::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .map_or(0, |row| u64::try_from(row.not_recorded).unwrap_or(0)))
}

/// Reads at most `limit` bytes; a larger body is refused with 413 instead of being buffered.
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> ApiResult<Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                ErrorCode::UnreadableBody,
                msg(Text::RequestBodyUnreadable).with("detail", e),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                msg(Text::RequestBodyTooLarge).with("limit", limit),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
