use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A guest participant's id is bound to a secret only its first joiner holds (stored as a
/// SHA-256 hash): rejoining under the id needs it, so nobody can act as another participant.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            PadParticipants::Table,
            [string_len_null(PadParticipants::SecretHash, 64)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            PadParticipants::Table,
            [PadParticipants::SecretHash],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PadParticipants {
    Table,
    SecretHash,
}
