use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

text_enum! {
    /// Which Lever to talk to. `Custom` (any base URL) exists for a local simulator and is
    /// refused unless the server's own configuration allows it.
    pub enum LeverEnvironment {
        Production = "production",
        Sandbox = "sandbox",
        Eu = "eu",
        Custom = "custom",
    }
}

/// Step 1: `PUT /api/lever/credentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeverCredentialsRequest {
    pub environment: LeverEnvironment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub api_key: String,
}

/// Step 2: `PUT /api/lever/stages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeverStagesRequest {
    pub stage_ids: Vec<String>,
}

/// Step 4: `PUT /api/lever/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeverTokenRequest {
    pub signature_token: String,
    pub pad_owner_id: crate::UserId,
}

/// `PUT /api/lever/options`: the tag and what Stagepad writes back to Lever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeverOptionsRequest {
    pub tag: String,
    pub notes_enabled: bool,
    /// Post a results note (duration, language, participants, playback link) when a pad ends.
    #[serde(default = "yes")]
    pub results_notes_enabled: bool,
    /// E-mail the pad's link to the candidate (Lever's first address for them) as soon as the
    /// pad is made; off by default, and only where this Stagepad sends e-mail.
    #[serde(default)]
    pub email_candidate_link: bool,
}

fn yes() -> bool {
    true
}

/// `GET /api/lever/stages`: Lever's stages, live, with which are selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverStagesResponse {
    pub stages: Vec<LeverStageChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverStageChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// `GET /api/lever/webhook` and `POST /api/lever/webhook/rotate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverWebhookResponse {
    /// Paste into Lever under Settings → Integrations and API → Webhooks → Candidate Stage Change.
    pub url: String,
}

/// `GET /api/lever/setup`: every step's state; the server decides what is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverSetup {
    pub credentials: CredentialsStep,
    pub stages: StagesStep,
    pub webhook: WebhookStep,
    pub token: TokenStep,
    pub connection: ConnectionState,
    pub tag: String,
    pub notes_enabled: bool,
    pub results_notes_enabled: bool,
    #[serde(default)]
    pub email_candidate_link: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_delivery_at: Option<OffsetDateTime>,
    /// The Lever feedback template "Send as feedback" files; none until an admin picks one.
    #[serde(default)]
    pub feedback_template: Option<ChosenFeedbackTemplate>,
    /// The newest request Stagepad refused, when none was accepted since (Verify pressed
    /// before the token was saved, a token Lever does not sign with, no signature).
    #[serde(default)]
    pub last_refused: Option<RefusedRequest>,
}

/// A request from Lever that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedRequest {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: DeliveryReason,
}

/// The feedback template an admin chose, as Lever named it then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChosenFeedbackTemplate {
    pub id: String,
    pub name: String,
}

/// `GET /api/lever/feedback-templates`: Lever's feedback templates, live, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverFeedbackTemplatesResponse {
    pub templates: Vec<LeverFeedbackTemplateChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverFeedbackTemplateChoice {
    pub id: String,
    pub name: String,
    /// The question that takes the final code (the template's first code question).
    pub code_field: Option<String>,
    /// The question that takes the playback link and the last run (its first text question).
    pub text_field: Option<String>,
    /// Why Stagepad cannot file this template (no code question, no text question, or other
    /// required questions only an interviewer can answer); none when it can.
    pub unusable: Option<String>,
    pub selected: bool,
}

