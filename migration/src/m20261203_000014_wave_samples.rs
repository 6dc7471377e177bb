//! A running wave's progress over time, sampled by the waves' schedule every few seconds: the
//! dashboard's plots (bytes over time, throughput, burn-down) read it back.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WaveSamples {
    Table,
    Id,
    WaveId,
    At,
    BytesDone,
    BytesTotal,
    PeopleDone,
}

#[derive(DeriveIden)]
enum Waves {
    Table,
    Id,
}

const INDEX: &str = "idx_wave_samples_wave_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WaveSamples::Table)
                    .col(
                        ColumnDef::new(WaveSamples::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WaveSamples::WaveId).big_integer().not_null())
                    .col(ColumnDef::new(WaveSamples::At).big_integer().not_null())
                    .col(
                        ColumnDef::new(WaveSamples::BytesDone)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WaveSamples::BytesTotal)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WaveSamples::PeopleDone)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_wave_samples_wave")
                            .from(WaveSamples::Table, WaveSamples::WaveId)
                            .to(Waves::Table, Waves::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(WaveSamples::Table)
                    .col(WaveSamples::WaveId)
                    .col(WaveSamples::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WaveSamples::Table).to_owned())
            .await
    }
}
