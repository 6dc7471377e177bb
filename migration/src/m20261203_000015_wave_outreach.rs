//! What a wave tells its people. When it started (`waves.started_at`: its invitations go out then,
//! its reminders are planned from it). An email that must go out once whoever decides to send it (a wave's invitations and reminders,
//! decided again by every worker every round) carries a key: the outbox takes a key only once, so a
//! restart or a second worker never sends it twice. NULL for the emails of a state change, which
//! their transaction already makes once.
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Waves {
    Table,
    StartedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    OnceKey,
}

const INDEX: &str = "ux_outbox_once_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Waves::Table,
            ColumnDef::new(Waves::StartedAt).big_integer().null(),
        )
        .await?;
        add_column(
            manager,
            Outbox::Table,
            ColumnDef::new(Outbox::OnceKey).string().null(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Outbox::Table)
                    .col(Outbox::OnceKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Outbox::Table).to_owned())
            .await?;
        drop_column(manager, Outbox::Table, Outbox::OnceKey).await?;
        drop_column(manager, Waves::Table, Waves::StartedAt).await
    }
}
