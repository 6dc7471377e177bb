//! What division IT decided for each quarantined message (send again, repair and send, or accept as
//! not migrated), who decided and why; and when a later run sent it with its repairs (the row stays,
//! with the original bytes, so the repair can be looked at and the report says what was repaired).
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Quarantine {
    Table,
    /// `retry`, `repair` or `accept`; NULL while it waits for IT.
    Decision,
    /// The repairs of a `repair` decision, comma-separated stored names.
    Repairs,
    DecisionReason,
    DecidedBy,
    DecidedAt,
    /// When a run sent it with its repairs (then it is done).
    RepairedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Quarantine as Q;
        add_column(
            manager,
            Q::Table,
            ColumnDef::new(Q::Decision).string().null(),
        )
        .await?;
        add_column(
            manager,
            Q::Table,
            ColumnDef::new(Q::Repairs).string().null(),
        )
        .await?;
        add_column(
            manager,
            Q::Table,
            ColumnDef::new(Q::DecisionReason).text().null(),
        )
        .await?;
        add_column(
            manager,
            Q::Table,
            ColumnDef::new(Q::DecidedBy).string().null(),
        )
        .await?;
        add_column(
            manager,
            Q::Table,
            ColumnDef::new(Q::DecidedAt).big_integer().null(),
        )
        .await?;
        add_column(
            manager,
            Q::Table,
            ColumnDef::new(Q::RepairedAt).big_integer().null(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Quarantine as Q;
        for column in [
            Q::RepairedAt,
            Q::DecidedAt,
            Q::DecidedBy,
            Q::DecisionReason,
            Q::Repairs,
            Q::Decision,
        ] {
            drop_column(manager, Q::Table, column).await?;
        }
        Ok(())
    }
}
