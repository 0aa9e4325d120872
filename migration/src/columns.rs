//! Adding and dropping columns, one statement each: SQLite alters one column at a time.

use sea_orm_migration::prelude::*;

pub async fn add_columns(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for column in columns {
        let mut alter = Table::alter();
        alter.table(table.clone()).add_column(column);
        manager.alter_table(alter).await?;
    }
    Ok(())
}

pub async fn drop_columns<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for column in columns {
        let mut alter = Table::alter();
        alter.table(table.clone()).drop_column(column);
        manager.alter_table(alter).await?;
    }
    Ok(())
}
