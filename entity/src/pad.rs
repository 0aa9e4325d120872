use api::{DeliveryId, OrgId, PadId, UserId};
use sea_orm::entity::prelude::*;

pub use api::PadStatus as Status;

pub use api::PadSource as Source;
pub use api::RequestStatus;

/// An interview pad. Its id is the unguessable part of its link (`<public URL>/pad/<id>`).
/// Pads from Lever remember which side effects on Lever are done, so a retried job repeats none.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: PadId,
    pub org_id: OrgId,
    pub source: Source,
    /// Unique per organization: one pad per candidate opportunity.
    pub opportunity_id: Option<String>,
    /// The delivery whose job created this pad.
    pub delivery_id: Option<DeliveryId>,
    pub candidate_name: String,
    pub job_title: Option<String>,
    pub stage_id: Option<String>,
    pub stage_name: Option<String>,
    pub owner_id: Option<UserId>,
    pub status: Status,
    /// When Lever accepted the link on the candidate.
    pub link_added_at: Option<TimeDateTimeWithTimeZone>,
    /// Lever's id of the "pad created" note, once posted.
    pub note_id: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    /// One of `api::LANGUAGES`.
    pub language: String,
    /// The first edit.
    pub started_at: Option<TimeDateTimeWithTimeZone>,
    pub ended_at: Option<TimeDateTimeWithTimeZone>,
    /// The "code into a Lever note" request.
    pub code_note_status: Option<RequestStatus>,
    pub code_note_error: Option<String>,
    /// The "send as feedback" request.
    pub feedback_status: Option<RequestStatus>,
    pub feedback_error: Option<String>,
    /// When a code note last reached Lever, and the member who had asked for it.
    pub code_note_sent_by: Option<UserId>,
    pub code_note_sent_at: Option<TimeDateTimeWithTimeZone>,
    /// The same for the feedback form.
    pub feedback_sent_by: Option<UserId>,
    pub feedback_sent_at: Option<TimeDateTimeWithTimeZone>,
    /// Lever's id of the results note posted when the interview ended.
    pub results_note_id: Option<String>,
    /// `code_note_error` and `feedback_error` as catalog messages (JSON), worded in each
    /// reader's language.
    pub code_note_error_message: Option<String>,
    pub feedback_error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
