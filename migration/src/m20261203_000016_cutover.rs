//! The switch of delivery to the new server and what follows it: each person's catch-up schedule
//! (`cutovers`), the mail that still reached the old server after the switch (`arrivals`), and the
//! old addresses found in people's mail for the routing maps (`old_addresses`).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cutovers {
    Table,
    Id,
    Email,
    WaveId,
    SwitchedAt,
    SwitchedBy,
    CatchUps,
    LastCatchUpAt,
    NextCatchUpAt,
    ProbedAt,
    ProbeError,
}

#[derive(DeriveIden)]
enum Arrivals {
    Table,
    Id,
    Email,
    Folder,
    UidValidity,
    Uid,
    ArrivedAt,
    Address,
    SeenAt,
}

#[derive(DeriveIden)]
enum OldAddresses {
    Table,
    Id,
    Email,
    Address,
    Messages,
    Score,
    LastSeen,
    State,
    DiscoveredAt,
    DecidedAt,
}

fn id<T: Iden + 'static>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cutovers::Table)
                    .col(id(Cutovers::Id))
                    .col(
                        ColumnDef::new(Cutovers::Email)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Cutovers::WaveId).big_integer())
                    .col(
                        ColumnDef::new(Cutovers::SwitchedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Cutovers::SwitchedBy).string().not_null())
                    .col(
                        ColumnDef::new(Cutovers::CatchUps)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Cutovers::LastCatchUpAt).big_integer())
                    .col(ColumnDef::new(Cutovers::NextCatchUpAt).big_integer())
                    .col(ColumnDef::new(Cutovers::ProbedAt).big_integer())
                    .col(ColumnDef::new(Cutovers::ProbeError).text())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cutovers_next")
                    .table(Cutovers::Table)
                    .col(Cutovers::NextCatchUpAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Arrivals::Table)
                    .col(id(Arrivals::Id))
                    .col(ColumnDef::new(Arrivals::Email).string().not_null())
                    .col(ColumnDef::new(Arrivals::Folder).text().not_null())
                    .col(
                        ColumnDef::new(Arrivals::UidValidity)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Arrivals::Uid).big_integer().not_null())
                    .col(ColumnDef::new(Arrivals::ArrivedAt).big_integer().not_null())
                    .col(ColumnDef::new(Arrivals::Address).string().not_null())
                    .col(ColumnDef::new(Arrivals::SeenAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_arrivals_message")
                    .table(Arrivals::Table)
                    .col(Arrivals::Email)
                    .col(Arrivals::Folder)
                    .col(Arrivals::UidValidity)
                    .col(Arrivals::Uid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OldAddresses::Table)
                    .col(id(OldAddresses::Id))
                    .col(ColumnDef::new(OldAddresses::Email).string().not_null())
                    .col(ColumnDef::new(OldAddresses::Address).string().not_null())
                    .col(
                        ColumnDef::new(OldAddresses::Messages)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OldAddresses::Score).big_integer().not_null())
                    .col(ColumnDef::new(OldAddresses::LastSeen).big_integer())
                    .col(ColumnDef::new(OldAddresses::State).string().not_null())
                    .col(
                        ColumnDef::new(OldAddresses::DiscoveredAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OldAddresses::DecidedAt).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_old_addresses_person")
                    .table(OldAddresses::Table)
                    .col(OldAddresses::Email)
                    .col(OldAddresses::Address)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_old_addresses_address")
                    .table(OldAddresses::Table)
                    .col(OldAddresses::Address)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Cutovers::Table.into_iden(),
            Arrivals::Table.into_iden(),
            OldAddresses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
