use api::{DeliveryId, OrgId, PadId};
use sea_orm::entity::prelude::*;

/// One request Lever made to an organization's webhook URL, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lever_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DeliveryId,
    pub org_id: OrgId,
    pub received_at: TimeDateTimeWithTimeZone,
    pub event: String,
    pub triggered_at: Option<i64>,
    pub opportunity_id: Option<String>,
    pub to_stage_id: Option<String>,
    pub status: Status,
    pub reason: Option<Reason>,
    /// The last error, while failing.
    pub detail: Option<String>,
    /// Learnt from Lever when the job re-reads the opportunity.
    pub candidate_name: Option<String>,
    pub pad_id: Option<PadId>,
    /// How many times its job ran.
    pub attempts: i32,
    /// `detail` as a catalog message (JSON), worded in each reader's language.
    pub detail_message: Option<String>,
}

pub use api::{DeliveryReason as Reason, DeliveryStatus as Status};

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
