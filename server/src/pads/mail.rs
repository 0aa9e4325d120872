//! "E-mail the link": a pad's link to the candidate, at an address Lever has for them (asked
//! of Lever each time, so a changed address is used), and to interviewers picked among the
//! organization's members. Each mail is recorded on the pad.

use api::{ErrorCode, MailPurpose, MemberStatus, PadMailRecipient};
use entity::InOrg;
use entity::{mail as mail_row, organization, pad, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use time::OffsetDateTime;

use super::member::MemberPad;
use crate::audit;
use crate::auth::reset::mail_not_configured;
use crate::auth::service::too_many;
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientAddress;
use crate::i18n::{Text, msg, request_locale};
use crate::lever::{integration, setup};
use crate::mail::{self, compose};
use crate::state::AppState;

fn no_recipient(message: crate::i18n::Message) -> ApiError {
    ApiError::unprocessable(ErrorCode::NoMailRecipient, message)
}

/// The addresses Lever has for the pad's candidate; none for a pad not made from Lever.
async fn candidate_emails(state: &AppState, pad: &pad::Model) -> ApiResult<Vec<String>> {
    let Some(opportunity_id) = pad.opportunity_id.as_deref() else {
        return Ok(Vec::new());
    };
    let Some(integration) = integration::load(&state.db, pad.org_id).await? else {
        return Ok(Vec::new());
    };
    let credentials = integration.credentials(state)?;
    let opportunity = state
        .lever
        .opportunity(&credentials, opportunity_id)
        .await
        .map_err(|e| setup::explain(&e, &credentials.base_url))?;
    // Lever's order (its first is the primary address), each address once.
    let mut emails: Vec<String> = Vec::new();
    for email in &opportunity.emails {
        if let Ok(email) = crate::validate::email(email)
            && mail::deliverable(&email).is_ok()
            && !emails.contains(&email)
        {
            emails.push(email);
        }
    }
    Ok(emails)
}

async fn active_members(state: &AppState, pad: &pad::Model) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find_in_org(pad.org_id)
        .filter(user::Column::Status.eq(MemberStatus::Active))
        .order_by_asc(user::Column::Name)
        .all(&state.db)
        .await?)
}

async fn sent(state: &AppState, pad: &pad::Model) -> ApiResult<Vec<api::MailView>> {
    let locale = request_locale();
    Ok(mail_row::Entity::find_in_org(pad.org_id)
        .filter(mail_row::Column::PadId.eq(pad.id.clone()))
        .order_by_desc(mail_row::Column::CreatedAt)
        .all(&state.db)
        .await?
        .iter()
        .map(|m| mail::view(m, locale))
        .collect())
}

pub async fn options(state: &AppState, member: &MemberPad) -> ApiResult<api::PadMailOptions> {
    let pad = member.pad();
    // Lever down or the key revoked: the members can still be e-mailed.
    let (candidate_emails, candidate_emails_error) = match candidate_emails(state, pad).await {
        Ok(emails) => (emails, None),
        Err(e) => (Vec::new(), Some(e.message_in(request_locale()))),
    };
    Ok(api::PadMailOptions {
        mail_configured: state.settings.mail.is_some(),
        candidate_emails,
        candidate_emails_error,
        members: active_members(state, pad)
            .await?
            .into_iter()
            .map(|u| api::MailableMember {
                id: u.id,
                name: u.name,
                email: u.email,
            })
            .collect(),
        sent: sent(state, pad).await?,
    })
}

/// Free text from the interviewer: trimmed, bounded; `one_line` refuses line breaks (the time
/// goes in a line of its own), the message keeps them but no other control character.
fn typed(
    field: &'static str,
    value: Option<&str>,
    max: usize,
    one_line: bool,
) -> ApiResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let refused = value
        .chars()
        .any(|c| c.is_control() && (one_line || !matches!(c, '\n' | '\r' | '\t')));
    if refused || value.chars().count() > max {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::FieldsTooLong)
                .with("field", field)
                .with("max", max),
        ));
    }
    Ok(Some(value.replace("\r\n", "\n")))
}

enum Recipient {
    Candidate(String),
    Member(user::Model),
}

