use serde::{Deserialize, Serialize};

/// The body of every error answer: a stable snake_case `code` for programs and a `message`
/// for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// What went wrong with an HTTP request, for programs: the `code` of every [`ErrorBody`]. The
/// wire text (snake_case, [`ErrorCode::as_str`]) is stable; clients outside Stagepad read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The request itself.
    /// 415: a state-changing `/api/` request whose `Content-Type` is not JSON (the CSRF rule).
    JsonRequired,
    /// 415: a JSON body sent without `Content-Type: application/json`.
    UnsupportedMediaType,
    /// 413: the body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// 400: the body is not valid JSON (or, at the Lever webhook, not a Lever webhook).
    MalformedJson,
    /// 400: the body could not be read.
    UnreadableBody,
    /// 422: a JSON body, or one of its fields, does not fit (the message names the field).
    InvalidField,
    /// 400: the query string does not fit the endpoint.
    InvalidQuery,
    /// 400: a list's `cursor` is not one the list gave out.
    InvalidCursor,
    /// 400: a list's or the pad history's `limit` is out of range.
    InvalidLimit,
    /// 400: a list's search `q` is too long.
    InvalidSearch,
    /// 400: a list's `status` filter names no status.
    InvalidStatus,
    /// 403: a state-changing request from another site.
    CrossOrigin,
    /// 400: the pad socket was asked for without a WebSocket upgrade.
    WebsocketRequired,
    /// 404: no such object (or it belongs to another organization), or no such route.
    NotFound,
    /// 429: too many log-ins, sign-ups or invitations; `Retry-After` says how long to wait.
    TooManyRequests,
    /// 429: the pad, or the client's address, has as many sockets open to it as it may.
    TooManyConnections,
    /// 500: an unexpected failure on the server's side; the cause is logged, not sent.
    InternalError,
    /// 503: the readiness check cannot reach the database.
    DatabaseUnavailable,
    /// 503: the web console's files have not been built.
    ConsoleNotBuilt,

    // Accounts and organizations.
    /// 401: no valid session (never logged in, logged out, password changed; a deactivated
    /// account's session answers `account_deactivated`).
    NotLoggedIn,
    /// 401: the log-in's email or password is wrong.
    InvalidCredentials,
    /// 403: the account logging in has been deactivated. 401: a session of an account an admin
    /// has deactivated since (the session is over, like `not_logged_in`, and says why).
    AccountDeactivated,
    /// 403: the organization was disabled by the people who run this Stagepad: its members
    /// cannot log in (401 for a session of theirs), its pads' links and its Lever webhook
    /// answer this too.
    OrganizationDisabled,
    /// 403: changing the password, the current password given is wrong.
    WrongPassword,
    /// 422: the new password is too short, too long or too common.
    WeakPassword,
    /// 422: the email is not an address.
    InvalidEmail,
    /// 409: an account with this email exists already.
    EmailTaken,
    /// 403: only admins of the organization may do this.
    AdminOnly,
    /// 409: the change would leave the organization without an active admin.
    LastAdmin,
    /// 404: the invitation link was used, revoked or expired.
    InvitationNotFound,
    /// 403: the Lever integration needs the Enterprise plan.
    EnterpriseRequired,
    /// 404: the password reset link was used, replaced or expired.
    ResetLinkNotFound,

    // E-mail.
    /// 503: this Stagepad sends no e-mail (no SMTP server is configured); copy the link instead.
    MailNotConfigured,
    /// 422: the pad has no e-mail address to send its link to (Lever has none for the
    /// candidate, or the address picked is not one of them).
    NoMailRecipient,

    // Pads.
    /// 422: the pad's language is not one Stagepad knows.
    InvalidLanguage,
    /// 409: the pad was not created for a Lever candidate, so its code cannot go to Lever.
    NotFromLever,
    /// 409: the interview has not ended, so its code cannot go to Lever yet.
    PadNotEnded,
    /// 409: the pad's code is on its way into a Lever note already.
    NoteInProgress,
    /// 409: the pad's feedback form is on its way to Lever already.
    FeedbackInProgress,
    /// 403 (409 for a plan change): the organization's plan does not allow this many active
    /// members (Personal is for one).
    PlanLimit,
    /// 409: the code is in Lever as a note already; ask with `again` to post another.
    NoteAlreadySent,
    /// 409: the feedback form is filed in Lever already; ask with `again` to file another.
    FeedbackAlreadySent,
    /// 409: no Lever feedback template is chosen, so no feedback form can be filed.
    NoFeedbackTemplate,
    /// 409: Lever is no longer connected.
    LeverNotConnected,

    // The Lever setup.
    /// 409: an earlier step of the Lever setup is not done (no API key saved).
    StepIncomplete,
    /// 422: a custom Lever base URL is not allowed on this Stagepad.
    CustomBaseUrlDisabled,
    /// 422: Lever rejected the API key (401).
    LeverKeyRejected,
    /// 422: the API key lacks permissions Stagepad needs.
    LeverPermissionsMissing,
    /// 504: Lever did not answer in time.
    LeverTimeout,
    /// 502: Lever cannot be reached.
    LeverUnreachable,
    /// 502: Lever is limiting requests for this key.
    LeverRateLimited,
    /// 502: Lever answered something unexpected.
    LeverError,
    /// 422: no stage picked.
    NoStages,
    /// 422: a picked stage is not one of Lever's.
    UnknownStage,
    /// 422: the chosen feedback template is not one of Lever's.
    UnknownTemplate,
    /// 422: the chosen feedback template has no question Stagepad can fill.
    TemplateUnusable,
    /// 422: the pad owner chosen is not an active member of the organization.
    InvalidPadOwner,
    /// 409: the Lever delivery cannot be retried (not failed or dead, or being processed).
    NotRetryable,

    // Lever's webhook (these answers go to Lever).
    /// 401: the webhook carries no signature.
    NoSignature,
    /// 401: the webhook's signature does not match the saved signature token.
    InvalidSignature,
    /// 400: the webhook's `triggeredAt` lies too far in the future.
    TriggeredInFuture,
    /// 400: the stage change's `triggeredAt` lies too far in the past.
    TooOld,

    /// Any code this build does not know (sent by a newer server): decoding still succeeds.
    /// The server never sends it. Stays the last variant (the tests count the others by it).
    Unknown,
}

