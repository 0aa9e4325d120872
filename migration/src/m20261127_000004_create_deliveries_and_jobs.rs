use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_organizations::belongs_to_organization;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeverDeliveries::Table)
                    .if_not_exists()
                    .col(uuid(LeverDeliveries::Id).primary_key())
                    .col(uuid(LeverDeliveries::OrgId))
                    .col(timestamp_with_time_zone(LeverDeliveries::ReceivedAt))
                    .col(string_len(LeverDeliveries::Event, 64))
                    .col(big_integer_null(LeverDeliveries::TriggeredAt))
                    .col(string_len_null(LeverDeliveries::OpportunityId, 128))
                    .col(string_len_null(LeverDeliveries::ToStageId, 128))
                    .col(string_len(LeverDeliveries::Status, 32))
                    .col(string_len_null(LeverDeliveries::Reason, 64))
                    .col(text_null(LeverDeliveries::Detail))
                    .foreign_key(&mut belongs_to_organization(
                        LeverDeliveries::Table,
                        LeverDeliveries::OrgId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lever_deliveries_org_received")
                    .table(LeverDeliveries::Table)
                    .col(LeverDeliveries::OrgId)
                    .col(LeverDeliveries::ReceivedAt)
                    .to_owned(),
            )
            .await?;

        // Lever's per-delivery token, kept to refuse replays (Lever reruns up to two weeks).
        manager
            .create_table(
                Table::create()
                    .table(LeverSeenTokens::Table)
                    .if_not_exists()
                    .col(uuid(LeverSeenTokens::OrgId))
                    .col(string_len(LeverSeenTokens::Token, 128))
                    .col(timestamp_with_time_zone(LeverSeenTokens::SeenAt))
                    .primary_key(
                        Index::create()
                            .col(LeverSeenTokens::OrgId)
                            .col(LeverSeenTokens::Token),
                    )
                    .foreign_key(&mut belongs_to_organization(
                        LeverSeenTokens::Table,
                        LeverSeenTokens::OrgId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .if_not_exists()
                    .col(uuid(Jobs::Id).primary_key())
                    .col(uuid(Jobs::OrgId))
                    .col(string_len(Jobs::Kind, 64))
                    .col(uuid_null(Jobs::DeliveryId))
                    .col(text(Jobs::Payload))
                    .col(string_len(Jobs::Status, 16))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .foreign_key(&mut belongs_to_organization(Jobs::Table, Jobs::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_status_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_table_ref(),
            LeverSeenTokens::Table.into_table_ref(),
            LeverDeliveries::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum LeverDeliveries {
    Table,
    Id,
    OrgId,
    ReceivedAt,
    Event,
    TriggeredAt,
    OpportunityId,
    ToStageId,
    Status,
    Reason,
    Detail,
}

#[derive(DeriveIden)]
enum LeverSeenTokens {
    Table,
    OrgId,
    Token,
    SeenAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    OrgId,
    Kind,
    DeliveryId,
    Payload,
    Status,
    Attempts,
    RunAt,
    LeaseUntil,
    LastError,
    CreatedAt,
}
