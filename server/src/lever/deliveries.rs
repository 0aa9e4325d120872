//! The console's view of Lever's deliveries: what each became, and an admin's Retry.

use actix_web::{HttpResponse, web};
use api::{DeliveryId, ErrorCode, OrgId};
use entity::InOrg;
use entity::lever_delivery::Status;
use entity::{job, lever_delivery, pad};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{integration, webhook};
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientAddress, EnterpriseAdmin};
use crate::i18n::{Text, msg, stored};
use crate::jobs::queue;
use crate::pads;
use crate::paging::{self, PageRequest};
use crate::state::AppState;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries with this status (a `DeliveryStatus`).
    status: Option<String>,
    /// Part of the opportunity id or the candidate's name, any case.
    q: Option<String>,
    /// Rows per page: 1 to 200, 50 when absent.
    limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// One page of the requests from Lever, newest first (admins).
///
/// Also says how many forged requests were only counted, not listed.
#[utoipa::path(
    get,
    path = "/api/lever/deliveries",
    tag = "lever",
    security(("session" = [])),
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries.", body = api::LeverDeliveriesResponse),
        (status = 400, description = "`invalid_status`, `invalid_cursor`, `invalid_limit`, `invalid_search`, `invalid_query`: the query does not fit.", body = api::ErrorBody),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
    ),
)]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    query: web::Query<DeliveriesQuery>,
) -> ApiResult<HttpResponse> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut select = lever_delivery::Entity::find_in_org(admin.org_id);
    if let Some(code) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let Some(status) = Status::from_code(code) else {
            let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::bad_request(
                ErrorCode::InvalidStatus,
                msg(Text::LeverDeliveriesInvalidStatus).with("statuses", all.join(", ")),
            ));
        };
        select = select.filter(lever_delivery::Column::Status.eq(status));
    }
    if let Some(pattern) = paging::search_pattern(query.q.as_deref())? {
        select = select.filter(
            Condition::any()
                .add(paging::contains(
                    lever_delivery::Column::OpportunityId,
                    &pattern,
                ))
                .add(paging::contains(
                    lever_delivery::Column::CandidateName,
                    &pattern,
                ))
                // A delivery without a name shows the name of its opportunity's pad (see
                // `candidate_names`), so the search finds it by that name too.
                .add(
                    Condition::all()
                        .add(lever_delivery::Column::CandidateName.is_null())
                        .add(
                            lever_delivery::Column::OpportunityId.in_subquery(
                                sea_orm::sea_query::Query::select()
                                    .column(pad::Column::OpportunityId)
                                    .from(pad::Entity)
                                    .and_where(pad::Column::OrgId.eq(admin.org_id))
                                    .and_where(pad::Column::OpportunityId.is_not_null())
                                    .and_where(paging::contains(
                                        pad::Column::CandidateName,
                                        &pattern,
                                    ))
                                    .to_owned(),
                            ),
                        ),
                ),
        );
    }
    let (rows, next_cursor) = paging::fetch(
        &state.db,
        select,
        (
            lever_delivery::Column::ReceivedAt,
            lever_delivery::Column::Id,
        ),
        paging::Direction::NewestFirst,
        page.limit,
        page.after_id::<Uuid>()?,
        |row| paging::Key {
            at: row.received_at,
            id: row.id.to_string(),
        },
    )
    .await?;
    let stage_names = stage_names(&state, admin.org_id).await?;
    let names = candidate_names(&state, admin.org_id, &rows).await?;
    let next_attempts = next_attempts(&state, admin.org_id, &rows).await?;
    let deliveries = rows
        .into_iter()
        .map(|mut row| {
            if row.candidate_name.is_none()
                && let Some(opportunity) = &row.opportunity_id
            {
                row.candidate_name = names.get(opportunity).cloned();
            }
            let next = next_attempts.get(&row.id).copied();
            api::LeverDelivery {
                next_attempt_at: next.filter(|_| row.status == Status::Failed),
                ..to_wire(&state, &stage_names, row)
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(api::LeverDeliveriesResponse {
        deliveries,
        next_cursor,
        rejected_not_recorded: webhook::forgeries_not_recorded(&state.db, admin.org_id).await?,
    }))
}

/// Runs a failed or dead delivery's job again, now (admins).
#[utoipa::path(
    post,
    path = "/api/lever/deliveries/{id}/retry",
    tag = "lever",
    security(("session" = [])),
    params(("id" = api::DeliveryId, Path, description = "The delivery's id.")),
    responses(
        (status = 200, description = "Queued again.", body = api::LeverDelivery),
        (status = 403, description = "`admin_only`: only admins may do this; `enterprise_required`: Lever needs the Enterprise plan.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such delivery in the organization.", body = api::ErrorBody),
        (status = 409, description = "`not_retryable`: the delivery is not failed or dead, or is being processed.", body = api::ErrorBody),
    ),
)]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    admin: EnterpriseAdmin,
    client: ClientAddress,
    id: web::Path<DeliveryId>,
) -> ApiResult<HttpResponse> {
    let delivery = lever_delivery::Entity::find_in_org(admin.org_id)
        .filter(lever_delivery::Column::Id.eq(*id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found(msg(Text::LeverDeliveriesNotFound)))?;
    if !delivery.status.can_retry() {
        return Err(ApiError::conflict(
            ErrorCode::NotRetryable,
            msg(Text::LeverDeliveriesNotRetryable).with("status", delivery.status),
        ));
    }
    let job = job::Entity::find_in_org(admin.org_id)
        .filter(job::Column::DeliveryId.eq(delivery.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found(msg(Text::LeverDeliveriesJobGone)))?;
    let txn = state.db.begin().await?;
    if !queue::retry_now(&txn, admin.org_id, job.id, state.settings.jobs.max_attempts).await? {
        return Err(ApiError::conflict(
            ErrorCode::NotRetryable,
            msg(Text::LeverDeliveriesBeingProcessed),
        ));
    }
    let mut row: lever_delivery::ActiveModel = delivery.into();
    row.status = Set(Status::Queued);
    row.detail = Set(None);
    row.detail_message = Set(None);
    let delivery = row.update(&txn).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "lever.delivery_retried",
        msg(Text::AuditDetailLeverDeliveryRetried).with("id", delivery.id),
        &client,
    )
    .await?;
    txn.commit().await?;
    state.job_signal.wake();
    let stage_names = stage_names(&state, admin.org_id).await?;
    Ok(HttpResponse::Ok().json(to_wire(&state, &stage_names, delivery)))
}

/// The candidates' names that deliveries without one (a replay, a stage nobody selected) can
/// borrow: the pad made for the same opportunity knows it.
async fn candidate_names(
    state: &AppState,
    org_id: OrgId,
    rows: &[lever_delivery::Model],
) -> ApiResult<HashMap<String, String>> {
    let unnamed: HashSet<&str> = rows
        .iter()
        .filter(|row| row.candidate_name.is_none())
        .filter_map(|row| row.opportunity_id.as_deref())
        .collect();
    if unnamed.is_empty() {
        return Ok(HashMap::new());
    }
    let named: Vec<(Option<String>, String)> = pad::Entity::find_in_org(org_id)
        .filter(pad::Column::OpportunityId.is_in(unnamed))
        .select_only()
        .column(pad::Column::OpportunityId)
        .column(pad::Column::CandidateName)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(named
        .into_iter()
        .filter_map(|(opportunity, name)| Some((opportunity?, name)))
        .collect())
}

/// When each failing delivery's job is due to run again.
async fn next_attempts(
    state: &AppState,
    org_id: OrgId,
    rows: &[lever_delivery::Model],
) -> ApiResult<HashMap<DeliveryId, OffsetDateTime>> {
    let failing: Vec<DeliveryId> = rows
        .iter()
        .filter(|row| row.status == Status::Failed)
        .map(|row| row.id)
        .collect();
    if failing.is_empty() {
        return Ok(HashMap::new());
    }
    // Only a job waiting for its time: one running now (its attempts already counted) or out
    // of attempts has no next try to show.
    let due: Vec<(Option<DeliveryId>, OffsetDateTime)> = job::Entity::find_in_org(org_id)
        .filter(job::Column::DeliveryId.is_in(failing))
        .filter(job::Column::Status.eq(job::Status::Queued))
        .filter(job::Column::RunAt.gt(OffsetDateTime::now_utc()))
        .select_only()
        .column(job::Column::DeliveryId)
        .column(job::Column::RunAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(due
        .into_iter()
        .filter_map(|(delivery, at)| Some((delivery?, at)))
        .collect())
}

async fn stage_names(state: &AppState, org_id: OrgId) -> ApiResult<Vec<integration::StoredStage>> {
    Ok(integration::load(&state.db, org_id)
        .await?
        .map(|integration| integration.selected_stages())
        .unwrap_or_default())
}

/// Lever's Verify button posts a `candidateHired` with empty `data`; a real one names its
/// opportunity.
const VERIFY_SAMPLE_EVENT: &str = "candidateHired";

fn to_wire(
    state: &AppState,
    stages: &[integration::StoredStage],
    row: lever_delivery::Model,
) -> api::LeverDelivery {
    let stage_name = row
        .to_stage_id
        .as_deref()
        .and_then(|id| stages.iter().find(|s| s.id == id))
        .map(|s| s.name.clone());
    let failing = row.status.can_retry();
    // A refused request is stored without its data: nothing tells it was Verify's sample.
    let lever_verify = row.event == VERIFY_SAMPLE_EVENT
        && row.opportunity_id.is_none()
        && row.status != Status::Rejected;
    api::LeverDelivery {
        id: row.id,
        received_at: row.received_at,
        event: row.event,
        opportunity_id: row.opportunity_id,
        candidate_name: row.candidate_name,
        stage_id: row.to_stage_id,
        stage_name,
        can_retry: failing,
        error: stored::in_request_language(row.detail, row.detail_message.as_deref())
            .filter(|_| failing),
        attempts: row.attempts,
        pad_link: row.pad_id.map(|id| pads::link(state, &id)),
        lever_verify,
        next_attempt_at: None,
        status: row.status,
        reason: row.reason,
    }
}
