use api::OrgId;
use sea_orm::entity::prelude::*;

pub use api::Plan;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OrgId,
    pub name: String,
    pub plan: Plan,
    pub created_at: TimeDateTimeWithTimeZone,
    /// Set by an operator (`stagepad org disable`): members cannot log in or use their
    /// sessions, the Lever webhook refuses deliveries and pad links stop working.
    pub disabled_at: Option<TimeDateTimeWithTimeZone>,
}

impl Model {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
