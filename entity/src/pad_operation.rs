use api::PadId;
use sea_orm::entity::prelude::*;

/// One acknowledged edit of a pad, stored before it was acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pad_operations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pad_id: PadId,
    /// 1 for the first edit; the text after it is revision `revision`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i64,
    /// The browser tab that made it.
    pub client_id: String,
    /// That client's own numbering, to recognise an edit sent again after a reconnect.
    pub seq: i64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// JSON, as `api::ot::Operation` serializes.
    pub op: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
