//! Hardening: runs of a request that ended without an answer (the copy panicked, or its worker stopped
//! answering), so that after `migration.max_attempts` of them in a row the request stops as failed and
//! people are told instead of it being claimed again forever; and refused connect attempts per old
//! login, so several portal accounts cannot take turns guessing one old mailbox's password. Sign-ins
//! in flight move from the `login_attempts` table to a sealed cookie of the browser that started them,
//! each person records the issuer that vouched for their subject, and a quarantined message records
//! whether its raw bytes were kept whole (they are bounded per message and per mailbox); a session
//! records when it was last used, so an idle one ends.
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    CrashedRuns,
}

#[derive(DeriveIden)]
enum OldLoginFailures {
    Table,
    /// The old login as typed, trimmed and lowercased.
    Login,
    Failures,
    WindowStart,
}

/// How much of a refused message is kept: raw bytes are bounded per message and per mailbox.
#[derive(DeriveIden)]
enum Quarantine {
    Table,
    RawIsWhole,
    Size,
}

/// When a browser session was last used: an idle session ends.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAt,
}

/// The issuer that vouched for each person's subject: a subject is unique per issuer.
#[derive(DeriveIden)]
enum Users {
    Table,
    Issuer,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    State,
    Nonce,
    PkceVerifier,
    ReturnTo,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let number = |c| ColumnDef::new(c).big_integer().not_null().to_owned();
        add_column(
            manager,
            MigrationRequests::Table,
            ColumnDef::new(MigrationRequests::CrashedRuns)
                .integer()
                .not_null()
                .default(0),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OldLoginFailures::Table)
                    .col(
                        ColumnDef::new(OldLoginFailures::Login)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OldLoginFailures::Failures)
                            .integer()
                            .not_null(),
                    )
                    .col(number(OldLoginFailures::WindowStart.into_iden()))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await?;
        add_column(
            manager,
            Users::Table,
            ColumnDef::new(Users::Issuer)
                .string()
                .not_null()
                .default(""),
        )
        .await?;
        // Rows from before were kept whole when they had bytes at all.
        add_column(
            manager,
            Quarantine::Table,
            ColumnDef::new(Quarantine::RawIsWhole)
                .boolean()
                .not_null()
                .default(true),
        )
        .await?;
        add_column(
            manager,
            Quarantine::Table,
            ColumnDef::new(Quarantine::Size).big_integer().null(),
        )
        .await?;
        add_column(
            manager,
            Sessions::Table,
            number(Sessions::LastSeenAt.into_iden()).default(0),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Sessions::Table, Sessions::LastSeenAt).await?;
        drop_column(manager, Quarantine::Table, Quarantine::RawIsWhole).await?;
        drop_column(manager, Quarantine::Table, Quarantine::Size).await?;
        drop_column(manager, Users::Table, Users::Issuer).await?;
        let text = |c: LoginAttempts| ColumnDef::new(c).string().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(text(LoginAttempts::State).primary_key())
                    .col(text(LoginAttempts::Nonce))
                    .col(text(LoginAttempts::PkceVerifier))
                    .col(text(LoginAttempts::ReturnTo))
                    .col(
                        ColumnDef::new(LoginAttempts::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OldLoginFailures::Table).to_owned())
            .await?;
        drop_column(
            manager,
            MigrationRequests::Table,
            MigrationRequests::CrashedRuns,
        )
        .await
    }
}
