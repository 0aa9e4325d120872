use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The console language each user chose (`en`, `fr`); empty until they choose one, when the
/// browser's preference is used.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(manager, Users::Table, [string_null(Users::Language)]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, Users::Table, [Users::Language]).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Language,
}
