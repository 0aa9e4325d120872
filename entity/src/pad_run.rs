use api::{OrgId, PadId, RunId, RunStatus};
use sea_orm::entity::prelude::*;

/// One run of a pad's code. Written when it is asked for, again when it starts and ends;
/// while it is active its instance renews `heartbeat_at` (and the output so far) every second.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pad_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RunId,
    pub org_id: OrgId,
    pub pad_id: PadId,
    pub revision: i64,
    pub language: String,
    /// The display name of who pressed Run.
    pub started_by: String,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub wall_ms: Option<i64>,
    pub stopped_by: Option<String>,
    /// Someone pressed Stop through another instance: the instance running it stops it.
    pub stop_requested_by: Option<String>,
    pub message: Option<String>,
    /// The output pieces as JSON (`[{"stream": "stdout", "text": "…"}]`), bounded by the
    /// output limit.
    pub output: String,
    pub truncated: bool,
    pub requested_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
    pub heartbeat_at: TimeDateTimeWithTimeZone,
    /// The signal that ended the program, when one did (`exit_code` is then 128 + it).
    pub signal: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
