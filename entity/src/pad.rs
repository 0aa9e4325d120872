use sea_orm::entity::prelude::*;

/// Where an interview stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Status {
    #[sea_orm(string_value = "not_started")]
    NotStarted,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    /// Read-only: the link shows only that it ended, members play it back.
    #[sea_orm(string_value = "ended")]
    Ended,
}

/// Who asked for the pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Source {
    /// A Lever stage change: the pad belongs to a candidate in Lever.
    #[sea_orm(string_value = "lever")]
    Lever,
    /// A member, from the Pads page.
    #[sea_orm(string_value = "manual")]
    Manual,
}

impl Status {
    /// As the API and the console name it.
    pub fn code(self) -> String {
        self.to_value()
    }

    pub fn from_code(code: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|status| status.to_value() == code)
    }
}

impl Source {
    pub fn code(self) -> String {
        self.to_value()
    }
}

/// An interview pad. Its id is the unguessable part of its link (`<public URL>/pad/<id>`).
/// Pads from Lever remember which side effects on Lever are done, so a retried job repeats none.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: Uuid,
    /// `lever` or `manual`.
    pub source: Source,
    /// Unique per organization: one pad per candidate opportunity.
    pub opportunity_id: Option<String>,
    /// The delivery whose job created this pad.
    pub delivery_id: Option<Uuid>,
    pub candidate_name: String,
    pub job_title: Option<String>,
    pub stage_id: Option<String>,
    pub stage_name: Option<String>,
    pub owner_id: Option<Uuid>,
    /// `not_started`, `in_progress` (someone edited) or `ended` (read-only).
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
    /// The "code into a Lever note" request: `sending`, `sent` or `failed`.
    pub code_note_status: Option<String>,
    pub code_note_error: Option<String>,
    /// The "send as feedback" request: `sending`, `sent` or `failed`.
    pub feedback_status: Option<String>,
    pub feedback_error: Option<String>,
    /// Lever's id of the results note posted when the interview ended.
    pub results_note_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
