use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Failures shown later, worded in each reader's language: beside the English kept in
/// `lever_deliveries.detail`, `pads.code_note_error`, `pads.feedback_error` and
/// `lever_integrations.permission_missing`, the catalog
/// message as JSON (`{"key", "values"}`); empty in older rows, which keep only their English.
/// A run ended by a signal keeps the signal's number, which the console words.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            LeverDeliveries::Table,
            [text_null(LeverDeliveries::DetailMessage)],
        )
        .await?;
        add_columns(
            manager,
            Pads::Table,
            [
                text_null(Pads::CodeNoteErrorMessage),
                text_null(Pads::FeedbackErrorMessage),
            ],
        )
        .await?;
        add_columns(
            manager,
            LeverIntegrations::Table,
            [text_null(LeverIntegrations::PermissionMissingMessage)],
        )
        .await?;
        add_columns(manager, PadRuns::Table, [integer_null(PadRuns::Signal)]).await?;
        // Runs that ended by a signal before: their number was only in the English sentence.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE pad_runs SET signal = exit_code - 128 \
                 WHERE message LIKE 'Ended by signal %' AND exit_code > 128",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, PadRuns::Table, [PadRuns::Signal]).await?;
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [LeverIntegrations::PermissionMissingMessage],
        )
        .await?;
        drop_columns(
            manager,
            Pads::Table,
            [Pads::CodeNoteErrorMessage, Pads::FeedbackErrorMessage],
        )
        .await?;
        drop_columns(
            manager,
            LeverDeliveries::Table,
            [LeverDeliveries::DetailMessage],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LeverDeliveries {
    Table,
    DetailMessage,
}

#[derive(DeriveIden)]
enum Pads {
    Table,
    CodeNoteErrorMessage,
    FeedbackErrorMessage,
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    PermissionMissingMessage,
}

#[derive(DeriveIden)]
enum PadRuns {
    Table,
    Signal,
}
