use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000005_create_pads::belongs_to_pad;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A pad's text every 1,000 edits, with what a room needs besides (characters typed so far,
/// each participant's last edit number): opening a room or reading history replays only the
/// edits since a snapshot instead of the pad's whole life.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PadSnapshots::Table)
                    .if_not_exists()
                    .col(string_len(PadSnapshots::PadId, 32))
                    .col(big_integer(PadSnapshots::Revision))
                    .col(text(PadSnapshots::Text))
                    .col(big_integer(PadSnapshots::InsertedChars))
                    .col(text(PadSnapshots::LastSeqs))
                    .primary_key(
                        Index::create()
                            .col(PadSnapshots::PadId)
                            .col(PadSnapshots::Revision),
                    )
                    .foreign_key(&mut belongs_to_pad(
                        PadSnapshots::Table,
                        PadSnapshots::PadId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PadSnapshots::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PadSnapshots {
    Table,
    PadId,
    Revision,
    Text,
    InsertedChars,
    LastSeqs,
}
