use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When each of a pad's writes to Lever (the code as a note, as a feedback form) last reached
/// Lever, and who asked for it: the console shows both, and sending again must be asked for.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Pads::Table,
            [
                uuid_null(Pads::CodeNoteSentBy),
                timestamp_with_time_zone_null(Pads::CodeNoteSentAt),
                uuid_null(Pads::FeedbackSentBy),
                timestamp_with_time_zone_null(Pads::FeedbackSentAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            Pads::Table,
            [
                Pads::CodeNoteSentBy,
                Pads::CodeNoteSentAt,
                Pads::FeedbackSentBy,
                Pads::FeedbackSentAt,
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Pads {
    Table,
    CodeNoteSentBy,
    CodeNoteSentAt,
    FeedbackSentBy,
    FeedbackSentAt,
}
