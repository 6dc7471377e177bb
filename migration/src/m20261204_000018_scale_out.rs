//! Running on several machines: the connection places every process shares per server
//! (`connection_places`: a place held by a process until it gives it back or its lease expires),
//! each worker's heartbeat (`worker_heartbeats`, for `/readyz` and `/metrics`), and emails the outbox
//! gave up on (`outbox.gave_up_at`: refused for good, or tried too often), and when the journal and
//! quarantine of a finished request were purged (`migration_requests.purged_at`, retention).
use sea_orm_migration::prelude::*;

use crate::alter::add_column;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConnectionPlaces {
    Table,
    Server,
    Place,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum WorkerHeartbeats {
    Table,
    Worker,
    StartedAt,
    BeatAt,
}

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    PurgedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    GaveUpAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConnectionPlaces::Table)
                    .col(ColumnDef::new(ConnectionPlaces::Server).string().not_null())
                    .col(ColumnDef::new(ConnectionPlaces::Place).integer().not_null())
                    .col(ColumnDef::new(ConnectionPlaces::Holder).string().not_null())
                    .col(
                        ColumnDef::new(ConnectionPlaces::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ConnectionPlaces::Server)
                            .col(ConnectionPlaces::Place),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_connection_places_holder")
                    .table(ConnectionPlaces::Table)
                    .col(ConnectionPlaces::Holder)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkerHeartbeats::Table)
                    .col(
                        ColumnDef::new(WorkerHeartbeats::Worker)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WorkerHeartbeats::StartedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WorkerHeartbeats::BeatAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            MigrationRequests::Table,
            ColumnDef::new(MigrationRequests::PurgedAt).big_integer(),
        )
        .await?;
        add_column(
            manager,
            Outbox::Table,
            ColumnDef::new(Outbox::GaveUpAt).big_integer(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::alter::drop_column(manager, Outbox::Table, Outbox::GaveUpAt).await?;
        crate::alter::drop_column(
            manager,
            MigrationRequests::Table,
            MigrationRequests::PurgedAt,
        )
        .await?;
        manager
            .drop_table(Table::drop().table(WorkerHeartbeats::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ConnectionPlaces::Table).to_owned())
            .await
    }
}
