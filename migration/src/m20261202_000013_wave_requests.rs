//! A migration request that belongs to a wave: the wave's schedule holds it until its turn (and
//! its window), and releases it to the workers. NULL: the person's own request, never held.
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    WaveId,
}

const INDEX: &str = "idx_migration_requests_wave";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            MigrationRequests::Table,
            ColumnDef::new(MigrationRequests::WaveId)
                .big_integer()
                .null(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(MigrationRequests::Table)
                    .col(MigrationRequests::WaveId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(MigrationRequests::Table)
                    .to_owned(),
            )
            .await?;
        drop_column(manager, MigrationRequests::Table, MigrationRequests::WaveId).await
    }
}
