//! How long Lever deliveries, e-mails and audit events are kept. The job worker sweeps once an hour;
//! without it both tables would grow for as long as Stagepad runs.

use entity::{audit_event, job, lever_delivery, mail};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

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
    /// E-mails done with (sent, unconfirmed, failed, canceled), kept as long as deliveries.
    pub mails: u64,
}

/// Rows deleted per statement: a long backlog goes in short transactions.
const BATCH: u64 = 500;

/// Deletes what is older than the settings keep, as of `now`. A delivery whose job is still
/// queued or running stays whatever its age; a dead delivery's job goes with it.
pub async fn sweep(
    db: &DatabaseConnection,
    settings: &RetentionSettings,
    now: OffsetDateTime,
) -> Result<Swept, DbErr> {
    let delivery_cutoff = now - Duration::days(settings.delivery_days.into());
    let audit_cutoff = now - Duration::days(settings.audit_days.into());
    let mut swept = Swept::default();
    // The deliveries whose job has work left: their outcome is not known yet.
    let pending = || {
        Query::select()
            .column(job::Column::DeliveryId)
            .from(job::Entity)
            .and_where(job::Column::DeliveryId.is_not_null())
            .and_where(job::Column::Status.is_in([job::Status::Queued, job::Status::Running]))
            .to_owned()
    };
    loop {
        let batch: Vec<Uuid> = lever_delivery::Entity::find()
            .select_only()
            .column(lever_delivery::Column::Id)
            .filter(lever_delivery::Column::ReceivedAt.lt(delivery_cutoff))
            .filter(lever_delivery::Column::Id.not_in_subquery(pending()))
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        let txn = db.begin().await?;
        // Checked again: an admin may have retried one since it was read.
        let deleted = lever_delivery::Entity::delete_many()
            .filter(lever_delivery::Column::Id.is_in(batch.clone()))
            .filter(lever_delivery::Column::Id.not_in_subquery(pending()))
            .exec(&txn)
            .await?;
        job::Entity::delete_many()
            .filter(job::Column::DeliveryId.is_in(batch.clone()))
            .filter(job::Column::Status.is_in([job::Status::Done, job::Status::Dead]))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        swept.deliveries += deleted.rows_affected;
        if (batch.len() as u64) < BATCH {
            break;
        }
    }
    loop {
        let batch: Vec<i64> = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::Id)
            .filter(audit_event::Column::CreatedAt.lt(audit_cutoff))
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        let deleted = audit_event::Entity::delete_many()
            .filter(audit_event::Column::Id.is_in(batch.clone()))
            .exec(db)
            .await?;
        swept.audit_events += deleted.rows_affected;
        if (batch.len() as u64) < BATCH {
            break;
        }
    }
    // Their addresses are personal data: gone with the deliveries' window. A mail still to
    // send (queued, sending) stays whatever its age.
    let done_with = [
        api::MailStatus::Sent,
        api::MailStatus::Unconfirmed,
        api::MailStatus::Failed,
        api::MailStatus::Canceled,
    ];
    swept.mails = mail::Entity::delete_many()
        .filter(mail::Column::CreatedAt.lt(delivery_cutoff))
        .filter(mail::Column::Status.is_in(done_with.iter().map(|s| s.as_str())))
        .exec(db)
        .await?
        .rows_affected;
    Ok(swept)
}
