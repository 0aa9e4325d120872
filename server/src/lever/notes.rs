//! Notes Stagepad posts on a candidate, posted once. Lever's `POST .../notes` takes no
//! idempotency key, so an answer lost after Lever stored the note (a timeout, a 5xx, a crash
//! before the note was recorded) would post it again on the job's next run. Every note ends
//! with a marker line naming its kind and pad; a run after the first looks for it first.

use entity::InOrg;
use entity::{job, lever_integration};
use sea_orm::sea_query::Expr;

use super::client::{LeverCredentials, LeverError, as_author};
use super::integration::Integration;
use crate::i18n::Text;
use crate::jobs::{self, JobError};
use crate::state::AppState;

/// The notes Stagepad writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// The stage-change pipeline's "pad created" note.
    PadCreated,
    /// The results of an ended pad.
    Results,
    /// A member's request to send the final code; one note per request.
    Code,
    /// A member's request to file the final code as a feedback form; one form per request.
    Feedback,
}

impl NoteKind {
    fn label(self) -> &'static str {
        match self {
            NoteKind::PadCreated => "pad created",
            NoteKind::Results => "results",
            NoteKind::Code => "code",
            NoteKind::Feedback => "feedback",
        }
    }
}

/// The last line of a note (or a feedback form's text answer): `Stagepad <kind> · <pad link>`,
/// and for what a member may ask for again (code, feedback) ` · request <job>`, so each
/// request is a note or form of its own.
pub fn marker(kind: NoteKind, pad_link: &str, job: &job::Model) -> String {
    let base = format!("Stagepad {} · {pad_link}", kind.label());
    match kind {
        NoteKind::Code | NoteKind::Feedback => {
            format!(
                "{base} · request {}",
                &job.id.as_uuid().simple().to_string()[..12]
            )
        }
        NoteKind::PadCreated | NoteKind::Results => base,
    }
}

/// Posts `text` (which ends with `marker`) unless an earlier run of this job already did:
/// on any run after the first the opportunity's notes are searched for the marker, and a note
/// found counts as posted (its id is returned). A key that may not read notes posts anyway,
/// as before the look existed, and step 1 then says so.
pub async fn post_once(
    state: &AppState,
    job: &job::Model,
    integration: &Integration,
    credentials: &LeverCredentials,
    opportunity_id: &str,
    text: &str,
    marker: &str,
) -> Result<String, JobError> {
    if job.attempts > 1 && integration.row.notes_readable {
        match state
            .lever
            .find_note(credentials, opportunity_id, marker)
            .await
        {
            Ok(Some(note_id)) => {
                tracing::info!(job_id = %job.id, "an earlier run's note is already in Lever; not posted again");
                return Ok(note_id);
            }
            Ok(None) => {}
            Err(LeverError::Forbidden { .. }) => {
                tracing::warn!(org_id = %job.org_id, "the Lever key may not read notes; posting without looking");
                // A confidential candidate's notes are refused to a key without confidential
                // access whatever its permissions: only a 403 on a candidate the key can read
                // says the permission is gone.
                let candidate_readable = state
                    .lever
                    .opportunity(credentials, opportunity_id)
                    .await
                    .is_ok();
                if candidate_readable {
                    remember_notes_unreadable(state, job).await?;
                }
            }
            // Whether the note is there is unknown: post nothing until Lever can tell.
            Err(e) => return Err(e.into()),
        }
    }
    jobs::hold_lease(state, job).await?;
    let created = as_author(integration.author(), |author| {
        state
            .lever
            .create_note(credentials, opportunity_id, text, author)
    })
    .await;
    if matches!(created, Err(LeverError::Forbidden { .. }))
        && is_confidential_to(state, credentials, opportunity_id).await
    {
        return Err(JobError::permanent(Text::LeverJobConfidentialCandidate));
    }
    Ok(super::integration::watch_write(state, job.org_id, created).await?)
}

/// Whether Lever refuses this key the candidate itself (403): a confidential candidate and a
/// key created without confidential access. A 403 on its notes then says nothing of the
/// key's permissions, which hold for every other candidate.
async fn is_confidential_to(
    state: &AppState,
    credentials: &LeverCredentials,
    opportunity_id: &str,
) -> bool {
    matches!(
        state.lever.opportunity(credentials, opportunity_id).await,
        Err(LeverError::Forbidden { .. })
    )
}

async fn remember_notes_unreadable(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    lever_integration::Entity::update_in_org(job.org_id)
        .col_expr(lever_integration::Column::NotesReadable, Expr::value(false))
        .exec(&state.db)
        .await?;
    Ok(())
}
