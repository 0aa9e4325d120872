//! E-mail Stagepad sends: invitations, password resets and pad links. Each one is queued, then
//! sent once by the job worker; these types show where it stands.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

text_enum! {
    /// Why an e-mail is sent.
    pub enum MailPurpose {
        Invitation = "invitation",
        PasswordReset = "password_reset",
        /// A pad's link, to the candidate or an interviewer.
        PadLink = "pad_link",
    }
}

text_enum! {
    /// Where an e-mail stands.
    pub enum MailStatus {
        /// Waiting to be sent, or to be tried again after the mail server refused it for now.
        Queued = "queued",
        /// Being handed to the mail server.
        Sending = "sending",
        /// The mail server took it.
        Sent = "sent",
        /// The mail server may have taken it but never said so (the connection broke after the
        /// message was sent). It is not sent again, so it cannot arrive twice.
        Unconfirmed = "unconfirmed",
        /// The mail server refused it for good, or every attempt failed.
        Failed = "failed",
        /// Not sent: what it was about ended first (a revoked or resent invitation).
        Canceled = "canceled",
    }
}

/// One e-mail, as shown where it was asked for (an invitation, a pad).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailView {
    pub to: String,
    pub status: MailStatus,
    /// Who asked for it, when a member did (not for automatic ones).
    #[serde(default)]
    pub requested_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// Why it failed or is waiting, in the reader's language.
    #[serde(default)]
    pub error: Option<String>,
}

/// `POST /api/password-reset` (no login): e-mails a reset link if the address has an account.
/// The answer is `202` either way: it never says whether an account exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `GET /api/password-reset/{token}` (no login): the account a reset link is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetPreview {
    pub email: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /api/password-reset/{token}` (no login): sets the new password, ends every other
/// session of the account and logs in; answers the [`crate::MeResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompletePasswordResetRequest {
    pub password: String,
}

/// Who a pad's link is e-mailed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PadMailRecipient {
    /// The candidate, at one of the addresses Lever has for them.
    Candidate { email: String },
    /// A member of the organization (an interviewer).
    Member { user_id: crate::UserId },
}

/// `POST /api/pads/{id}/mail` (members): e-mails the pad's link; answers the e-mails queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PadMailRequest {
    pub to: Vec<PadMailRecipient>,
    /// A few words from the interviewer, put in the e-mail as they are.
    #[serde(default)]
    pub message: Option<String>,
    /// When the interview is, as the interviewer writes it ("Tuesday 3 pm CET").
    #[serde(default)]
    pub when: Option<String>,
}

/// A member the pad's link can be e-mailed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailableMember {
    pub id: crate::UserId,
    pub name: String,
    pub email: String,
}

/// `GET /api/pads/{id}/mail` (members): whom the pad's link can go to, and what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadMailOptions {
    /// False when this Stagepad sends no e-mail: copy the link instead.
    pub mail_configured: bool,
    /// The candidate's addresses in Lever (none for a pad not made for a Lever candidate).
    pub candidate_emails: Vec<String>,
    /// Why Lever could not say them (it is down, or the key lost a permission).
    #[serde(default)]
    pub candidate_emails_error: Option<String>,
    pub members: Vec<MailableMember>,
    /// Every e-mail of this pad's link, newest first.
    pub sent: Vec<MailView>,
}

/// The longest interviewer's message and time in a pad's e-mail, in characters.
pub const PAD_MAIL_MESSAGE_MAX_CHARS: usize = 2_000;
pub const PAD_MAIL_WHEN_MAX_CHARS: usize = 200;
/// The most recipients one pad e-mail request names.
pub const PAD_MAIL_MAX_RECIPIENTS: usize = 20;
