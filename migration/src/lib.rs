//! Fountain's schema. Timestamps are Unix seconds (`BIGINT`): portable between SQLite and PostgreSQL
//! and compared as numbers, never as text.
pub use sea_orm_migration::prelude::*;

mod alter;

mod m20261128_000001_identity;
mod m20261129_000002_journal;
mod m20261129_000003_journal_delta;
mod m20261129_000004_requests;
mod m20261130_000005_self_service;
mod m20261201_000006_hardening;
mod m20261202_000007_failure_class;
mod m20261202_000008_request_events;
mod m20261202_000009_quarantine_decisions;
mod m20261202_000010_server_limits;
mod m20261202_000011_run_protocol;
mod m20261202_000012_waves;
mod m20261202_000013_wave_requests;
mod m20261203_000014_wave_samples;
mod m20261203_000015_wave_outreach;
mod m20261203_000016_cutover;
mod m20261203_000017_destinations;
mod m20261204_000018_scale_out;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_identity::Migration),
            Box::new(m20261129_000002_journal::Migration),
            Box::new(m20261129_000003_journal_delta::Migration),
            Box::new(m20261129_000004_requests::Migration),
            Box::new(m20261130_000005_self_service::Migration),
            Box::new(m20261201_000006_hardening::Migration),
            Box::new(m20261202_000007_failure_class::Migration),
            Box::new(m20261202_000008_request_events::Migration),
            Box::new(m20261202_000009_quarantine_decisions::Migration),
            Box::new(m20261202_000010_server_limits::Migration),
            Box::new(m20261202_000011_run_protocol::Migration),
            Box::new(m20261202_000012_waves::Migration),
            Box::new(m20261202_000013_wave_requests::Migration),
            Box::new(m20261203_000014_wave_samples::Migration),
            Box::new(m20261203_000015_wave_outreach::Migration),
            Box::new(m20261203_000016_cutover::Migration),
            Box::new(m20261203_000017_destinations::Migration),
            Box::new(m20261204_000018_scale_out::Migration),
        ]
    }
}
