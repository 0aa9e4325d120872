//! What an ended pad sends to Lever, through the job queue: the code as a candidate note (on a
//! member's request) and the results note (automatically, unless switched off in the setup).
//! Both end with Stagepad's marker line and are posted once (see `lever::notes`).

use api::{ErrorCode, PadId, RefusalCode, RequestStatus, UserId};
use entity::InOrg;
use entity::{job, pad};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use serde::Deserialize;
use time::OffsetDateTime;

use super::member::MemberPad;
use super::{PadSource, PadStatus, live};
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Text, msg};
use crate::jobs::{JobError, queue};
use crate::lever::client::LeverCredentials;
use crate::lever::integration::{self, Integration};
use crate::lever::notes::{self as lever_notes, NoteKind};
use crate::orgs;
use crate::state::AppState;

#[derive(Deserialize)]
struct PadJob {
    pad_id: PadId,
    /// The member who asked (absent from jobs queued before it was recorded).
    #[serde(default)]
    user_id: Option<UserId>,
}

/// Whether ending this pad posts a results note.
pub async fn wants_results_note(state: &AppState, pad: &pad::Model) -> ApiResult<bool> {
    if pad.source != PadSource::Lever || pad.opportunity_id.is_none() {
        return Ok(false);
    }
    if !orgs::service::plan_includes_lever(&state.db, pad.org_id).await? {
        return Ok(false);
    }
    Ok(integration::load(&state.db, pad.org_id)
        .await?
        .is_some_and(|i| i.row.results_notes_enabled && i.row.api_key_sealed.is_some()))
}

/// `POST /api/pads/<id>/lever-note`: queues the final code for the candidate's notes.
pub async fn request_code_note(
    state: &AppState,
    member: &MemberPad,
    request: api::LeverWriteRequest,
) -> ApiResult<api::PadView> {
    let pad = ended_lever_pad(state, member).await?;
    queue_request(
        state,
        &pad,
        Request {
            columns: CODE_NOTE_COLUMNS,
            job_kind: job::Kind::CodeNote,
            payload: serde_json::json!({ "pad_id": pad.id, "user_id": member.user().user_id }),
            again_after: request.again_after,
            busy_code: ErrorCode::NoteInProgress,
            busy: Text::PadsLeverNoteBusy,
            sent_code: ErrorCode::NoteAlreadySent,
            sent: Text::PadsLeverNoteSent,
        },
    )
    .await?;
    super::view(state, &pad.id, Some(member.user())).await
}

/// A member's ended Lever pad whose organization can still write to Lever, or why not.
pub(super) async fn ended_lever_pad(state: &AppState, member: &MemberPad) -> ApiResult<pad::Model> {
    let pad = member.pad().clone();
    if pad.source != PadSource::Lever || pad.opportunity_id.is_none() {
        return Err(ApiError::conflict(
            ErrorCode::NotFromLever,
            msg(Text::PadsLeverNotFromLever),
        ));
    }
    if pad.status != PadStatus::Ended {
        return Err(ApiError::conflict(
            ErrorCode::PadNotEnded,
            msg(Text::PadsLeverNotEnded),
        ));
    }
    if !orgs::service::plan_includes_lever(&state.db, pad.org_id).await? {
        return Err(ApiError::forbidden(
            ErrorCode::EnterpriseRequired,
            msg(Text::PadsLeverPlanExcludesLever),
        ));
    }
    let connected = integration::load(&state.db, pad.org_id)
        .await?
        .is_some_and(|i| i.row.api_key_sealed.is_some());
    if !connected {
        return Err(ApiError::conflict(
            ErrorCode::LeverNotConnected,
            msg(Text::PadsLeverNotConnected),
        ));
    }
    Ok(pad)
}

/// A kind of write to Lever's columns on the pad.
#[derive(Clone, Copy)]
pub(super) struct RequestColumns {
    pub status: pad::Column,
    /// The last failure in English, and as a catalog message worded for each reader.
    pub error: pad::Column,
    pub error_message: pad::Column,
    /// When it last reached Lever, and who had asked.
    pub sent_at: pad::Column,
    pub sent_by: pad::Column,
}

/// A member's request to write a pad's code to Lever: the pad's columns for it, and the job
/// that carries it out.
pub(super) struct Request {
    pub columns: RequestColumns,
    pub job_kind: job::Kind,
    pub payload: serde_json::Value,
    /// "Send again": the sending the person saw (see `api::LeverWriteRequest`).
    pub again_after: Option<OffsetDateTime>,
    /// Answered (409) when the same request is already on its way.
    pub busy_code: ErrorCode,
    pub busy: Text,
    /// Answered (409) when it reached Lever already, unless `again_after` names that sending;
    /// it fills `{sent_at}` with that sending's minute.
    pub sent_code: ErrorCode,
    pub sent: Text,
}

