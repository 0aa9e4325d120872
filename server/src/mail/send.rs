//! The job that sends one queued mail: at most once. `sending` is recorded before the mail
//! server is asked and `sent` after; a run that finds `sending` does not ask again.

use api::{MailPurpose, MailStatus};
use entity::InOrg;
use entity::{job, mail};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, TransactionTrait};
use time::OffsetDateTime;

use super::{Bodies, MailJob, SendError, SendGate, compose, seal_context};
use crate::audit::{self, Actor};
use crate::extract::ClientAddress;
use crate::i18n::{Message, Text, msg};
use crate::jobs::{JobError, hold_lease};
use crate::state::AppState;

pub fn purpose_name(purpose: MailPurpose) -> Text {
    match purpose {
        MailPurpose::Invitation => Text::MailPurposeInvitation,
        MailPurpose::PasswordReset => Text::MailPurposePasswordReset,
        MailPurpose::PadLink => Text::MailPurposePadLink,
    }
}

fn payload(job: &job::Model) -> Result<MailJob, JobError> {
    serde_json::from_str(&job.payload)
        .map_err(|e| JobError::permanent(msg(Text::JobsUnreadable).with("detail", e)))
}

/// Moves the mail from `from` to `to`, with what else changes; false when it was not in `from`.
async fn advance(
    db: &impl ConnectionTrait,
    mail: &mail::Model,
    from: &[MailStatus],
    to: MailStatus,
    error: Option<&Message>,
) -> Result<bool, sea_orm::DbErr> {
    let mut update = mail::Entity::update_in_org(mail.org_id)
        .col_expr(mail::Column::Status, Expr::value(to.as_str()))
        .col_expr(
            mail::Column::Error,
            Expr::value(error.map(|e| e.render(api::i18n::Locale::En))),
        )
        .col_expr(
            mail::Column::ErrorMessage,
            Expr::value(error.and_then(Message::stored_json)),
        );
    if to != MailStatus::Queued && to != MailStatus::Sending {
        // Its links need not be kept once the mail server has answered for good.
        update = update.col_expr(
            mail::Column::BodySealed,
            Expr::value(Option::<String>::None),
        );
    }
    if to == MailStatus::Sent {
        update = update.col_expr(mail::Column::SentAt, Expr::value(OffsetDateTime::now_utc()));
    }
    let done = update
        .filter(mail::Column::Id.eq(mail.id))
        .filter(mail::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// [`advance`], and when the mail moved, `detail` in the audit log.
async fn advance_audited(
    db: &impl ConnectionTrait,
    mail: &mail::Model,
    from: &[MailStatus],
    to: MailStatus,
    error: Option<&Message>,
    detail: Option<Message>,
) -> Result<bool, sea_orm::DbErr> {
    let moved = advance(db, mail, from, to, error).await?;
    if let (true, Some(detail)) = (moved, detail) {
        audit::record(
            db,
            mail.org_id,
            Actor::system(),
            audit_action(to),
            detail,
            &ClientAddress::unknown(),
        )
        .await?;
    }
    Ok(moved)
}

/// [`advance_audited`] in a transaction of its own.
async fn record(
    state: &AppState,
    mail: &mail::Model,
    from: &[MailStatus],
    to: MailStatus,
    error: Option<&Message>,
    detail: Option<Message>,
) -> Result<bool, sea_orm::DbErr> {
    let txn = state.db.begin().await?;
    let moved = advance_audited(&txn, mail, from, to, error, detail).await?;
    txn.commit().await?;
    Ok(moved)
}

fn audit_action(status: MailStatus) -> &'static str {
    match status {
        MailStatus::Sent => "mail_sent",
        MailStatus::Unconfirmed => "mail_unconfirmed",
        _ => "mail_failed",
    }
}

fn detail(text: Text, mail: &mail::Model) -> Message {
    msg(text)
        .with_text("purpose", purpose_name(mail.purpose))
        .with("email", &mail.recipient)
}

/// An invitation's mail goes out only while the invitation is open and this mail is its newest
/// (a resend queues a newer one with the new link).
async fn invitation_still_open(state: &AppState, mail: &mail::Model) -> Result<bool, JobError> {
    let Some(invitation_id) = mail.invitation_id else {
        return Ok(true);
    };
    let open = entity::invitation::Entity::find_in_org(mail.org_id)
        .filter(entity::invitation::Column::Id.eq(invitation_id))
        .one(&state.db)
        .await?
        .is_some_and(|invitation| invitation.is_open(OffsetDateTime::now_utc()));
    let newest = mail::Entity::find_in_org(mail.org_id)
        .filter(mail::Column::InvitationId.eq(invitation_id))
        .order_by_desc(mail::Column::CreatedAt)
        .one(&state.db)
        .await?
        .is_some_and(|newest| newest.id == mail.id);
    Ok(open && newest)
}

/// Records `sending` when the mail server is ready, with the lease renewed: the last moment
/// before the message is handed over.
struct Gate<'a> {
    state: &'a AppState,
    job: &'a job::Model,
    mail: &'a mail::Model,
    /// Why the gate stayed shut, when it was not a cancel.
    refused: std::sync::Mutex<Option<JobError>>,
}