impl ErrorCode {
    /// The wire text, as in an [`ErrorBody`] (for logs).
    pub const fn as_str(self) -> &'static str {
        // No wildcard: a new variant does not compile until it has its text here.
        match self {
            Self::JsonRequired => "json_required",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MalformedJson => "malformed_json",
            Self::UnreadableBody => "unreadable_body",
            Self::InvalidField => "invalid_field",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidCursor => "invalid_cursor",
            Self::InvalidLimit => "invalid_limit",
            Self::InvalidSearch => "invalid_search",
            Self::InvalidStatus => "invalid_status",
            Self::CrossOrigin => "cross_origin",
            Self::WebsocketRequired => "websocket_required",
            Self::NotFound => "not_found",
            Self::TooManyRequests => "too_many_requests",
            Self::TooManyConnections => "too_many_connections",
            Self::InternalError => "internal_error",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::ConsoleNotBuilt => "console_not_built",
            Self::NotLoggedIn => "not_logged_in",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountDeactivated => "account_deactivated",
            Self::OrganizationDisabled => "organization_disabled",
            Self::WrongPassword => "wrong_password",
            Self::WeakPassword => "weak_password",
            Self::InvalidEmail => "invalid_email",
            Self::EmailTaken => "email_taken",
            Self::AdminOnly => "admin_only",
            Self::LastAdmin => "last_admin",
            Self::InvitationNotFound => "invitation_not_found",
            Self::EnterpriseRequired => "enterprise_required",
            Self::ResetLinkNotFound => "reset_link_not_found",
            Self::MailNotConfigured => "mail_not_configured",
            Self::NoMailRecipient => "no_mail_recipient",
            Self::InvalidLanguage => "invalid_language",
            Self::NotFromLever => "not_from_lever",
            Self::PadNotEnded => "pad_not_ended",
            Self::NoteInProgress => "note_in_progress",
            Self::FeedbackInProgress => "feedback_in_progress",
            Self::PlanLimit => "plan_limit",
            Self::NoteAlreadySent => "note_already_sent",
            Self::FeedbackAlreadySent => "feedback_already_sent",
            Self::NoFeedbackTemplate => "no_feedback_template",
            Self::LeverNotConnected => "lever_not_connected",
            Self::StepIncomplete => "step_incomplete",
            Self::CustomBaseUrlDisabled => "custom_base_url_disabled",
            Self::LeverKeyRejected => "lever_key_rejected",
            Self::LeverPermissionsMissing => "lever_permissions_missing",
            Self::LeverTimeout => "lever_timeout",
            Self::LeverUnreachable => "lever_unreachable",
            Self::LeverRateLimited => "lever_rate_limited",
            Self::LeverError => "lever_error",
            Self::NoStages => "no_stages",
            Self::UnknownStage => "unknown_stage",
            Self::UnknownTemplate => "unknown_template",
            Self::TemplateUnusable => "template_unusable",
            Self::InvalidPadOwner => "invalid_pad_owner",
            Self::NotRetryable => "not_retryable",
            Self::NoSignature => "no_signature",
            Self::InvalidSignature => "invalid_signature",
            Self::TriggeredInFuture => "triggered_in_future",
            Self::TooOld => "too_old",
            Self::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the pad's WebSocket refused a message or a join: the `code` of
/// [`ServerMessage::Error`](crate::ServerMessage::Error). A vocabulary of its own, apart from
/// [`ErrorCode`]: after most refusals the server closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    // The connection and the server's side.
    /// No join message came within the time allowed.
    JoinTimeout,
    /// This connection fell behind the room's broadcasts.
    Lagging,
    /// The pad could not be read or the edit or participant could not be stored.
    StorageFailed,
    /// A stored edit of the pad is unreadable.
    CorruptHistory,
    /// The pad no longer exists.
    NotFound,

    // The participant and the pad's limits.
    /// The participant opened the pad again elsewhere (a reload, another tab or device): this
    /// older connection closes and must not reconnect by itself.
    OpenedElsewhere,
    /// The interview has ended; the pad is read-only (sent after an `ended` message).
    PadEnded,
    /// The pad has had as many guests as it takes.
    TooManyParticipants,
    /// The pad has stored as many edits as it holds.
    TooManyEdits,
    /// The display name is empty, too long or not on one line.
    NameRequired,

    // The messages.
    /// The message is not JSON the pad understands.
    MalformedMessage,
    /// The first message was not a join.
    JoinRequired,
    /// A second join on the same connection.
    AlreadyJoined,
    /// A binary message: messages are JSON text.
    TextOnly,
    /// A WebSocket protocol failure, such as a message too large.
    ProtocolError,
    /// More messages a second than a participant may send.
    TooManyMessages,
    /// The language is not one Stagepad knows.
    InvalidLanguage,

    // An edit that does not fit (the console resynchronises from the server's text).
    /// The edit's number skips ahead of the participant's next.
    InvalidSeq,
    /// The edit changes nothing.
    EmptyEdit,
    /// The edit's revision does not exist yet.
    InvalidRevision,
    /// The edit's revision is too old to transform.
    StaleRevision,
    /// The edit does not fit the text.
    InvalidOperation,
    /// The edit would make the text longer than a pad holds.
    TextTooLong,
    /// The pad has taken all the typing it can hold.
    PadFull,

    // Running code: these refusals keep the connection open.
    /// A run was asked for less than a second after the pad's last one.
    RunTooSoon,
    /// The pad's language is not installed on this server.
    LanguageNotRunnable,
    /// This server cannot run code (its sandbox is missing).
    RunsNotAvailable,
    /// Stop was asked for while no run of the pad is going.
    NoRun,
    /// The program's input is larger than a run takes.
    StdinTooLarge,
    /// The pad has been run as many times as one interview keeps.
    TooManyRuns,

    /// Any code this build does not know (sent by a newer server): decoding still succeeds.
    /// The server never sends it. Stays the last variant (the tests count the others by it).
    Unknown,
}

impl RefusalCode {
    /// The wire text, as in a [`ServerMessage::Error`](crate::ServerMessage::Error) (for logs
    /// and the close frame's reason).
    pub const fn as_str(self) -> &'static str {
        // No wildcard: a new variant does not compile until it has its text here.
        match self {
            Self::JoinTimeout => "join_timeout",
            Self::Lagging => "lagging",
            Self::StorageFailed => "storage_failed",
            Self::CorruptHistory => "corrupt_history",
            Self::NotFound => "not_found",
            Self::OpenedElsewhere => "opened_elsewhere",
            Self::PadEnded => "pad_ended",
            Self::TooManyParticipants => "too_many_participants",
            Self::TooManyEdits => "too_many_edits",
            Self::NameRequired => "name_required",
            Self::MalformedMessage => "malformed_message",
            Self::JoinRequired => "join_required",
            Self::AlreadyJoined => "already_joined",
            Self::TextOnly => "text_only",
            Self::ProtocolError => "protocol_error",
            Self::TooManyMessages => "too_many_messages",
            Self::InvalidLanguage => "invalid_language",
            Self::InvalidSeq => "invalid_seq",
            Self::EmptyEdit => "empty_edit",
            Self::InvalidRevision => "invalid_revision",
            Self::StaleRevision => "stale_revision",
            Self::InvalidOperation => "invalid_operation",
            Self::TextTooLong => "text_too_long",
            Self::PadFull => "pad_full",
            Self::RunTooSoon => "run_too_soon",
            Self::LanguageNotRunnable => "language_not_runnable",
            Self::RunsNotAvailable => "runs_not_available",
            Self::NoRun => "no_run",
            Self::StdinTooLarge => "stdin_too_large",
            Self::TooManyRuns => "too_many_runs",
            Self::Unknown => "unknown",
        }
    }
}

