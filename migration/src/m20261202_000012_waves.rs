//! Waves: division IT's phased migrations. A wave has a name, a window, how many of its copies run at
//! once and whether people are invited or IT runs it for them; its members come from a CSV import or
//! by hand, each with the size the pre-flight scan found.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Waves {
    Table,
    Id,
    Name,
    /// `invite` or `it_run`.
    Mode,
    Concurrency,
    /// Unix seconds; NULL: not scheduled yet.
    WindowStart,
    /// Unix seconds; NULL: open-ended.
    WindowEnd,
    /// `planned`, `running`, `paused` or `finished`.
    State,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WaveMembers {
    Table,
    Id,
    WaveId,
    /// Lowercase (`EmailAddress`).
    Email,
    OldLogin,
    Destination,
    Note,
    /// What the pre-flight scan found; NULL: not scanned yet.
    Bytes,
    ScannedAt,
    AddedBy,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WaveMembers as M;
        use Waves as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(
                        ColumnDef::new(W::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(W::Name).string().not_null().unique_key())
                    .col(ColumnDef::new(W::Mode).string().not_null())
                    .col(ColumnDef::new(W::Concurrency).integer().not_null())
                    .col(ColumnDef::new(W::WindowStart).big_integer().null())
                    .col(ColumnDef::new(W::WindowEnd).big_integer().null())
                    .col(ColumnDef::new(W::State).string().not_null())
                    .col(ColumnDef::new(W::CreatedBy).string().not_null())
                    .col(ColumnDef::new(W::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(W::UpdatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(
                        ColumnDef::new(M::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(M::WaveId).big_integer().not_null())
                    .col(ColumnDef::new(M::Email).string().not_null())
                    .col(ColumnDef::new(M::OldLogin).string().null())
                    .col(ColumnDef::new(M::Destination).string().null())
                    .col(ColumnDef::new(M::Note).text().null())
                    .col(ColumnDef::new(M::Bytes).big_integer().null())
                    .col(ColumnDef::new(M::ScannedAt).big_integer().null())
                    .col(ColumnDef::new(M::AddedBy).string().not_null())
                    .col(ColumnDef::new(M::AddedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_wave_members_wave")
                            .from(M::Table, M::WaveId)
                            .to(W::Table, W::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_wave_members_wave_email")
                    .table(M::Table)
                    .col(M::WaveId)
                    .col(M::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_wave_members_email")
                    .table(M::Table)
                    .col(M::Email)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WaveMembers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Waves::Table).to_owned())
            .await
    }
}
