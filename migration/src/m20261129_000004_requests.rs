//! Migration requests: one row per user's copy, with its state, the worker holding it and that worker's
//! heartbeat, so any worker can claim queued rows atomically and recover rows whose worker died.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    Id,
    UserId,
    State,
    ActiveKey,
    Folders,
    Worker,
    HeartbeatAt,
    Attempts,
    LastError,
    Report,
    QueuedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MigrationRequests::Table)
                    .col(
                        ColumnDef::new(MigrationRequests::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(MigrationRequests::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(MigrationRequests::State).string().not_null())
                    // The user's id while the request is not finished, else NULL: unique, so a double
                    // submit finds the request already there instead of creating a second one.
                    .col(
                        ColumnDef::new(MigrationRequests::ActiveKey)
                            .big_integer()
                            .null(),
                    )
                    // The selected source folders (JSON array of wire names).
                    .col(ColumnDef::new(MigrationRequests::Folders).text().not_null())
                    .col(ColumnDef::new(MigrationRequests::Worker).string().null())
                    .col(
                        ColumnDef::new(MigrationRequests::HeartbeatAt)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MigrationRequests::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(MigrationRequests::LastError).text().null())
                    .col(ColumnDef::new(MigrationRequests::Report).text().null())
                    .col(
                        ColumnDef::new(MigrationRequests::QueuedAt)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(MigrationRequests::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MigrationRequests::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MigrationRequests::Table, MigrationRequests::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_migration_requests_active")
                    .table(MigrationRequests::Table)
                    .col(MigrationRequests::ActiveKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Workers look for the oldest queued request.
        manager
            .create_index(
                Index::create()
                    .name("ix_migration_requests_state_queued")
                    .table(MigrationRequests::Table)
                    .col(MigrationRequests::State)
                    .col(MigrationRequests::QueuedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MigrationRequests::Table).to_owned())
            .await
    }
}