impl RefusalCode {
    /// The refusal answers one request and the connection stays open (a run that cannot start
    /// is no reason to drop the editor).
    pub fn keeps_connection(self) -> bool {
        matches!(
            self,
            Self::RunTooSoon
                | Self::LanguageNotRunnable
                | Self::RunsNotAvailable
                | Self::NoRun
                | Self::StdinTooLarge
                | Self::TooManyRuns
        )
    }
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// Every code but `Unknown`, in declaration order (a test holds the list to that).
    pub const KNOWN: &'static [Self] = &[
        Self::JsonRequired,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::MalformedJson,
        Self::UnreadableBody,
        Self::InvalidField,
        Self::InvalidQuery,
        Self::InvalidCursor,
        Self::InvalidLimit,
        Self::InvalidSearch,
        Self::InvalidStatus,
        Self::CrossOrigin,
        Self::WebsocketRequired,
        Self::NotFound,
        Self::TooManyRequests,
        Self::TooManyConnections,
        Self::InternalError,
        Self::DatabaseUnavailable,
        Self::ConsoleNotBuilt,
        Self::NotLoggedIn,
        Self::InvalidCredentials,
        Self::AccountDeactivated,
        Self::OrganizationDisabled,
        Self::WrongPassword,
        Self::WeakPassword,
        Self::InvalidEmail,
        Self::EmailTaken,
        Self::AdminOnly,
        Self::LastAdmin,
        Self::InvitationNotFound,
        Self::EnterpriseRequired,
        Self::ResetLinkNotFound,
        Self::MailNotConfigured,
        Self::NoMailRecipient,
        Self::InvalidLanguage,
        Self::NotFromLever,
        Self::PadNotEnded,
        Self::NoteInProgress,
        Self::FeedbackInProgress,
        Self::PlanLimit,
        Self::NoteAlreadySent,
        Self::FeedbackAlreadySent,
        Self::NoFeedbackTemplate,
        Self::LeverNotConnected,
        Self::StepIncomplete,
        Self::CustomBaseUrlDisabled,
        Self::LeverKeyRejected,
        Self::LeverPermissionsMissing,
        Self::LeverTimeout,
        Self::LeverUnreachable,
        Self::LeverRateLimited,
        Self::LeverError,
        Self::NoStages,
        Self::UnknownStage,
        Self::UnknownTemplate,
        Self::TemplateUnusable,
        Self::InvalidPadOwner,
        Self::NotRetryable,
        Self::NoSignature,
        Self::InvalidSignature,
        Self::TriggeredInFuture,
        Self::TooOld,
    ];

    /// The code of a wire text; `Unknown` for a text this build does not know.
    pub fn from_code(code: &str) -> Self {
        Self::KNOWN
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
            .unwrap_or(Self::Unknown)
    }
}

