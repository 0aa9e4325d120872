use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The Lever user whose name links and notes carry (`perform_as`): the pad owner's Lever
/// account, found by email when the owner is chosen.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            LeverIntegrations::Table,
            [
                string_len_null(LeverIntegrations::LeverAuthorId, 128),
                string_len_null(LeverIntegrations::LeverAuthorName, 200),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [
                LeverIntegrations::LeverAuthorName,
                LeverIntegrations::LeverAuthorId,
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    LeverAuthorId,
    LeverAuthorName,
}
