use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_organizations::belongs_to_organization;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Forged webhook requests are recorded at a bounded rate per organization and only counted
/// beyond it; the retention sweep finds old deliveries and audit events by time alone.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeverForgedCounts::Table)
                    .if_not_exists()
                    .col(uuid(LeverForgedCounts::OrgId).primary_key())
                    .col(timestamp_with_time_zone(LeverForgedCounts::WindowStart))
                    .col(integer(LeverForgedCounts::RecordedInWindow).default(0))
                    .col(big_integer(LeverForgedCounts::NotRecorded).default(0))
                    .foreign_key(&mut belongs_to_organization(
                        LeverForgedCounts::Table,
                        LeverForgedCounts::OrgId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lever_deliveries_received")
                    .table(LeverDeliveries::Table)
                    .col(LeverDeliveries::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_created")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("audit_events_created")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("lever_deliveries_received")
                    .table(LeverDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LeverForgedCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LeverForgedCounts {
    Table,
    OrgId,
    WindowStart,
    RecordedInWindow,
    NotRecorded,
}

#[derive(DeriveIden)]
enum LeverDeliveries {
    Table,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    CreatedAt,
}
