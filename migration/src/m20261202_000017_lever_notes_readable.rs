use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Whether the API key may read an opportunity's notes (optional): a retried note is looked
/// for first only then, and step 1 says when it may not. Keys saved before were never asked:
/// assumed yes until a read is refused.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            LeverIntegrations::Table,
            [boolean(LeverIntegrations::NotesReadable)
                .default(true)
                .to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [LeverIntegrations::NotesReadable],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    NotesReadable,
}
