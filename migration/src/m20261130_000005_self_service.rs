//! The self-service flow: each person's connected old account (its password sealed, purged when the
//! migration ends), scan jobs (folders with counts and sizes, run by a worker), live progress on the
//! request, and the email outbox (written with the state change, sent by a worker with retries).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OldAccounts {
    Table,
    UserId,
    Login,
    /// The password sealed with the configured key (`SecretBox`), bound to the user; NULL once purged
    /// or in proxy/master mode.
    Secret,
    VerifiedAt,
}

/// Refused old-server logins per person, so Fountain cannot be used to guess passwords.
#[derive(DeriveIden)]
enum ConnectFailures {
    Table,
    UserId,
    Failures,
    WindowStart,
}

#[derive(DeriveIden)]
enum Scans {
    Table,
    Id,
    UserId,
    State,
    Worker,
    HeartbeatAt,
    Result,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    UserId,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    Attempts,
    NextAttemptAt,
    SentAt,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    Progress,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn user_fk(
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OldAccounts::Table)
                    .col(
                        ColumnDef::new(OldAccounts::UserId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OldAccounts::Login).string().not_null())
                    .col(ColumnDef::new(OldAccounts::Secret).binary().null())
                    .col(
                        ColumnDef::new(OldAccounts::VerifiedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(OldAccounts::Table, OldAccounts::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConnectFailures::Table)
                    .col(
                        ColumnDef::new(ConnectFailures::UserId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ConnectFailures::Failures)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ConnectFailures::WindowStart)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut user_fk(
                        ConnectFailures::Table,
                        ConnectFailures::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Scans::Table)
                    .col(id(Scans::Id))
                    .col(ColumnDef::new(Scans::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Scans::State).string().not_null())
                    .col(ColumnDef::new(Scans::Worker).string().null())
                    .col(ColumnDef::new(Scans::HeartbeatAt).big_integer().null())
                    .col(ColumnDef::new(Scans::Result).text().null())
                    .col(ColumnDef::new(Scans::Error).text().null())
                    .col(ColumnDef::new(Scans::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Scans::UpdatedAt).big_integer().not_null())
                    .foreign_key(&mut user_fk(Scans::Table, Scans::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scans_state")
                    .table(Scans::Table)
                    .col(Scans::State)
                    .col(Scans::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scans_user")
                    .table(Scans::Table)
                    .col(Scans::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(id(Outbox::Id))
                    .col(ColumnDef::new(Outbox::UserId).big_integer().null())
                    .col(ColumnDef::new(Outbox::Recipient).string().not_null())
                    .col(ColumnDef::new(Outbox::Subject).string().not_null())
                    .col(ColumnDef::new(Outbox::TextBody).text().not_null())
                    .col(ColumnDef::new(Outbox::HtmlBody).text().not_null())
                    .col(
                        ColumnDef::new(Outbox::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Outbox::NextAttemptAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Outbox::SentAt).big_integer().null())
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .col(ColumnDef::new(Outbox::CreatedAt).big_integer().not_null())
                    .foreign_key(&mut user_fk(Outbox::Table, Outbox::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_pending")
                    .table(Outbox::Table)
                    .col(Outbox::SentAt)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MigrationRequests::Table)
                    // Live progress (JSON), written by the worker every second or so.
                    .add_column(ColumnDef::new(MigrationRequests::Progress).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MigrationRequests::Table)
                    .drop_column(MigrationRequests::Progress)
                    .to_owned(),
            )
            .await?;
        for table in [
            Outbox::Table.into_iden(),
            Scans::Table.into_iden(),
            ConnectFailures::Table.into_iden(),
            OldAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
