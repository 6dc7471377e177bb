//! The limits division IT set for a server while Fountain runs (connections at once, MB/s, new
//! claims paused), each change a row with who and why: the latest row per server is in force, the
//! rows before it are the audit log.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServerLimitChanges {
    Table,
    Id,
    /// Which configured server: `old` or `new`.
    Server,
    MaxConnections,
    /// NULL: no byte rate.
    MaxMbPerSec,
    ClaimsPaused,
    Reason,
    ChangedBy,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ServerLimitChanges as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(
                        ColumnDef::new(C::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(C::Server).string().not_null())
                    .col(ColumnDef::new(C::MaxConnections).integer().not_null())
                    .col(ColumnDef::new(C::MaxMbPerSec).double().null())
                    .col(ColumnDef::new(C::ClaimsPaused).boolean().not_null())
                    .col(ColumnDef::new(C::Reason).text().not_null())
                    .col(ColumnDef::new(C::ChangedBy).string().not_null())
                    .col(ColumnDef::new(C::ChangedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_server_limit_changes_server")
                    .table(C::Table)
                    .col(C::Server)
                    .col(C::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerLimitChanges::Table).to_owned())
            .await
    }
}
