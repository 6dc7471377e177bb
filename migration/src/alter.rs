//! Changing a table one column at a time (SQLite alters one column per statement).
use sea_orm_migration::prelude::*;

/// Adds one column to `table` (SQLite alters one column per statement).
pub async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    column: &mut ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

pub async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}