#[async_trait::async_trait]
impl SendGate for Gate<'_> {
    async fn opening(&self) -> bool {
        let opened = async {
            hold_lease(self.state, self.job).await?;
            let queued = [MailStatus::Queued];
            Ok::<_, JobError>(
                advance(
                    &self.state.db,
                    self.mail,
                    &queued,
                    MailStatus::Sending,
                    None,
                )
                .await?,
            )
        };
        match opened.await {
            Ok(opened) => opened,
            Err(e) => {
                *self.refused.lock().expect("gate") = Some(e);
                false
            }
        }
    }
}

impl Gate<'_> {
    fn refusal(&self) -> Option<JobError> {
        self.refused.lock().expect("gate").take()
    }
}

/// The words tenants read for a send that failed: the reply code, never the server's text.
fn tenant_words(transient: bool, code: Option<u16>) -> Message {
    match (transient, code) {
        (_, None) if transient => msg(Text::MailErrorUnreachable),
        (_, None) => msg(Text::MailErrorCannotTake),
        (true, Some(code)) => msg(Text::MailErrorNotSent).with("code", code),
        (false, Some(code)) => msg(Text::MailErrorRefused).with("code", code),
    }
}

pub async fn send_mail(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    let MailJob { mail_id } = payload(job)?;
    let Some(mail) = mail::Entity::find_in_org(job.org_id)
        .filter(mail::Column::Id.eq(mail_id))
        .one(&state.db)
        .await?
    else {
        // Its organization's data is gone: nothing to send.
        return Ok(());
    };
    match mail.status {
        MailStatus::Queued => {}
        MailStatus::Sending => {
            // An earlier run handed it over and never recorded the answer.
            tracing::warn!(mail_id = %mail.id, "a mail's sending run stopped before the answer; not sent again");
            let why = msg(Text::MailErrorUnconfirmed);
            record(
                state,
                &mail,
                &[MailStatus::Sending],
                MailStatus::Unconfirmed,
                Some(&why),
                Some(detail(Text::AuditDetailMailUnconfirmed, &mail)),
            )
            .await?;
            return Ok(());
        }
        MailStatus::Sent | MailStatus::Unconfirmed | MailStatus::Failed | MailStatus::Canceled => {
            return Ok(());
        }
    }
    let (Some(mailer), Some(settings)) = (&state.mailer, &state.settings.mail) else {
        return Err(JobError::transient(msg(Text::MailErrorServerOff)));
    };
    if mail.purpose == MailPurpose::PasswordReset
        && mail.created_at + time::Duration::minutes(crate::auth::reset::RESET_MINUTES)
            < OffsetDateTime::now_utc()
    {
        // Its link has expired: a late reset mail would only mislead.
        let queued = [MailStatus::Queued];
        advance(&state.db, &mail, &queued, MailStatus::Canceled, None).await?;
        return Ok(());
    }
    if !invitation_still_open(state, &mail).await? {
        // Revoked, accepted or given a new link since it was queued: its link is dead.
        let queued = [MailStatus::Queued];
        advance(&state.db, &mail, &queued, MailStatus::Canceled, None).await?;
        return Ok(());
    }
    let bodies: Bodies = mail
        .body_sealed
        .as_deref()
        .ok_or_else(|| "no body".to_string())
        .and_then(|sealed| {
            state
                .keyring
                .open(sealed, &seal_context(mail.id))
                .map_err(|e| e.to_string())
        })
        .and_then(|opened| serde_json::from_str(opened.expose()).map_err(|e| e.to_string()))
        .map_err(|reason| {
            JobError::permanent(msg(Text::MailErrorUnreadable).with("reason", reason))
        })?;
    let message = compose::message(settings, &mail, bodies).map_err(|reason| {
        JobError::permanent(msg(Text::MailErrorUnbuildable).with("reason", reason))
    })?;
    let gate = Gate {
        state,
        job,
        mail: &mail,
        refused: Default::default(),
    };
    let sent = mailer
        .send(message.envelope(), &message.formatted(), &gate)
        .await;
    match sent {
        Ok(answer) => {
            tracing::info!(mail_id = %mail.id, org_id = %mail.org_id, purpose = %mail.purpose.as_str(), %answer, "mail sent");
            let sent = [MailStatus::Sending, MailStatus::Unconfirmed];
            record(
                state,
                &mail,
                &sent,
                MailStatus::Sent,
                None,
                Some(detail(Text::AuditDetailMailSent, &mail)),
            )
            .await?;
            Ok(())
        }
        // Canceled or taken by another run since it was read, or the lease is lost.
        Err(SendError::Stopped) => gate.refusal().map_or(Ok(()), Err),
        Err(SendError::Unconfirmed { detail: why_not }) => {
            tracing::warn!(mail_id = %mail.id, org_id = %mail.org_id, error = %why_not, "mail unconfirmed; not sent again");
            let why = msg(Text::MailErrorUnconfirmed);
            record(
                state,
                &mail,
                &[MailStatus::Sending],
                MailStatus::Unconfirmed,
                Some(&why),
                Some(detail(Text::AuditDetailMailUnconfirmed, &mail)),
            )
            .await?;
            Ok(())
        }
        Err(SendError::NotSent {
            transient,
            code,
            detail: why_not,
        }) => {
            tracing::warn!(mail_id = %mail.id, org_id = %mail.org_id, transient, error = %why_not, "mail not sent");
            // Not taken: back to the queue (with why), so that a retry sends it, or the job's
            // failure marks it failed.
            let why = tenant_words(transient, code);
            let either = [MailStatus::Queued, MailStatus::Sending];
            advance(&state.db, &mail, &either, MailStatus::Queued, Some(&why)).await?;
            Err(if transient {
                JobError::transient(why)
            } else {
                JobError::permanent(why)
            })
        }
    }
}

