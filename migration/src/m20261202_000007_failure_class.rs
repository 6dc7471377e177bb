//! Why a request stopped short, as a class the helpdesk sorts and acts on (`app::dto::FailureClass`'s
//! stored form); empty while it runs or once it is done.
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

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
        add_column(
            manager,
            MigrationRequests::Table,
            ColumnDef::new(MigrationRequests::FailureClass)
                .string()
                .null(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(
            manager,
            MigrationRequests::Table,
            MigrationRequests::FailureClass,
        )
        .await
    }
}