/// Marks the request as sending and queues its job, in one transaction. One request of a
/// kind at a time: a second click while the first is on its way changes nothing, and once it
/// reached Lever, only "send again" naming the sending the person saw sends another (a stale
/// page, or a second member's click, posts nothing more).
pub(super) async fn queue_request(
    state: &AppState,
    pad: &pad::Model,
    request: Request,
) -> ApiResult<()> {
    use sea_orm::{ActiveModelTrait, TransactionTrait};
    let txn = state.db.begin().await?;
    let RequestColumns {
        status,
        error,
        error_message,
        sent_at,
        ..
    } = request.columns;
    // The row stays locked until the commit (PostgreSQL; SQLite's one connection serialises
    // anyway), so what is checked here is what the update changes.
    let (current, last_sent) = pad::Entity::find_in_org(pad.org_id)
        .filter(pad::Column::Id.eq(&pad.id))
        .select_only()
        .column(status)
        .column(sent_at)
        .lock_exclusive()
        .into_tuple::<(Option<RequestStatus>, Option<OffsetDateTime>)>()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(msg(Text::PadsNoSuchPad)))?;
    if current == Some(RequestStatus::Sending) {
        return Err(ApiError::conflict(request.busy_code, msg(request.busy)));
    }
    if let Some(last_sent) = last_sent
        && request.again_after != Some(last_sent)
    {
        return Err(ApiError::conflict(
            request.sent_code,
            msg(request.sent).with("sent_at", minute(last_sent)),
        ));
    }
    pad::Entity::update_in_org(pad.org_id)
        .col_expr(status, Expr::value(Some(RequestStatus::Sending)))
        .col_expr(error, Expr::value(Option::<String>::None))
        .col_expr(error_message, Expr::value(Option::<String>::None))
        .filter(pad::Column::Id.eq(&pad.id))
        .exec(&txn)
        .await?;
    queue::new_job(
        pad.org_id,
        request.job_kind,
        None,
        request.payload.to_string(),
        OffsetDateTime::now_utc(),
    )
    .insert(&txn)
    .await?;
    txn.commit().await?;
    state.job_signal.wake();
    Ok(())
}

/// A moment to the minute, in UTC, as a message names it: `2026-12-03 14:05 UTC`.
fn minute(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

/// Shows that `job`, a member's request (asked by `sent_by`), was carried out, unless the job
/// lost its claim meanwhile: a run another took over must not overwrite what a newer request
/// shows.
pub(super) async fn request_done(
    db: &impl sea_orm::ConnectionTrait,
    pad_id: &PadId,
    columns: RequestColumns,
    job: &job::Model,
    sent_by: Option<UserId>,
) -> Result<(), JobError> {
    let still_claimed = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(queue::this_run(job))
        .into_query();
    let updated = pad::Entity::update_in_org(job.org_id)
        .col_expr(columns.status, Expr::value(Some(RequestStatus::Sent)))
        .col_expr(columns.error, Expr::value(Option::<String>::None))
        .col_expr(columns.error_message, Expr::value(Option::<String>::None))
        .col_expr(
            columns.sent_at,
            Expr::value(Some(OffsetDateTime::now_utc())),
        )
        .col_expr(columns.sent_by, Expr::value(sent_by))
        .filter(pad::Column::Id.eq(pad_id))
        .filter(Expr::exists(still_claimed))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(JobError::lost_lease());
    }
    Ok(())
}

pub(super) const CODE_NOTE_COLUMNS: RequestColumns = RequestColumns {
    status: pad::Column::CodeNoteStatus,
    error: pad::Column::CodeNoteError,
    error_message: pad::Column::CodeNoteErrorMessage,
    sent_at: pad::Column::CodeNoteSentAt,
    sent_by: pad::Column::CodeNoteSentBy,
};

/// The pad a note job is about, with its organization's Lever connection and credentials.
pub(super) async fn job_pad(
    state: &AppState,
    job: &job::Model,
) -> Result<(pad::Model, Integration, LeverCredentials), JobError> {
    let payload: PadJob = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::permanent(msg(Text::JobsUnreadable).with("detail", e)))?;
    let pad = pad::Entity::find_in_org(job.org_id)
        .filter(pad::Column::Id.eq(&payload.pad_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| JobError::permanent(Text::JobsPadGone))?;
    // The plan as it is now: a note queued before a downgrade is not sent.
    if !orgs::service::plan_includes_lever(&state.db, job.org_id).await? {
        return Err(JobError::permanent(Text::PadsLeverPlanExcludesLever));
    }
    let (integration, credentials) = integration::load_for_job(state, job.org_id)
        .await?
        .ok_or_else(|| JobError::permanent(Text::LeverErrorNotConnected))?;
    Ok((pad, integration, credentials))
}

