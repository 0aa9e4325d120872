use api::PadId;
use sea_orm::entity::prelude::*;

/// A participant connected to a pad through one server instance (several instances on one
/// PostgreSQL). The instance refreshes `seen_at` while the connection lasts and deletes the row
/// when it ends; a row no longer refreshed belongs to an instance that stopped.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pad_presence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pad_id: PadId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_id: String,
    pub seen_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
