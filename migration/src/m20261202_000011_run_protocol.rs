//! The protocol summary of a request's last run (IMAP commands by kind and the errors met, per
//! server; never message bodies or passwords), for the helpdesk's request page.
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    /// JSON of `db::stored::Protocol`, versioned; written during and at the end of each run.
    Protocol,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            MigrationRequests::Table,
            ColumnDef::new(MigrationRequests::Protocol).text().null(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(
            manager,
            MigrationRequests::Table,
            MigrationRequests::Protocol,
        )
        .await
    }
}
