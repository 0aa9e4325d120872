//! What a queued stage change becomes: re-read the candidate from Lever, decide, then create the
//! pad, put its link on the candidate and post the note. Each side effect is recorded on the
//! pad as it happens, so a retry after a partial failure repeats none of them (and a note
//! whose answer was lost is looked for before it is posted again: see `notes`).

use api::DeliveryId;
use api::PadId;
use entity::InOrg;
use entity::lever_delivery::Status;
use entity::{job, lever_delivery, pad};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Set, SqlErr, TransactionTrait,
};
use time::OffsetDateTime;

use super::client::{LeverCredentials, LeverError, ProbeList, as_author};
use super::integration::{self, Integration};
use super::notes::{self, NoteKind};
use super::rules::{self, Decision, Facts};
use super::types::LeverOpportunity;
use super::webhook::StageChange;
use crate::i18n::{Text, msg};
use crate::jobs::{self, JobError};
use crate::state::AppState;
use crate::{orgs, pads};
use api::DeliveryReason;

/// The name shown for a candidate whose record Lever answers without one (anonymised).
const ANONYMOUS_NAME: &str = "Unnamed candidate (anonymised in Lever)";

/// How a delivery ended, as the console shows it.
enum Outcome {
    PadCreated(PadId),
    Ignored(DeliveryReason),
}

pub async fn process(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    let delivery_id = job.delivery_id.ok_or_else(|| {
        JobError::permanent(msg(Text::JobsUnreadable).with("detail", "it names no delivery"))
    })?;
    set_delivery(&state.db, delivery_id, |row| {
        row.attempts = Set(job.attempts);
    })
    .await?;
    let outcome = act(state, job, delivery_id).await?;
    let (status, reason, pad_id) = match outcome {
        Outcome::PadCreated(pad_id) => (Status::PadCreated, None, Some(pad_id)),
        Outcome::Ignored(reason) => (Status::Ignored, Some(reason), None),
    };
    set_delivery(&state.db, delivery_id, |row| {
        row.status = Set(status);
        row.reason = Set(reason);
        row.pad_id = Set(pad_id);
        row.detail = Set(None);
        row.detail_message = Set(None);
    })
    .await?;
    Ok(())
}

async fn act(
    state: &AppState,
    job: &job::Model,
    delivery_id: DeliveryId,
) -> Result<Outcome, JobError> {
    let Ok(change) = serde_json::from_str::<StageChange>(&job.payload) else {
        return Ok(Outcome::Ignored(DeliveryReason::MalformedEvent));
    };
    // The plan as it is now: a job queued before a downgrade does nothing.
    if !orgs::service::plan_includes_lever(&state.db, job.org_id).await? {
        return Ok(Outcome::Ignored(DeliveryReason::PlanExcludesLever));
    }
    let Some((integration, credentials)) = integration::load_for_job(state, job.org_id).await?
    else {
        return Ok(Outcome::Ignored(DeliveryReason::NotConnected));
    };
    // A pad this delivery already created (an earlier run failed later on): finish its steps.
    let existing = pad::Entity::find_in_org(job.org_id)
        .filter(pad::Column::DeliveryId.eq(delivery_id))
        .one(&state.db)
        .await?;
    let (pad, mut opportunity) = match existing {
        Some(pad) => (pad, None),
        None => match create_pad(state, &integration, &credentials, &change, delivery_id).await? {
            Ok((pad, opportunity)) => (pad, Some(opportunity)),
            Err(reason) => return Ok(Outcome::Ignored(reason)),
        },
    };

    let link = pads::link(state, &pad.id);
    if pad.link_added_at.is_none() {
        let current = match opportunity.take() {
            Some(o) => o,
            None => read_candidate(state, &credentials, &change.opportunity_id).await?,
        };
        // Lever's addLinks takes no idempotency key: a response lost after Lever stored the
        // link would add it twice, so look first.
        if !current.links.iter().any(|l| l == &link) {
            jobs::hold_lease(state, job).await?;
            let added = as_author(integration.author(), |author| {
                state.lever.add_links(
                    &credentials,
                    &change.opportunity_id,
                    std::slice::from_ref(&link),
                    author,
                )
            })
            .await;
            integration::watch_write(state, job.org_id, added).await?;
        }
        pad::Entity::update_in_org(job.org_id)
            .col_expr(
                pad::Column::LinkAddedAt,
                Expr::value(Some(OffsetDateTime::now_utc())),
            )
            .filter(pad::Column::Id.eq(&pad.id))
            .exec(&state.db)
            .await?;
    }
    if integration.row.notes_enabled && pad.note_id.is_none() {
        let stage = pad.stage_name.as_deref().unwrap_or("a selected stage");
        let marker = notes::marker(NoteKind::PadCreated, &link, job);
        let note = format!("Interview pad created at {stage}: {link}\n\n{marker}");
        let note_id = notes::post_once(
            state,
            job,
            &integration,
            &credentials,
            &change.opportunity_id,
            &note,
            &marker,
        )
        .await?;
        pad::Entity::update_in_org(job.org_id)
            .col_expr(pad::Column::NoteId, Expr::value(Some(note_id)))
            .filter(pad::Column::Id.eq(&pad.id))
            .exec(&state.db)
            .await?;
    }
    Ok(Outcome::PadCreated(pad.id))
}

