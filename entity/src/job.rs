use api::{DeliveryId, JobId, OrgId};
use sea_orm::entity::prelude::*;

/// What a job does. The worker dispatches on it exhaustively: a new kind does not compile until
/// it is run and its failures are shown somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Kind {
    /// A Lever stage change: decide, create the pad, add its link and note.
    #[sea_orm(string_value = "lever_stage_change")]
    LeverStageChange,
    /// A member's "Send as note".
    #[sea_orm(string_value = "pad_code_note")]
    CodeNote,
    /// The results note posted when a Lever pad ends.
    #[sea_orm(string_value = "pad_results_note")]
    ResultsNote,
    /// A member's "Send as feedback".
    #[sea_orm(string_value = "pad_feedback")]
    Feedback,
    /// An e-mail of the outbox (`mails`).
    #[sea_orm(string_value = "mail")]
    Mail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Status {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "done")]
    Done,
    /// Out of attempts, or failed for good; an admin may retry it.
    #[sea_orm(string_value = "dead")]
    Dead,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_value())
    }
}

/// Durable background work: written in the same transaction as what asks for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: JobId,
    pub org_id: OrgId,
    pub kind: Kind,
    pub delivery_id: Option<DeliveryId>,
    /// JSON.
    pub payload: String,
    pub status: Status,
    pub attempts: i32,
    pub run_at: TimeDateTimeWithTimeZone,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub last_error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    /// Runs allowed in all, when an admin's retry granted more than the setting.
    pub attempt_limit: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
