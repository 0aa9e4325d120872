use api::OrgId;
use sea_orm::entity::prelude::*;

/// Webhook requests with a wrong signature, per organization: a few a minute are recorded as
/// rejected deliveries, the rest only counted here, so a flood cannot fill the database.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lever_forged_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    /// When the current minute of recording began.
    pub window_start: TimeDateTimeWithTimeZone,
    /// Forged requests recorded as deliveries since `window_start`.
    pub recorded_in_window: i32,
    /// Forged requests counted without being recorded, ever.
    pub not_recorded: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
