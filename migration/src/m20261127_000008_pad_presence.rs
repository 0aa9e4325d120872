use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000005_create_pads::belongs_to_pad;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Who is connected to a pad through which server instance, refreshed while connected: with
/// several instances on one database, a participant list shows everyone connected anywhere,
/// and a crashed instance's participants go offline once their rows are no longer refreshed.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PadPresence::Table)
                    .if_not_exists()
                    .col(string_len(PadPresence::PadId, 32))
                    .col(string_len(PadPresence::ClientId, 64))
                    .col(string_len(PadPresence::InstanceId, 36))
                    .col(timestamp_with_time_zone(PadPresence::SeenAt))
                    .primary_key(
                        Index::create()
                            .col(PadPresence::PadId)
                            .col(PadPresence::ClientId)
                            .col(PadPresence::InstanceId),
                    )
                    .foreign_key(&mut belongs_to_pad(PadPresence::Table, PadPresence::PadId))
                    .to_owned(),
            )
            .await?;
        // Refreshes and clean-ups go by instance and by age.
        manager
            .create_index(
                Index::create()
                    .name("idx_pad_presence_instance")
                    .table(PadPresence::Table)
                    .col(PadPresence::InstanceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PadPresence::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PadPresence {
    Table,
    PadId,
    ClientId,
    InstanceId,
    SeenAt,
}
