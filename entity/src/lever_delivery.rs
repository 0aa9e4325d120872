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
    /// `queued`, `duplicate`, `rejected`, then what its job made of it: `pad_created`,
    /// `ignored`, `failed` (will be retried) or `dead` (no attempts left).
    pub status: String,
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

/// The values of `status`.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const PAD_CREATED: &str = "pad_created";
    pub const IGNORED: &str = "ignored";
    pub const DUPLICATE: &str = "duplicate";
    pub const REJECTED: &str = "rejected";
    /// The job failed and will run again.
    pub const FAILED: &str = "failed";
    /// The job failed and has no attempts left.
    pub const DEAD: &str = "dead";
    pub const ALL: [&str; 7] = [
        QUEUED,
        PAD_CREATED,
        IGNORED,
        DUPLICATE,
        REJECTED,
        FAILED,
        DEAD,
    ];
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