pub async fn send_code_note(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    let asked_by = serde_json::from_str::<PadJob>(&job.payload)
        .ok()
        .and_then(|p| p.user_id);
    let (pad, integration, credentials) = job_pad(state, job).await?;
    let code = final_code(state, &pad.id).await?;
    let label = api::language_label(&pad.language).unwrap_or("Code");
    let link = super::link(state, &pad.id);
    let marker = lever_notes::marker(NoteKind::Code, &link, job);
    let last_run = crate::runs::store::latest(&state.db, &pad.id).await?;
    let last_run = crate::runs::summary::last_run(last_run.as_ref());
    let note = code_note(label, &code, &last_run, &link, &marker);
    let opportunity = pad.opportunity_id.as_deref().unwrap_or_default();
    lever_notes::post_once(
        state,
        job,
        &integration,
        &credentials,
        opportunity,
        &note,
        &marker,
    )
    .await?;
    request_done(&state.db, &pad.id, CODE_NOTE_COLUMNS, job, asked_by).await?;
    Ok(())
}

/// The pad's final code, for a job: storage failing is worth another run (the job retries);
/// a history that cannot be read is not.
pub(super) async fn final_code(state: &AppState, pad_id: &PadId) -> Result<String, JobError> {
    live::final_text(&state.db, pad_id)
        .await
        .map_err(|refusal| match refusal.code {
            RefusalCode::StorageFailed => {
                JobError::transient(msg(Text::JobsPadStorage).with("detail", refusal.message))
            }
            _ => JobError::permanent(
                msg(Text::JobsPadHistoryUnreadable).with("detail", refusal.message),
            ),
        })
}

