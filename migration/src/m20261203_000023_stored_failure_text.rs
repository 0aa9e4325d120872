use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Failures shown later, worded in each reader's language: beside the English kept in
/// `lever_deliveries.detail`, `pads.code_note_error` and `pads.feedback_error`, the catalog
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
        add_columns(manager, PadRuns::Table, [integer_null(PadRuns::Signal)]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, PadRuns::Table, [PadRuns::Signal]).await?;
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
enum PadRuns {
    Table,
    Signal,
}