/// After a failed run: a mail that will not be tried again is failed, with why.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &JobError,
    will_retry: bool,
) -> Result<(), sea_orm::DbErr> {
    let Ok(MailJob { mail_id }) = payload(job) else {
        return Ok(());
    };
    let Some(mail) = mail::Entity::find_in_org(job.org_id)
        .filter(mail::Column::Id.eq(mail_id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let to = if will_retry {
        MailStatus::Queued
    } else {
        MailStatus::Failed
    };
    // A job buried while its mail says `sending` (its last run died mid-way): the mail may
    // have gone out.
    if !will_retry && mail.status == MailStatus::Sending {
        let why = msg(Text::MailErrorUnconfirmed);
        let detail = detail(Text::AuditDetailMailUnconfirmed, &mail);
        let sending = [MailStatus::Sending];
        let unconfirmed = MailStatus::Unconfirmed;
        advance_audited(db, &mail, &sending, unconfirmed, Some(&why), Some(detail)).await?;
        return Ok(());
    }
    // Only the end of its tries goes in the audit log.
    let failed = (!will_retry).then(|| {
        detail(Text::AuditDetailMailFailed, &mail).with_message("reason", error.message.clone())
    });
    advance_audited(
        db,
        &mail,
        &[MailStatus::Queued],
        to,
        Some(&error.message),
        failed,
    )
    .await?;
    Ok(())
}
