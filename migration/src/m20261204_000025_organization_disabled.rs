use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When an operator disabled the organization (`stagepad org disable`); none while enabled.
/// A disabled organization's members cannot log in, its Lever webhook refuses deliveries and
/// its pads' links stop working; nothing is deleted, so `stagepad org enable` undoes it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Organizations::Table,
            [timestamp_with_time_zone_null(Organizations::DisabledAt)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, Organizations::Table, [Organizations::DisabledAt]).await
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    DisabledAt,
}
