use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_organizations::belongs_to_organization;
use crate::m20261126_000002_create_accounts::Users;

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The foreign key of a table whose rows are part of one pad (and go with it).
pub fn belongs_to_pad(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Pads::Table, Pads::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pads::Table)
                    .if_not_exists()
                    .col(string_len(Pads::Id, 32).primary_key())
                    .col(uuid(Pads::OrgId))
                    .col(string_len(Pads::Source, 16))
                    .col(string_len_null(Pads::OpportunityId, 128))
                    .col(uuid_null(Pads::DeliveryId))
                    .col(string_len(Pads::CandidateName, 200))
                    .col(string_len_null(Pads::JobTitle, 300))
                    .col(string_len_null(Pads::StageId, 128))
                    .col(string_len_null(Pads::StageName, 200))
                    .col(uuid_null(Pads::OwnerId))
                    .col(string_len(Pads::Status, 16))
                    .col(timestamp_with_time_zone_null(Pads::LinkAddedAt))
                    .col(string_len_null(Pads::NoteId, 128))
                    .col(timestamp_with_time_zone(Pads::CreatedAt))
                    .foreign_key(&mut belongs_to_organization(Pads::Table, Pads::OrgId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Pads::Table, Pads::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One pad per candidate opportunity, enforced by the database: two workers racing on
        // two deliveries for the same candidate cannot both create one. Pads made by hand have
        // no opportunity, and NULLs never collide.
        manager
            .create_index(
                Index::create()
                    .name("pads_one_per_opportunity")
                    .table(Pads::Table)
                    .col(Pads::OrgId)
                    .col(Pads::OpportunityId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pads_org_created")
                    .table(Pads::Table)
                    .col(Pads::OrgId)
                    .col(Pads::CreatedAt)
                    .to_owned(),
            )
            .await?;

        // What the pipeline learned about each delivery.
        add_columns(
            manager,
            LeverDeliveries::Table,
            [
                string_len_null(LeverDeliveries::CandidateName, 200),
                string_len_null(LeverDeliveries::PadId, 32),
                integer(LeverDeliveries::Attempts).default(0).to_owned(),
            ],
        )
        .await?;
        // The worker claims the oldest due job of one organization at a time.
        manager
            .create_index(
                Index::create()
                    .name("jobs_org_status_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::OrgId)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_delivery")
                    .table(Jobs::Table)
                    .col(Jobs::DeliveryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in ["jobs_delivery", "jobs_org_status_run_at"] {
            manager
                .drop_index(Index::drop().name(index).table(Jobs::Table).to_owned())
                .await?;
        }
        drop_columns(
            manager,
            LeverDeliveries::Table,
            [
                LeverDeliveries::Attempts,
                LeverDeliveries::PadId,
                LeverDeliveries::CandidateName,
            ],
        )
        .await?;
        manager
            .drop_table(Table::drop().table(Pads::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Pads {
    Table,
    Id,
    OrgId,
    Source,
    OpportunityId,
    DeliveryId,
    CandidateName,
    JobTitle,
    StageId,
    StageName,
    OwnerId,
    Status,
    LinkAddedAt,
    NoteId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LeverDeliveries {
    Table,
    CandidateName,
    PadId,
    Attempts,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    OrgId,
    Status,
    RunAt,
    DeliveryId,
}
