use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000005_create_pads::belongs_to_pad;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every run of a pad's code: what ran (revision, language), who asked, how it ended and its
/// output (bounded). Stored before its end is announced; a Stop pressed on another instance is
/// written in `stop_requested_by`, which the instance running it reads at each heartbeat; a run still active whose instance
/// stopped beating is marked interrupted.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PadRuns::Table)
                    .if_not_exists()
                    .col(uuid(PadRuns::Id).primary_key())
                    .col(uuid(PadRuns::OrgId))
                    .col(string_len(PadRuns::PadId, 32))
                    .col(big_integer(PadRuns::Revision))
                    .col(string_len(PadRuns::Language, 32))
                    .col(string_len(PadRuns::StartedBy, 128))
                    .col(string_len(PadRuns::Status, 32))
                    .col(integer_null(PadRuns::ExitCode))
                    .col(big_integer_null(PadRuns::WallMs))
                    .col(string_len_null(PadRuns::StoppedBy, 128))
                    .col(string_len_null(PadRuns::StopRequestedBy, 128))
                    .col(text_null(PadRuns::Message))
                    .col(text(PadRuns::Output))
                    .col(boolean(PadRuns::Truncated))
                    .col(timestamp_with_time_zone(PadRuns::RequestedAt))
                    .col(timestamp_with_time_zone_null(PadRuns::FinishedAt))
                    .col(timestamp_with_time_zone(PadRuns::HeartbeatAt))
                    .foreign_key(&mut belongs_to_pad(PadRuns::Table, PadRuns::PadId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pad_runs_by_pad")
                    .table(PadRuns::Table)
                    .col(PadRuns::PadId)
                    .col(PadRuns::RequestedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pad_runs_by_status")
                    .table(PadRuns::Table)
                    .col(PadRuns::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PadRuns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PadRuns {
    Table,
    Id,
    OrgId,
    PadId,
    Revision,
    Language,
    StartedBy,
    Status,
    ExitCode,
    WallMs,
    StoppedBy,
    StopRequestedBy,
    Message,
    Output,
    Truncated,
    RequestedAt,
    FinishedAt,
    HeartbeatAt,
}
