//! The audit log of a request: every state change with who did it (the person, the helpdesk or IT
//! with their reason, a worker, Fountain), notes and emails asked for; and the emails in the outbox
//! learn which request they are about, so its timeline shows them with their delivery.
use sea_orm_migration::prelude::*;

use crate::alter::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MigrationRequests {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    Id,
    RequestId,
    At,
    /// `submitted`, `changed`, `note`, `asked_to_reconnect`, `email_resent`.
    Kind,
    FromState,
    ToState,
    /// `owner`, `staff`, `worker` or `fountain`.
    ActorKind,
    /// The staff member's email or the worker's name.
    Actor,
    Reason,
    Detail,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use RequestEvents as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(
                        ColumnDef::new(E::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(E::RequestId).big_integer().not_null())
                    .col(ColumnDef::new(E::At).big_integer().not_null())
                    .col(ColumnDef::new(E::Kind).string().not_null())
                    .col(ColumnDef::new(E::FromState).string().null())
                    .col(ColumnDef::new(E::ToState).string().null())
                    .col(ColumnDef::new(E::ActorKind).string().not_null())
                    .col(ColumnDef::new(E::Actor).string().null())
                    .col(ColumnDef::new(E::Reason).text().null())
                    .col(ColumnDef::new(E::Detail).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(E::Table, E::RequestId)
                            .to(MigrationRequests::Table, MigrationRequests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_request_events_request")
                    .table(E::Table)
                    .col(E::RequestId)
                    .col(E::Id)
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            Outbox::Table,
            ColumnDef::new(Outbox::RequestId).big_integer().null(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_request")
                    .table(Outbox::Table)
                    .col(Outbox::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_outbox_request")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        drop_column(manager, Outbox::Table, Outbox::RequestId).await?;
        manager
            .drop_table(Table::drop().table(RequestEvents::Table).to_owned())
            .await
    }
}
