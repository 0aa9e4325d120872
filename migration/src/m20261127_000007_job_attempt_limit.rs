use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An admin's retry grants a job more attempts instead of resetting its count: attempt numbers
/// fence a run's updates, so they must never repeat.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(manager, Jobs::Table, [integer_null(Jobs::AttemptLimit)]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, Jobs::Table, [Jobs::AttemptLimit]).await
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    AttemptLimit,
}