pub async fn send_results_note(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    let (pad, integration, credentials) = job_pad(state, job).await?;
    if pad.results_note_id.is_some() {
        return Ok(());
    }
    let participants = participant_list(
        live::stored_participants(&state.db, &pad.id)
            .await?
            .into_iter()
            .map(|p| p.name),
    );
    let duration = match (pad.started_at, pad.ended_at) {
        (Some(start), Some(end)) => {
            api::playback::interview_duration((end - start).whole_seconds())
        }
        _ => "no code was written".into(),
    };
    let link = super::link(state, &pad.id);
    let marker = lever_notes::marker(NoteKind::Results, &link, job);
    let last_run = crate::runs::store::latest(&state.db, &pad.id).await?;
    let last_run = without_mentions(&crate::runs::summary::last_run(last_run.as_ref()));
    let note = format!(
        "Interview ended. Duration: {duration}. Language: {}. Participants: {}. Playback: {link}\n{last_run}\n\n{marker}",
        api::language_label(&pad.language).unwrap_or("unknown"),
        participants,
    );
    let opportunity = pad.opportunity_id.as_deref().unwrap_or_default();
    let note_id = lever_notes::post_once(
        state,
        job,
        &integration,
        &credentials,
        opportunity,
        &note,
        &marker,
    )
    .await?;
    pad::Entity::update_in_org(pad.org_id)
        .col_expr(pad::Column::ResultsNoteId, Expr::value(Some(note_id)))
        .filter(pad::Column::Id.eq(&pad.id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Shows a failed request (a code note or a feedback form) on the pad: still sending while
/// retries remain, failed after. The results note is automatic and shows nowhere on the pad.
pub async fn record_failure(
    db: &impl sea_orm::ConnectionTrait,
    job: &job::Model,
    error: &JobError,
    will_retry: bool,
) -> Result<(), sea_orm::DbErr> {
    let columns = match job.kind {
        job::Kind::CodeNote => CODE_NOTE_COLUMNS,
        job::Kind::Feedback => super::feedback::FEEDBACK_COLUMNS,
        job::Kind::LeverStageChange | job::Kind::ResultsNote | job::Kind::Mail => return Ok(()),
    };
    let Ok(payload) = serde_json::from_str::<PadJob>(&job.payload) else {
        return Ok(());
    };
    let (status, error) = if will_retry {
        let message = msg(Text::JobsTryingAgain).with_message("error", error.message.clone());
        let again = JobError {
            message,
            ..error.clone()
        };
        (RequestStatus::Sending, again)
    } else {
        (RequestStatus::Failed, error.clone())
    };
    pad::Entity::update_in_org(job.org_id)
        .col_expr(columns.status, Expr::value(Some(status)))
        .col_expr(columns.error, Expr::value(Some(error.english())))
        .col_expr(columns.error_message, Expr::value(error.stored_message()))
        .filter(pad::Column::Id.eq(&payload.pad_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Lever's longest note is not documented: stay well within what any API takes.
pub const MAX_NOTE_CHARS: usize = 100_000;
const CUT_MARKER: &str = "[Cut here: a note from Stagepad holds at most 100000 characters; \
                          the whole code is in the playback.]";

/// Text written by a candidate or guest, made safe for a Lever note: Lever turns `@username`
/// into a mention that notifies and e-mails that user. Every `@` becomes the fullwidth `＠`
/// (U+FF20) rather than getting an invisible zero-width joiner: a reader sees that the text
/// was changed (and why code copied from the note differs), and no mention parser or
/// normalisation that strips zero-width characters turns it back into `@`.
pub fn without_mentions(text: &str) -> String {
    text.replace('@', "\u{FF20}")
}

/// The code note: plain text (Lever shows no Markdown), a header line naming the language,
/// the code with its indentation, the last run, the playback link and Stagepad's marker line;
/// the code is cut with a line saying so when the note would be longer than [`MAX_NOTE_CHARS`].
fn code_note(label: &str, code: &str, last_run: &str, playback: &str, marker: &str) -> String {
    let header = format!("Code from the interview ({label}):\n\n");
    let footer = format!(
        "\n\n{}\nPlayback: {playback}\n{marker}",
        without_mentions(last_run)
    );
    let room = MAX_NOTE_CHARS - header.chars().count() - footer.chars().count();
    let body = fit(&without_mentions(code.trim_end()), room);
    format!("{header}{body}{footer}")
}

/// `code` whole when it has at most `room` characters; else cut (at the end of a line when
/// there is one, so no line is shown half) and followed by a line saying so.
pub(super) fn fit(code: &str, room: usize) -> String {
    if code.char_indices().nth(room).is_none() {
        return code.to_string();
    }
    let room = room - CUT_MARKER.chars().count() - 1;
    let cut = code.char_indices().nth(room).map_or(code.len(), |(i, _)| i);
    let cut = code[..cut].rfind('\n').map_or(cut, |newline| newline + 1);
    format!("{}{CUT_MARKER}", &code[..cut])
}

/// Names listed in the results note, each cut to this many characters.
const NOTE_NAMES: usize = 12;
const NOTE_NAME_CHARS: usize = 50;

/// The participants as the results note lists them: names are typed by guests, so both each
/// name and the list are bounded.
fn participant_list(names: impl Iterator<Item = String>) -> String {
    let names: Vec<String> = names.collect();
    if names.is_empty() {
        return "nobody joined".into();
    }
    let mut listed: Vec<String> = names
        .iter()
        .take(NOTE_NAMES)
        .map(|name| match name.char_indices().nth(NOTE_NAME_CHARS) {
            Some((cut, _)) => format!("{}…", &name[..cut]),
            None => name.clone(),
        })
        .map(|name| without_mentions(&name))
        .collect();
    if names.len() > NOTE_NAMES {
        listed.push(format!("and {} more", names.len() - NOTE_NAMES));
    }
    listed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_results_note_lists_a_bounded_number_of_bounded_names() {
        assert_eq!(participant_list(std::iter::empty()), "nobody joined");
        assert_eq!(
            participant_list(["Ada".to_string(), "Bob".to_string()].into_iter()),
            "Ada, Bob"
        );
        let long = "é".repeat(80);
        let listed = participant_list(std::iter::once(long));
        assert_eq!(listed.chars().count(), NOTE_NAME_CHARS + 1);
        assert!(listed.ends_with('…'));
        let many = participant_list((0..30).map(|i| format!("P{i}")));
        assert!(many.ends_with(", and 18 more"), "{many}");
        assert_eq!(many.matches(", ").count(), NOTE_NAMES);
        assert_eq!(
            participant_list(std::iter::once("Eve @riley".to_string())),
            "Eve ＠riley"
        );
    }

    #[test]
    fn the_code_note_is_plain_text_without_mentions_and_bounded() {
        let marker = "Stagepad code · https://p/1 · request 0123456789ab";
        let note = code_note(
            "Python",
            "@cache\ndef f():\n    return 1\n\n",
            "Last run: Python by Ada, exited with code 0.\nOutput:\n  @home",
            "https://p/1",
            marker,
        );
        assert_eq!(
            note,
            format!(
                "Code from the interview (Python):\n\n＠cache\ndef f():\n    return 1\n\nLast run: Python by Ada, exited with code 0.\nOutput:\n  ＠home\nPlayback: https://p/1\n{marker}"
            )
        );
        let long = "é = 1\n".repeat(40_000);
        let note = code_note("Python", &long, "Last run: none", "https://p/1", marker);
        assert!(note.chars().count() <= MAX_NOTE_CHARS);
        assert!(note.contains(&format!(
            "é = 1\n{CUT_MARKER}\n\nLast run: none\nPlayback: https://p/1"
        )));
        let one_line = "x".repeat(300_000);
        let note = code_note("Python", &one_line, "Last run: none", "https://p/1", marker);
        assert!(
            note.chars().count() <= MAX_NOTE_CHARS,
            "{}",
            note.chars().count()
        );
        assert!(note.contains(CUT_MARKER));
    }
}
