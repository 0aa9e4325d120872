use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A guest participant's id is bound to a secret only its first joiner holds (stored as a
/// SHA-256 hash): rejoining under the id needs it, so nobody can act as another participant.
/// `connected_at` is when the participant last joined (several instances): an instance whose
/// connection of them is older closes it, so one participant types through one connection.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            PadParticipants::Table,
            [
                string_len_null(PadParticipants::SecretHash, 64),
                timestamp_with_time_zone_null(PadParticipants::ConnectedAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            PadParticipants::Table,
            [PadParticipants::ConnectedAt, PadParticipants::SecretHash],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PadParticipants {
    Table,
    SecretHash,
    ConnectedAt,
}
