//! Why a request stopped short, as a class the helpdesk sorts and acts on (`app::dto::FailureClass`'s
//! stored form); empty while it runs or once it is done.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    FailureClass,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MigrationRequests::Table)
                    .add_column(
                        ColumnDef::new(MigrationRequests::FailureClass)
                            .string()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MigrationRequests::Table)
                    .drop_column(MigrationRequests::FailureClass)
                    .to_owned(),
            )
            .await
    }
}
