//! E-mail: an outbox in the database (`mails`), written in the same transaction as what asks
//! for a message, and sent once by a job. Before the mail server is asked, the row says
//! `sending`; after, `sent`. A run that finds `sending` (its predecessor died mid-way) does not
//! send again: the message may have arrived, so it is marked `unconfirmed`. Messages are
//! limited per organization and per recipient, and every header value is one clean line.

pub mod compose;
pub mod send;
pub mod smtp;

use std::time::Duration;

use api::i18n::Locale;
use api::{InvitationId, MailId, MailPurpose, MailStatus, OrgId, PadId, UserId};
use entity::{job, mail};
use lettre::message::Mailbox;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::ConfigError;
use crate::i18n::stored;
use crate::jobs::queue::new_job;
use crate::secrets::Keyring;
pub use smtp::{Mailer, SendError, SendGate, SmtpMailer, SmtpServer};

/// `STAGEPAD_SMTP_URL` and `STAGEPAD_MAIL_FROM`: where mail goes and whom it is from.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub server: SmtpServer,
    pub from: Mailbox,
    /// The host of `Message-ID`s: the public URL's.
    pub host: String,
}

impl MailSettings {
    /// None when neither is set (no e-mail: links are copied by hand); an error when only one
    /// is, or either is unusable.
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        public_url: &str,
    ) -> Result<Option<Self>, ConfigError> {
        let set = |name| lookup(name).filter(|value: &String| !value.trim().is_empty());
        let host = url::Url::parse(public_url)
            .ok()
            .and_then(|url| {
                url.host_str()
                    .map(|h| h.trim_matches(['[', ']']).to_string())
            })
            .unwrap_or_else(|| "localhost".into());
        match (set("STAGEPAD_SMTP_URL"), set("STAGEPAD_MAIL_FROM")) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(ConfigError {
                name: "STAGEPAD_MAIL_FROM",
                problem: "must be set with STAGEPAD_SMTP_URL, e.g. \"Stagepad <pads@example.com>\""
                    .into(),
            }),
            (None, Some(_)) => Err(ConfigError {
                name: "STAGEPAD_SMTP_URL",
                problem: "must be set with STAGEPAD_MAIL_FROM".into(),
            }),
            (Some(smtp_url), Some(from)) => {
                let server =
                    SmtpServer::parse(&smtp_url, &host).map_err(|problem| ConfigError {
                        name: "STAGEPAD_SMTP_URL",
                        problem,
                    })?;
                let from = from.trim().parse::<Mailbox>().map_err(|_| ConfigError {
                    name: "STAGEPAD_MAIL_FROM",
                    problem: "must be an address, or a name and <address>".into(),
                })?;
                Ok(Some(Self { server, from, host }))
            }
        }
    }
}

/// A limit on mails sent in the last hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailLimits {
    pub per_organization: u64,
    pub per_recipient: u64,
}

impl Default for MailLimits {
    fn default() -> Self {
        Self {
            per_organization: 300,
            per_recipient: 5,
        }
    }
}

const LIMIT_WINDOW: time::Duration = time::Duration::HOUR;

/// Who asked for a mail, when a member did.
#[derive(Debug, Clone)]
pub struct RequestedBy {
    pub user_id: UserId,
    pub name: String,
}

/// A message to queue: worded already, in the recipient's language.
#[derive(Debug, Clone)]
pub struct Draft {
    pub purpose: MailPurpose,
    pub recipient: String,
    pub locale: Locale,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub invitation_id: Option<InvitationId>,
    pub pad_id: Option<PadId>,
    pub requested_by: Option<RequestedBy>,
}

/// The job's payload.
#[derive(Debug, Serialize, Deserialize)]
pub struct MailJob {
    pub mail_id: MailId,
}

#[derive(Serialize, Deserialize)]
pub struct Bodies {
    pub text: String,
    pub html: String,
}

/// What seals a mail's bodies: they open only for this mail.
pub(crate) fn seal_context(id: MailId) -> String {
    format!("mail:{id}:body")
}

/// `Err(wait)` when the organization or the recipient (within the organization: tenants
/// neither see nor spend each other's counts) had as many mails in the last hour as they may;
/// `wait` is until the oldest of them leaves the window. Password resets, which anyone can ask
/// for, count for their recipient only, so that they cannot use up an organization's mails.
pub async fn check_limits(
    db: &impl ConnectionTrait,
    limits: MailLimits,
    org_id: OrgId,
    recipient: &str,
    purpose: MailPurpose,
    now: OffsetDateTime,
) -> Result<Result<(), Duration>, DbErr> {
    let since = now - LIMIT_WINDOW;
    let recent = || {
        mail::Entity::find()
            .filter(mail::Column::OrgId.eq(org_id))
            .filter(mail::Column::CreatedAt.gt(since))
    };
    // Resets, which anyone may ask for, have their own count: they cannot use up the
    // invitations and pad links a member is sent.
    let resets = MailPurpose::PasswordReset.as_str();
    let by_recipient = || {
        let recent = recent().filter(mail::Column::Recipient.eq(recipient));
        if purpose == MailPurpose::PasswordReset {
            recent.filter(mail::Column::Purpose.eq(resets))
        } else {
            recent.filter(mail::Column::Purpose.ne(resets))
        }
    };
    let by_organization = || recent().filter(mail::Column::Purpose.ne(resets));
    let mut windows = vec![(by_recipient(), by_recipient(), limits.per_recipient)];
    if purpose != MailPurpose::PasswordReset {
        windows.push((
            by_organization(),
            by_organization(),
            limits.per_organization,
        ));
    }
    for (count, oldest, max) in windows {
        if count.count(db).await? >= max {
            // The window frees up when the oldest mail of the last `max` leaves it.
            let nth_newest = oldest
                .order_by_desc(mail::Column::CreatedAt)
                .offset(max.saturating_sub(1))
                .one(db)
                .await?;
            let wait = nth_newest
                .map(|m| m.created_at + LIMIT_WINDOW - now)
                .and_then(|d| Duration::try_from(d).ok())
                .unwrap_or(Duration::from_secs(60));
            return Ok(Err(wait.max(Duration::from_secs(1))));
        }
    }
    Ok(Ok(()))
}