pub async fn send(
    state: &AppState,
    member: &MemberPad,
    request: api::PadMailRequest,
    client: &ClientAddress,
) -> ApiResult<Vec<api::MailView>> {
    let Some(outbox) = state.outbox() else {
        return Err(mail_not_configured());
    };
    let pad = member.pad();
    let user = member.user();
    if request.to.is_empty() || request.to.len() > api::PAD_MAIL_MAX_RECIPIENTS {
        return Err(no_recipient(
            msg(Text::MailErrorNoRecipients).with("max", api::PAD_MAIL_MAX_RECIPIENTS),
        ));
    }
    let message = typed(
        "message",
        request.message.as_deref(),
        api::PAD_MAIL_MESSAGE_MAX_CHARS,
        false,
    )?;
    let when = typed(
        "when",
        request.when.as_deref(),
        api::PAD_MAIL_WHEN_MAX_CHARS,
        true,
    )?;
    let wants_candidate = request
        .to
        .iter()
        .any(|to| matches!(to, PadMailRecipient::Candidate { .. }));
    let lever_emails = if wants_candidate {
        candidate_emails(state, pad).await?
    } else {
        Vec::new()
    };
    let members = active_members(state, pad).await?;
    let mut recipients = Vec::new();
    for to in &request.to {
        let recipient = match to {
            PadMailRecipient::Candidate { email } => {
                let email = crate::validate::email(email)?;
                if lever_emails.is_empty() {
                    return Err(no_recipient(msg(Text::MailErrorNoCandidateEmail)));
                }
                if !lever_emails.contains(&email) {
                    return Err(no_recipient(
                        msg(Text::MailErrorNoRecipient).with("email", &email),
                    ));
                }
                Recipient::Candidate(email)
            }
            PadMailRecipient::Member { user_id } => {
                let member = members
                    .iter()
                    .find(|m| m.id == *user_id)
                    .cloned()
                    .ok_or_else(|| {
                        no_recipient(msg(Text::MailErrorNoMember).with("name", user_id))
                    })?;
                mail::deliverable(&member.email)?;
                Recipient::Member(member)
            }
        };
        // One mail an address, however often the request names it.
        let email = match &recipient {
            Recipient::Candidate(email) => email.clone(),
            Recipient::Member(member) => member.email.clone(),
        };
        if !recipients
            .iter()
            .any(|(known, _): &(String, Recipient)| *known == email)
        {
            recipients.push((email, recipient));
        }
    }
    let now = OffsetDateTime::now_utc();
    let organization = organization::Entity::find_by_id(pad.org_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found(msg(Text::OrgsOrganizationGone)))?;
    let locale = request_locale();
    let link = super::link(state, &pad.id);
    let words = compose::PadLink {
        organization: &organization.name,
        candidate: &pad.candidate_name,
        job: pad.job_title.as_deref(),
        link: &link,
        sender: &user.name,
        message: message.as_deref(),
        when: when.as_deref(),
    };
    let txn = state.db.begin().await?;
    let mut queued = Vec::new();
    for (_, recipient) in recipients {
        // A member reads it in the language they chose; the candidate in the sender's.
        let (email, locale, composed) = match recipient {
            Recipient::Candidate(email) => (email, locale, words.to_candidate(locale)),
            Recipient::Member(member) => {
                let theirs = member.language.unwrap_or(locale);
                (member.email, theirs, words.to_member(theirs))
            }
        };
        let draft = mail::Draft {
            purpose: MailPurpose::PadLink,
            recipient: email.clone(),
            locale,
            subject: composed.subject,
            text: composed.text,
            html: composed.html,
            invitation_id: None,
            pad_id: Some(pad.id.clone()),
            requested_by: Some(mail::RequestedBy {
                user_id: user.user_id,
                name: user.name.clone(),
            }),
        };
        let row = mail::queue(&txn, &outbox, pad.org_id, draft, now)
            .await?
            .map_err(|wait| too_many(Text::MailErrorTooMany, wait))?;
        audit::record(
            &txn,
            pad.org_id,
            user.into(),
            "pad_link_mailed",
            msg(Text::AuditDetailPadLinkMailed)
                .with("candidate", compose::one_line(&pad.candidate_name, 200))
                .with("email", &email),
            client,
        )
        .await?;
        queued.push(mail::view(&row, locale));
    }
    txn.commit().await?;
    state.job_signal.wake();
    Ok(queued)
}

/// The Lever option "e-mail the link to the candidate": queues the new pad's link to Lever's
/// first address for them, in the pad's own transaction. False when nothing was queued (no
/// e-mail here, no usable address, or the limits reached: the pad is made all the same).
pub async fn queue_on_creation(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    pad: &pad::Model,
    opportunity: &crate::lever::types::LeverOpportunity,
) -> Result<bool, sea_orm::DbErr> {
    let Some(outbox) = state.outbox() else {
        tracing::warn!(pad = %super::log_ref(&pad.id), "the Lever option e-mails new pads' links, but this instance's settings name no mail server: the link is not e-mailed");
        return Ok(false);
    };
    let Some(email) = opportunity.emails.iter().find_map(|email| {
        crate::validate::email(email)
            .ok()
            .filter(|email| mail::deliverable(email).is_ok())
    }) else {
        tracing::info!(pad = %super::log_ref(&pad.id), "no e-mail address in Lever for the candidate: the link is not e-mailed");
        return Ok(false);
    };
    let now = OffsetDateTime::now_utc();
    let Some(organization) = organization::Entity::find_by_id(pad.org_id)
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    // The pad owner's language, as the one who set the option up.
    let owner = match pad.owner_id {
        Some(owner_id) => {
            user::Entity::find_in_org(pad.org_id)
                .filter(user::Column::Id.eq(owner_id))
                .one(txn)
                .await?
        }
        None => None,
    };
    let locale = owner.and_then(|owner| owner.language).unwrap_or_default();
    let link = super::link(state, &pad.id);
    let composed = compose::PadLink {
        organization: &organization.name,
        candidate: &pad.candidate_name,
        job: pad.job_title.as_deref(),
        link: &link,
        sender: &organization.name,
        message: None,
        when: None,
    }
    .to_candidate(locale);
    let draft = mail::Draft {
        purpose: MailPurpose::PadLink,
        recipient: email.clone(),
        locale,
        subject: composed.subject,
        text: composed.text,
        html: composed.html,
        invitation_id: None,
        pad_id: Some(pad.id.clone()),
        requested_by: None,
    };
    if let Err(wait) = mail::queue(txn, &outbox, pad.org_id, draft, now).await? {
        tracing::warn!(pad = %super::log_ref(&pad.id), wait_secs = wait.as_secs(), "the mail limits are reached: the new pad's link is not e-mailed");
        return Ok(false);
    }
    audit::record(
        txn,
        pad.org_id,
        audit::Actor::system(),
        "pad_link_mailed",
        msg(Text::AuditDetailPadLinkMailed)
            .with("candidate", compose::one_line(&pad.candidate_name, 200))
            .with("email", &email),
        &ClientAddress::unknown(),
    )
    .await?;
    Ok(true)
}
