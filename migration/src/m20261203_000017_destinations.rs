//! Per-person destinations: the people IT sends to a server other than the default new one
//! (`person_destinations`, keyed by lowercase address so people who never signed in are covered),
//! and the destination each request was submitted with (`migration_requests.destination`), which
//! never changes after. Also when catch-ups waiting for a person's old password asked them for it.
use sea_orm_migration::prelude::*;

use crate::alter::add_column;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonDestinations {
    Table,
    Id,
    Email,
    Destination,
    SetBy,
    SetAt,
}

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    Destination,
}

#[derive(DeriveIden)]
enum Cutovers {
    Table,
    PasswordAskedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonDestinations::Table)
                    .col(
                        ColumnDef::new(PersonDestinations::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PersonDestinations::Email)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(PersonDestinations::Destination)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonDestinations::SetBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PersonDestinations::SetAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            MigrationRequests::Table,
            ColumnDef::new(MigrationRequests::Destination).string(),
        )
        .await?;
        // When a person whose catch-ups wait for their forgotten old password was asked for it.
        add_column(
            manager,
            Cutovers::Table,
            ColumnDef::new(Cutovers::PasswordAskedAt).big_integer(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::alter::drop_column(manager, Cutovers::Table, Cutovers::PasswordAskedAt).await?;
        crate::alter::drop_column(
            manager,
            MigrationRequests::Table,
            MigrationRequests::Destination,
        )
        .await?;
        manager
            .drop_table(Table::drop().table(PersonDestinations::Table).to_owned())
            .await
    }
}
