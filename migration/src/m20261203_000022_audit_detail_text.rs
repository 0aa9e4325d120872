use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Audit details as catalog messages, to word them in each reader's language: the catalog key
/// (`audit.detail.*`) and the placeholders' values as JSON text (`[{"name", "value",
/// "is_text"}]`). Both empty in older rows, which keep only their English `detail`.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            AuditEvents::Table,
            [
                string_null(AuditEvents::DetailKey),
                text_null(AuditEvents::DetailValues),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            AuditEvents::Table,
            [AuditEvents::DetailKey, AuditEvents::DetailValues],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    DetailKey,
    DetailValues,
}
