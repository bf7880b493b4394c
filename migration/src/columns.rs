//! Adding and dropping columns of an existing table, one statement per
//! column (SQLite alters one thing at a time), and the owner-scoped index
//! a listing reads a column through.

use sea_orm_migration::prelude::*;

use crate::m20261122_000002_create_tasks::Tasks;

/// Adds `columns` to `table`, in order.
pub(crate) async fn add_columns(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for mut column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops `columns` from `table`, in order.
pub(crate) async fn drop_columns<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// The index `name` on `tasks (user_id, column, id)`: one owner's tasks in
/// the order of `column`, ties by id, as the listing reads them.
pub(crate) fn owner_index(name: &str, column: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(Tasks::Table)
        .col(Tasks::UserId)
        .col(column)
        .col(Tasks::Id)
        .to_owned()
}
