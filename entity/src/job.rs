use sea_orm::entity::prelude::*;

/// Durable background work: written in the same transaction as what asks for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub delivery_id: Option<Uuid>,
    /// JSON.
    pub payload: String,
    /// `queued`, `running`, `done`, `dead`.
    pub status: String,
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
