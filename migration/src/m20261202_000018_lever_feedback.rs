use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Feedback forms: the Lever template an admin chose, and each pad's "send as feedback"
/// request.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            LeverIntegrations::Table,
            [
                string_null(LeverIntegrations::FeedbackTemplateId),
                string_null(LeverIntegrations::FeedbackTemplateName),
            ],
        )
        .await?;
        add_columns(
            manager,
            Pads::Table,
            [
                string_null(Pads::FeedbackStatus),
                text_null(Pads::FeedbackError),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            Pads::Table,
            [Pads::FeedbackStatus, Pads::FeedbackError],
        )
        .await?;
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [
                LeverIntegrations::FeedbackTemplateId,
                LeverIntegrations::FeedbackTemplateName,
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    FeedbackTemplateId,
    FeedbackTemplateName,
}

#[derive(DeriveIden)]
enum Pads {
    Table,
    FeedbackStatus,
    FeedbackError,
}