// By hand rather than derived: a string and a lookup, where serde's derive writes a visitor per
// input format, which weighs on the console's wasm.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_code(&code))
    }
}

impl RefusalCode {
    /// Every code but `Unknown`, in declaration order (a test holds the list to that).
    pub const KNOWN: &'static [Self] = &[
        Self::JoinTimeout,
        Self::Lagging,
        Self::StorageFailed,
        Self::CorruptHistory,
        Self::NotFound,
        Self::OpenedElsewhere,
        Self::PadEnded,
        Self::TooManyParticipants,
        Self::TooManyEdits,
        Self::NameRequired,
        Self::MalformedMessage,
        Self::JoinRequired,
        Self::AlreadyJoined,
        Self::TextOnly,
        Self::ProtocolError,
        Self::TooManyMessages,
        Self::InvalidLanguage,
        Self::InvalidSeq,
        Self::EmptyEdit,
        Self::InvalidRevision,
        Self::StaleRevision,
        Self::InvalidOperation,
        Self::TextTooLong,
        Self::PadFull,
        Self::RunTooSoon,
        Self::LanguageNotRunnable,
        Self::RunsNotAvailable,
        Self::NoRun,
        Self::StdinTooLarge,
        Self::TooManyRuns,
    ];

    /// The code of a wire text; `Unknown` for a text this build does not know.
    pub fn from_code(code: &str) -> Self {
        Self::KNOWN
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
            .unwrap_or(Self::Unknown)
    }
}

