use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000005_create_pads::belongs_to_pad;

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every acknowledged edit, in the order the server applied it: the pad's text is their
        // sum, and playback walks them.
        manager
            .create_table(
                Table::create()
                    .table(PadOperations::Table)
                    .if_not_exists()
                    .col(string_len(PadOperations::PadId, 32))
                    .col(big_integer(PadOperations::Revision))
                    .col(string_len(PadOperations::ClientId, 64))
                    .col(big_integer(PadOperations::Seq))
                    .col(big_integer(PadOperations::AtMs))
                    .col(text(PadOperations::Op))
                    .primary_key(
                        Index::create()
                            .col(PadOperations::PadId)
                            .col(PadOperations::Revision),
                    )
                    .foreign_key(&mut belongs_to_pad(
                        PadOperations::Table,
                        PadOperations::PadId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PadParticipants::Table)
                    .if_not_exists()
                    .col(string_len(PadParticipants::PadId, 32))
                    .col(string_len(PadParticipants::ClientId, 64))
                    .col(string_len(PadParticipants::Name, 100))
                    .col(string_len(PadParticipants::Color, 16))
                    .col(uuid_null(PadParticipants::UserId))
                    .col(timestamp_with_time_zone(PadParticipants::JoinedAt))
                    .primary_key(
                        Index::create()
                            .col(PadParticipants::PadId)
                            .col(PadParticipants::ClientId),
                    )
                    .foreign_key(&mut belongs_to_pad(
                        PadParticipants::Table,
                        PadParticipants::PadId,
                    ))
                    .to_owned(),
            )
            .await?;
        add_columns(
            manager,
            Pads::Table,
            [
                string_len(Pads::Language, 32).default("python").to_owned(),
                timestamp_with_time_zone_null(Pads::StartedAt),
                timestamp_with_time_zone_null(Pads::EndedAt),
                string_len_null(Pads::CodeNoteStatus, 16),
                text_null(Pads::CodeNoteError),
                string_len_null(Pads::ResultsNoteId, 128),
            ],
        )
        .await?;
        add_columns(
            manager,
            LeverIntegrations::Table,
            [boolean(LeverIntegrations::ResultsNotesEnabled)
                .default(true)
                .to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [LeverIntegrations::ResultsNotesEnabled],
        )
        .await?;
        drop_columns(
            manager,
            Pads::Table,
            [
                Pads::ResultsNoteId,
                Pads::CodeNoteError,
                Pads::CodeNoteStatus,
                Pads::EndedAt,
                Pads::StartedAt,
                Pads::Language,
            ],
        )
        .await?;
        for table in [
            PadParticipants::Table.into_table_ref(),
            PadOperations::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PadOperations {
    Table,
    PadId,
    Revision,
    ClientId,
    Seq,
    AtMs,
    Op,
}

#[derive(DeriveIden)]
enum PadParticipants {
    Table,
    PadId,
    ClientId,
    Name,
    Color,
    UserId,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Pads {
    Table,
    Language,
    StartedAt,
    EndedAt,
    CodeNoteStatus,
    CodeNoteError,
    ResultsNoteId,
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    ResultsNotesEnabled,
}
