use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Why Lever refused a write (403) after the key passed step 1: the setup shows it until a key
/// is saved again and passes.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            LeverIntegrations::Table,
            [text_null(LeverIntegrations::PermissionMissing).to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [LeverIntegrations::PermissionMissing],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    PermissionMissing,
}
