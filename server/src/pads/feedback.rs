//! "Send as feedback": an ended Lever pad's final code filed on the candidate as a feedback
//! form of the template the admin chose, as the member who asks (their Lever user, found by
//! e-mail), through the job queue and filed once (see `lever::feedback`).

use api::{ErrorCode, PadId, UserId};
use entity::InOrg;
use entity::{job, pad, user};
use sea_orm::{ColumnTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::member::MemberPad;
use super::notes::{self, Request};
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Text, msg};
use crate::jobs::JobError;
use crate::lever::client::{LeverCredentials, LeverError};
use crate::lever::feedback::{self as lever_feedback, FeedbackForm};
use crate::lever::notes::{self as lever_notes, NoteKind};
use crate::state::AppState;

pub(super) const FEEDBACK_COLUMNS: notes::RequestColumns = notes::RequestColumns {
    status: pad::Column::FeedbackStatus,
    error: pad::Column::FeedbackError,
    error_message: pad::Column::FeedbackErrorMessage,
    sent_at: pad::Column::FeedbackSentAt,
    sent_by: pad::Column::FeedbackSentBy,
};

#[derive(Serialize, Deserialize)]
struct FeedbackJob {
    pad_id: PadId,
    /// The member who asked: the form is filed as their Lever user.
    user_id: UserId,
}

/// `POST /api/pads/<id>/lever-feedback`: queues the final code as a feedback form.
pub async fn request_feedback(
    state: &AppState,
    member: &MemberPad,
    request: api::LeverWriteRequest,
) -> ApiResult<api::PadView> {
    let pad = notes::ended_lever_pad(state, member).await?;
    let user = member.user();
    let template_chosen = crate::lever::integration::load(&state.db, pad.org_id)
        .await?
        .is_some_and(|i| i.row.feedback_template_id.is_some());
    if !template_chosen {
        return Err(ApiError::conflict(
            ErrorCode::NoFeedbackTemplate,
            msg(Text::PadsLeverNoFeedbackTemplate),
        ));
    }
    let payload = FeedbackJob {
        pad_id: pad.id.clone(),
        user_id: user.user_id,
    };
    notes::queue_request(
        state,
        &pad,
        Request {
            columns: FEEDBACK_COLUMNS,
            job_kind: job::Kind::Feedback,
            payload: serde_json::to_value(payload).expect("json"),
            again_after: request.again_after,
            busy_code: ErrorCode::FeedbackInProgress,
            busy: Text::PadsLeverFeedbackBusy,
            sent_code: ErrorCode::FeedbackAlreadySent,
            sent: Text::PadsLeverFeedbackSent,
        },
    )
    .await?;
    super::view(state, &pad.id, Some(user)).await
}

pub async fn send_feedback(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    let payload: FeedbackJob = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::permanent(msg(Text::JobsUnreadable).with("detail", e)))?;
    let (pad, integration, credentials) = notes::job_pad(state, job).await?;
    let member = user::Entity::find_in_org(job.org_id)
        .filter(user::Column::Id.eq(payload.user_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| JobError::permanent(Text::JobsMemberGone))?;
    let author = lever_user(state, &credentials, &member.email).await?;
    let code = notes::final_code(state, &pad.id).await?;
    let link = super::link(state, &pad.id);
    let marker = lever_notes::marker(NoteKind::Feedback, &link, job);
    let language = api::language_label(&pad.language).unwrap_or("unknown");
    let last_run = crate::runs::store::latest(&state.db, &pad.id).await?;
    // What candidates print reaches Lever as written nowhere but the code question.
    let last_run = notes::without_mentions(&crate::runs::summary::last_run(last_run.as_ref()));
    let text = format!("Language: {language}\nPlayback: {link}\n{last_run}\n\n{marker}");
    let opportunity_id = pad.opportunity_id.as_deref().unwrap_or_default();
    lever_feedback::file_once(
        state,
        job,
        &integration,
        &credentials,
        FeedbackForm {
            opportunity_id,
            author: &author,
            // The code question holds the code as written: a code answer is not a note, and
            // changing `@` would change the program.
            code: &notes::fit(code.trim_end(), notes::MAX_NOTE_CHARS),
            text: &text,
            marker: &marker,
        },
    )
    .await?;
    notes::request_done(
        &state.db,
        &pad.id,
        FEEDBACK_COLUMNS,
        job,
        Some(payload.user_id),
    )
    .await?;
    Ok(())
}

/// The active Lever user with this member's e-mail: feedback is an interviewer's, so it is
/// filed as them or not at all.
async fn lever_user(
    state: &AppState,
    credentials: &LeverCredentials,
    email: &str,
) -> Result<String, JobError> {
    let canonical = email.trim().to_lowercase();
    let users = match state
        .lever
        .users_by_email(credentials, &canonical, true)
        .await
    {
        Ok(users) => users,
        Err(LeverError::Forbidden { .. }) => {
            return Err(JobError::permanent(Text::LeverJobUsersForbidden));
        }
        Err(e) => return Err(e.into()),
    };
    // The filter's answer is checked, not trusted: filing as someone else would be worse than
    // not filing.
    let users: Vec<_> = users
        .into_iter()
        .filter(|u| u.has_email(&canonical))
        .collect();
    let active: Vec<_> = users
        .iter()
        .filter(|u| u.deactivated_at.is_none())
        .collect();
    match active.as_slice() {
        [one] => return Ok(one.id.clone()),
        [] => {}
        several => {
            return Err(JobError::permanent(
                msg(Text::LeverJobSeveralUsers)
                    .with("count", several.len())
                    .with("email", &canonical),
            ));
        }
    }
    let why = if users.is_empty() {
        Text::LeverJobNoUser
    } else {
        Text::LeverJobUserDeactivated
    };
    Err(JobError::permanent(msg(why).with("email", canonical)))
}
