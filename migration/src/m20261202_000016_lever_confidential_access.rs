use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Whether step 1 found the key created with Lever's "Allow access to confidential data"
/// (null: Lever's answer did not tell).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            LeverIntegrations::Table,
            [boolean_null(LeverIntegrations::ConfidentialAccess).to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [LeverIntegrations::ConfidentialAccess],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    ConfidentialAccess,
}
