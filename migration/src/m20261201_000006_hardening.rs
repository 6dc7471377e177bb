//! Hardening: runs of a request that ended without an answer (the copy panicked, or its worker stopped
//! answering), so that after `migration.max_attempts` of them in a row the request stops as failed and
//! people are told instead of it being claimed again forever; and refused connect attempts per old
//! login, so several portal accounts cannot take turns guessing one old mailbox's password. Sign-ins
//! in flight move from the `login_attempts` table to a sealed cookie of the browser that started them,
//! each person records the issuer that vouched for their subject, and a quarantined message records
//! whether its raw bytes were kept whole (they are bounded per message and per mailbox); a session
//! records when it was last used, so an idle one ends.
use sea_orm_migration::prelude::*;

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
        manager
            .alter_table(
                Table::alter()
                    .table(MigrationRequests::Table)
                    .add_column(
                        ColumnDef::new(MigrationRequests::CrashedRuns)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
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
                    .col(
                        ColumnDef::new(OldLoginFailures::WindowStart)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::Issuer)
                            .string()
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        // Rows from before were kept whole when they had bytes at all.
        manager
            .alter_table(
                Table::alter()
                    .table(Quarantine::Table)
                    .add_column(
                        ColumnDef::new(Quarantine::RawIsWhole)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Quarantine::Table)
                    .add_column(ColumnDef::new(Quarantine::Size).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(
                        ColumnDef::new(Sessions::LastSeenAt)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::LastSeenAt)
                    .to_owned(),
            )
            .await?;
        for column in [Quarantine::RawIsWhole, Quarantine::Size] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Quarantine::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Issuer)
                    .to_owned(),
            )
            .await?;
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
        manager
            .alter_table(
                Table::alter()
                    .table(MigrationRequests::Table)
                    .drop_column(MigrationRequests::CrashedRuns)
                    .to_owned(),
            )
            .await
    }
}