/// `PUT /api/lever/feedback-template`: the template to file, or none to stop offering it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeverFeedbackTemplateRequest {
    pub template_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsStep {
    pub done: bool,
    pub environment: Option<LeverEnvironment>,
    pub base_url: Option<String>,
    /// The only part of the key ever shown again.
    pub api_key_last4: Option<String>,
    /// Lever refused a write (403) after the key passed step 1: a permission was taken away.
    /// Cleared when a key is saved again and passes the checks.
    #[serde(default)]
    pub permission_missing: Option<String>,
    /// Whether the key was created with Lever's "Allow access to confidential data" (which
    /// cannot be added to an existing key): `None` when Lever's answer did not tell.
    #[serde(default)]
    pub confidential_access: Option<bool>,
    /// Permissions the key lacks that Stagepad can do without, each with what is lost, like
    /// "Read notes (GET /opportunities/:id/notes): ...".
    #[serde(default)]
    pub optional_permissions_missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StagesStep {
    pub done: bool,
    pub selected: Vec<SelectedStage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SelectedStage {
    pub id: String,
    /// The name Lever gave it when it was selected.
    pub name: String,
    /// True when Lever no longer has this stage (as of the last look at Lever's stages).
    pub missing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookStep {
    pub done: bool,
    /// Absent until step 1 is done.
    pub url: Option<String>,
    /// Lever delivers only to https URLs with a CA-signed certificate: set when Stagepad's
    /// public URL is not https (the URL still works for local tries with the simulator).
    #[serde(default)]
    pub https_warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenStep {
    pub done: bool,
    pub pad_owner: Option<PadOwner>,
    /// The Lever user links and notes appear from: the pad owner's, matched by email. None
    /// means the API key's own user (Lever has no user with the owner's email, or the key may
    /// not read users).
    #[serde(default)]
    pub lever_author: Option<String>,
    /// Lever has the owner's email only on a deactivated user, who cannot author anything.
    #[serde(default)]
    pub lever_author_deactivated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadOwner {
    pub id: crate::UserId,
    pub name: String,
}

/// Whether Lever's Verify (or any signed delivery) reached Stagepad. Read through
/// [`ConnectionStateWire`]: serde's decoding of an internally tagged enum is several KB of the
/// console's wasm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "state",
    rename_all = "snake_case",
    try_from = "ConnectionStateWire"
)]
pub enum ConnectionState {
    /// Not all steps are done yet.
    NotConnected,
    /// Steps done; waiting for the admin to click Verify in Lever.
    WaitingForVerify,
    Verified {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The latest request carried a signature that the saved token does not produce: the
    /// token in step 4 differs from the one Lever signs with (perhaps it was regenerated).
    SignatureMismatch {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

/// [`ConnectionState`] as it reads: `{"state": "verified", "at": "…"}`.
#[derive(Deserialize)]
struct ConnectionStateWire {
    state: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    at: Option<OffsetDateTime>,
}

impl TryFrom<ConnectionStateWire> for ConnectionState {
    type Error = &'static str;

    fn try_from(wire: ConnectionStateWire) -> Result<Self, Self::Error> {
        let at = || wire.at.ok_or("missing field `at`");
        Ok(match wire.state.as_str() {
            "not_connected" => ConnectionState::NotConnected,
            "waiting_for_verify" => ConnectionState::WaitingForVerify,
            "verified" => ConnectionState::Verified { at: at()? },
            "signature_mismatch" => ConnectionState::SignatureMismatch { at: at()? },
            _ => return Err("unknown connection state"),
        })
    }
}

/// One request from Lever, as the console lists it (`GET /api/lever/deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverDelivery {
    pub id: crate::DeliveryId,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub event: String,
    pub opportunity_id: Option<String>,
    /// Known once the job has read the opportunity from Lever.
    pub candidate_name: Option<String>,
    pub stage_id: Option<String>,
    /// The stage's name when it is one of the selected stages.
    pub stage_name: Option<String>,
    pub status: DeliveryStatus,
    /// Why it was ignored, duplicate or rejected.
    pub reason: Option<DeliveryReason>,
    /// What went wrong, while failed or dead.
    pub error: Option<String>,
    /// How many times its job ran.
    pub attempts: i32,
    /// The pad this delivery created.
    pub pad_link: Option<String>,
    /// Failed and dead deliveries can be retried by an admin.
    pub can_retry: bool,
    /// When a failed delivery's job runs again by itself.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The sample Lever sends when an admin presses Verify (a `candidateHired` without a
    /// candidate), not a real event.
    #[serde(default)]
    pub lever_verify: bool,
}

/// `GET /api/lever/deliveries?status=&q=&cursor=&limit=` (admins): newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverDeliveriesResponse {
    pub deliveries: Vec<LeverDelivery>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Requests with a wrong signature that were only counted, not listed: past 20 a minute,
    /// a flood of forged requests must not fill the database.
    #[serde(default)]
    pub rejected_not_recorded: u64,
}

text_enum! {
    /// What became of a delivery.
    pub enum DeliveryStatus {
        /// Its job has not decided yet.
        Queued = "queued",
        PadCreated = "pad_created",
        Ignored = "ignored",
        /// Lever sent the same delivery again (its token was seen).
        Duplicate = "duplicate",
        /// Refused: no or a wrong signature, or out of time.
        Rejected = "rejected",
        /// The job failed and will run again.
        Failed = "failed",
        /// The job failed and has no attempts left.
        Dead = "dead",
    }
}

impl DeliveryStatus {
    /// An admin may run its job again.
    pub fn can_retry(self) -> bool {
        matches!(self, DeliveryStatus::Failed | DeliveryStatus::Dead)
    }
}

text_enum! {
    /// Why a delivery created no pad.
    pub enum DeliveryReason {
        /// The candidate moved to a stage that is not selected in step 2.
        StageNotSelected = "stage_not_selected",
        /// Lever's history does not show the candidate ever entering that stage: the
        /// delivery's `data` was forged or replayed with other values.
        StageNotEntered = "stage_not_entered",
        Archived = "archived",
        /// Neither the candidate nor the job carries the tag.
        NotTagged = "not_tagged",
        AlreadyHasPad = "already_has_pad",
        /// The organization's plan (when the delivery arrives or its job runs) does not
        /// include Lever: nothing is created and Lever is not called.
        PlanExcludesLever = "plan_does_not_include_lever",
        /// Lever was disconnected before the job ran.
        NotConnected = "not_connected",
        /// The stored event could not be read back.
        MalformedEvent = "malformed_event",
        /// A signed event other than a candidate stage change (Verify sends one).
        NotAStageChange = "not_a_stage_change",
        /// Lever sent this delivery before (duplicate).
        TokenAlreadySeen = "token_already_seen",
        NoSignature = "no_signature",
        BadSignature = "bad_signature",
        /// Signed with a time ahead of the server's clock by more than the allowed skew.
        TriggeredInFuture = "triggered_in_future",
        /// Signed longer ago than a replay window allows.
        TooOld = "too_old",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_states_read_back_as_written() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for state in [
            ConnectionState::NotConnected,
            ConnectionState::WaitingForVerify,
            ConnectionState::Verified { at },
            ConnectionState::SignatureMismatch { at },
        ] {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(
                serde_json::from_str::<ConnectionState>(&json).unwrap(),
                state,
                "{json}"
            );
        }
        assert_eq!(
            serde_json::to_string(&ConnectionState::Verified { at }).unwrap(),
            r#"{"state":"verified","at":"2023-11-14T22:13:20Z"}"#
        );
        for bad in [
            r#"{"state":"verified"}"#,
            r#"{"state":"on_fire"}"#,
            r#"{"at":"2023-11-14T22:13:20Z"}"#,
        ] {
            assert!(
                serde_json::from_str::<ConnectionState>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
