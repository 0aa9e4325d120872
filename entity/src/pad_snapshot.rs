use api::PadId;
use sea_orm::entity::prelude::*;

/// A pad's text as it stood after `revision` edits (one every 1,000), so rooms and history
/// replay only the edits since. Derived data: the edits themselves stay the record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pad_snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pad_id: PadId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i64,
    pub text: String,
    /// Characters inserted over the pad's life up to `revision`.
    pub inserted_chars: i64,
    /// JSON object: each participant id's last edit number up to `revision`.
    pub last_seqs: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