/// Reads what Lever says now, decides, and creates the pad when the rules say so.
async fn create_pad(
    state: &AppState,
    integration: &Integration,
    credentials: &LeverCredentials,
    change: &StageChange,
    delivery_id: DeliveryId,
) -> Result<Result<(pad::Model, LeverOpportunity), DeliveryReason>, JobError> {
    let selected = integration.selected_stages();
    let selected_ids: Vec<String> = selected.iter().map(|s| s.id.clone()).collect();
    let org_id = integration.row.org_id;
    // A stage nobody selected creates nothing whatever Lever says: spare the Lever calls.
    if !selected_ids.contains(&change.to_stage_id) {
        return Ok(Err(DeliveryReason::StageNotSelected));
    }
    let mut opportunity = read_candidate(state, credentials, &change.opportunity_id).await?;
    if opportunity.name.trim().is_empty() {
        // An anonymised record has no name; the pad and the console still need one.
        opportunity.name = ANONYMOUS_NAME.into();
    }
    set_delivery(&state.db, delivery_id, |row| {
        row.candidate_name = Set(Some(opportunity.name.chars().take(200).collect()));
    })
    .await?;
    let posting = match opportunity.posting_id() {
        Some(id) => match state.lever.posting(credentials, id).await {
            Ok(posting) => Some(posting),
            // A deleted job leaves its candidates: decide on the candidate's own tags.
            Err(LeverError::NotFound { .. }) => None,
            Err(e) => return Err(refused_read(state, credentials, e, ProbeList::Postings).await),
        },
        None => None,
    };
    let has_pad = pad::Entity::find_in_org(org_id)
        .filter(pad::Column::OpportunityId.eq(&change.opportunity_id))
        .one(&state.db)
        .await?
        .is_some();
    let decision = rules::decide(&Facts {
        to_stage_id: &change.to_stage_id,
        selected_stage_ids: &selected_ids,
        opportunity: &opportunity,
        posting_tags: posting.as_ref().map(|p| p.tags.as_slice()),
        tag: &integration.row.tag,
        has_pad,
    });
    if let Decision::Ignore(reason) = decision {
        return Ok(Err(reason));
    }
    let stage_name = selected
        .iter()
        .find(|s| s.id == change.to_stage_id)
        .map(|s| s.name.clone());
    let mut new_pad = pads::new_pad(
        org_id,
        pads::PadSource::Lever,
        opportunity.name.clone(),
        integration.row.pad_owner_id,
    )
    .job_title(posting.map(|p| p.text));
    new_pad.0.opportunity_id = Set(Some(change.opportunity_id.clone()));
    new_pad.0.delivery_id = Set(Some(delivery_id));
    new_pad.0.stage_id = Set(Some(change.to_stage_id.clone()));
    new_pad.0.stage_name = Set(stage_name);
    // The pad and its e-mail to the candidate (when the option is on) are written together:
    // a run that finds the pad made does not make either again.
    let txn = state.db.begin().await?;
    match new_pad.insert(&txn).await {
        Ok(pad) => {
            let mailed = integration.row.email_candidate_link
                && pads::mail::queue_on_creation(state, &txn, &pad, &opportunity).await?;
            txn.commit().await?;
            if mailed {
                state.job_signal.wake();
            }
            tracing::info!(%org_id, pad = %pads::log_ref(&pad.id), mailed, "pad created for a Lever candidate");
            Ok(Ok((pad, opportunity)))
        }
        // Another delivery for the same candidate won the race.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(Err(DeliveryReason::AlreadyHasPad))
        }
        Err(e) => Err(e.into()),
    }
}

async fn read_candidate(
    state: &AppState,
    credentials: &LeverCredentials,
    opportunity_id: &str,
) -> Result<LeverOpportunity, JobError> {
    match state.lever.opportunity(credentials, opportunity_id).await {
        Ok(opportunity) => Ok(opportunity),
        Err(e) => Err(refused_read(state, credentials, e, ProbeList::Opportunities).await),
    }
}

/// Lever answering 403 for one candidate or job while the key may still read `list`: the
/// candidate is confidential (a key needs confidential access from its creation), which the
/// delivery says instead of "not allowed". When the list is refused too, the permission is.
async fn refused_read(
    state: &AppState,
    credentials: &LeverCredentials,
    error: LeverError,
    list: ProbeList,
) -> JobError {
    if matches!(error, LeverError::Forbidden { .. })
        && state.lever.probe_list(credentials, list).await.is_ok()
    {
        return JobError::permanent(Text::LeverJobConfidentialCandidate);
    }
    error.into()
}

/// Shows a failed run on its delivery: `failed` while retries remain, `dead` after.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &JobError,
    will_retry: bool,
) -> Result<(), sea_orm::DbErr> {
    let Some(delivery_id) = job.delivery_id else {
        return Ok(());
    };
    set_delivery(db, delivery_id, |row| {
        row.status = Set(if will_retry {
            Status::Failed
        } else {
            Status::Dead
        });
        row.detail = Set(Some(error.english().chars().take(1_000).collect()));
        row.detail_message = Set(error.stored_message());
        row.attempts = Set(job.attempts);
    })
    .await
}

async fn set_delivery(
    db: &impl ConnectionTrait,
    delivery_id: DeliveryId,
    change: impl FnOnce(&mut lever_delivery::ActiveModel),
) -> Result<(), sea_orm::DbErr> {
    let mut row = lever_delivery::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(delivery_id),
        ..Default::default()
    };
    change(&mut row);
    row.update(db).await?;
    Ok(())
}