/// An address the mail server can be given (lettre's parser is stricter than the account
/// rules: a few plausible addresses are not deliverable).
pub fn deliverable(email: &str) -> Result<(), crate::error::ApiError> {
    email.parse::<lettre::Address>().map(|_| ()).map_err(|_| {
        crate::error::ApiError::unprocessable(
            api::ErrorCode::InvalidEmail,
            crate::i18n::msg(crate::i18n::Text::FieldsEmailInvalid),
        )
    })
}

/// Takes the organization's turn to queue mail: a no-op write on its row, held until the
/// transaction ends. A transaction that also locks the organization's other rows takes it
/// first, so that locks are always taken in the same order (no deadlock on PostgreSQL).
pub async fn take_turn(db: &impl ConnectionTrait, org_id: OrgId) -> Result<(), DbErr> {
    use entity::organization;
    organization::Entity::update_many()
        .col_expr(
            organization::Column::Name,
            sea_orm::sea_query::Expr::col(organization::Column::Name),
        )
        .filter(organization::Column::Id.eq(org_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Where a mail goes and under which limits.
pub struct Outbox<'a> {
    pub keyring: &'a Keyring,
    pub limits: MailLimits,
    /// The host of `Message-ID`s.
    pub host: &'a str,
}

/// Writes the mail and its job in the caller's transaction (wake the worker after commit), or
/// `Err(wait)` (writing nothing) when the limits are reached. The organization's mails are
/// queued one transaction at a time (a no-op write on its row takes the turn, on SQLite and
/// PostgreSQL alike), so two requests at once cannot both pass the limits.
pub async fn queue(
    db: &impl ConnectionTrait,
    outbox: &Outbox<'_>,
    org_id: OrgId,
    draft: Draft,
    now: OffsetDateTime,
) -> Result<Result<mail::Model, Duration>, DbErr> {
    take_turn(db, org_id).await?;
    let limited = check_limits(
        db,
        outbox.limits,
        org_id,
        &draft.recipient,
        draft.purpose,
        now,
    );
    if let Err(wait) = limited.await? {
        return Ok(Err(wait));
    }
    let keyring = outbox.keyring;
    let host = outbox.host;
    let id = MailId::random();
    let bodies = serde_json::to_string(&Bodies {
        text: draft.text,
        html: draft.html,
    })
    .expect("strings are JSON");
    let created = mail::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        purpose: Set(draft.purpose),
        recipient: Set(draft.recipient),
        locale: Set(draft.locale),
        subject: Set(draft.subject),
        body_sealed: Set(Some(keyring.seal(&bodies, &seal_context(id)))),
        message_id: Set(format!("<{id}@{host}>")),
        status: Set(MailStatus::Queued),
        invitation_id: Set(draft.invitation_id),
        pad_id: Set(draft.pad_id),
        requested_by_user_id: Set(draft.requested_by.as_ref().map(|by| by.user_id)),
        requested_by_name: Set(draft.requested_by.map(|by| by.name)),
        created_at: Set(now),
        sent_at: Set(None),
        error: Set(None),
        error_message: Set(None),
    }
    .insert(db)
    .await?;
    let payload = serde_json::to_string(&MailJob { mail_id: id }).expect("ids are JSON");
    new_job(org_id, job::Kind::Mail, None, payload, now)
        .insert(db)
        .await?;
    Ok(Ok(created))
}

/// Queued mails about this invitation that have not gone out stop (it was revoked or replaced).
pub async fn cancel_for_invitation(
    db: &impl ConnectionTrait,
    org_id: OrgId,
    invitation_id: InvitationId,
) -> Result<(), DbErr> {
    use entity::InOrg;
    mail::Entity::update_in_org(org_id)
        .col_expr(
            mail::Column::Status,
            sea_orm::sea_query::Expr::value(MailStatus::Canceled.as_str()),
        )
        .col_expr(
            mail::Column::BodySealed,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(mail::Column::InvitationId.eq(invitation_id))
        .filter(mail::Column::Status.eq(MailStatus::Queued))
        .exec(db)
        .await?;
    Ok(())
}

/// A mail as the console shows it, its failure worded in `locale`.
pub fn view(mail: &mail::Model, locale: Locale) -> api::MailView {
    api::MailView {
        to: mail.recipient.clone(),
        status: mail.status,
        requested_by: mail.requested_by_name.clone(),
        created_at: mail.created_at,
        sent_at: mail.sent_at,
        error: mail
            .error
            .clone()
            .map(|english| stored::worded_or(mail.error_message.as_deref(), english, locale)),
    }
}