// By hand rather than derived: a string and a lookup, where serde's derive writes a visitor per
// input format, which weighs on the console's wasm.
impl<'de> Deserialize<'de> for RefusalCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_code(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every [`ErrorCode`] but `Unknown`, in declaration order. `as_str`'s match has no
    /// wildcard, so a new variant does not compile until it has its text; `the_lists_hold_every_code`
    /// then fails until it is listed here too.
    const ALL_ERROR_CODES: &[ErrorCode] = ErrorCode::KNOWN;

    /// Every [`RefusalCode`] but `Unknown`; see [`ALL_ERROR_CODES`].
    const ALL_REFUSAL_CODES: &[RefusalCode] = RefusalCode::KNOWN;

    #[test]
    fn every_error_code_is_sent_as_its_text_and_read_back() {
        for &code in ALL_ERROR_CODES {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn every_refusal_code_is_sent_as_its_text_and_read_back() {
        for &code in ALL_REFUSAL_CODES {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<RefusalCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn the_lists_hold_every_code() {
        // `Unknown` is declared last, so its discriminant counts the other variants; the i-th
        // of the list being the i-th declared then means that the list holds every one.
        assert_eq!(ALL_ERROR_CODES.len(), ErrorCode::Unknown as usize);
        for (i, &code) in ALL_ERROR_CODES.iter().enumerate() {
            assert_eq!(
                code as usize, i,
                "{code} is not listed in declaration order"
            );
        }
        assert_eq!(ALL_REFUSAL_CODES.len(), RefusalCode::Unknown as usize);
        for (i, &code) in ALL_REFUSAL_CODES.iter().enumerate() {
            assert_eq!(
                code as usize, i,
                "{code} is not listed in declaration order"
            );
        }
        // Two variants given the same text would be one code on the wire.
        let texts: std::collections::HashSet<_> =
            ALL_ERROR_CODES.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), ALL_ERROR_CODES.len());
        let texts: std::collections::HashSet<_> =
            ALL_REFUSAL_CODES.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), ALL_REFUSAL_CODES.len());
    }

    #[test]
    fn a_code_this_build_does_not_know_is_read_as_unknown() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code": "some_new_code", "message": "Newer."}"#).unwrap();
        assert_eq!(body.code, ErrorCode::Unknown);
        // Inside the socket's tagged message too.
        let message: crate::ServerMessage = serde_json::from_str(
            r#"{"type": "error", "code": "some_new_refusal", "message": "Newer."}"#,
        )
        .unwrap();
        assert_eq!(
            message,
            crate::ServerMessage::Error {
                code: RefusalCode::Unknown,
                message: "Newer.".into()
            }
        );
    }
}
