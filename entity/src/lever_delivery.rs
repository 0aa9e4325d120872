use sea_orm::entity::prelude::*;

/// One request Lever made to an organization's webhook URL, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lever_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub received_at: TimeDateTimeWithTimeZone,
    pub event: String,
    pub triggered_at: Option<i64>,
    pub opportunity_id: Option<String>,
    pub to_stage_id: Option<String>,
    pub status: Status,
    /// A stable code: `bad_signature`, `not_a_stage_change`, `triggered_in_future`, ...
    pub reason: Option<String>,
    /// The last error, while failing.
    pub detail: Option<String>,
    /// Learnt from Lever when the job re-reads the opportunity.
    pub candidate_name: Option<String>,
    pub pad_id: Option<String>,
    /// How many times its job ran.
    pub attempts: i32,
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Status {
    /// Its job has not decided yet.
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "pad_created")]
    PadCreated,
    #[sea_orm(string_value = "ignored")]
    Ignored,
    /// Lever sent the same delivery again (its token was seen).
    #[sea_orm(string_value = "duplicate")]
    Duplicate,
    /// Refused: no or a wrong signature, or out of time.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// The job failed and will run again.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The job failed and has no attempts left.
    #[sea_orm(string_value = "dead")]
    Dead,
}

impl Status {
    /// As the API and the console name it.
    pub fn code(self) -> String {
        self.to_value()
    }

    pub fn from_code(code: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|status| status.to_value() == code)
    }

    /// An admin may run its job again.
    pub fn can_retry(self) -> bool {
        matches!(self, Status::Failed | Status::Dead)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
