use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One token bucket per Lever API key (by its SHA-256), shared by every instance on one
/// PostgreSQL so that together they stay within Lever's limit. SQLite (one instance) keeps its
/// buckets in memory and leaves this table empty.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeverRequestBudgets::Table)
                    .if_not_exists()
                    .col(string_len(LeverRequestBudgets::KeyHash, 64).primary_key())
                    .col(double(LeverRequestBudgets::Tokens))
                    .col(timestamp_with_time_zone(LeverRequestBudgets::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LeverRequestBudgets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LeverRequestBudgets {
    Table,
    KeyHash,
    Tokens,
    UpdatedAt,
}
