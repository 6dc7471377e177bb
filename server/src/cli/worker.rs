//! `fountain worker`: runs scans, copies and status emails without the web portal, for scaling out
//! (any number of workers and portals may share one PostgreSQL database).
use std::sync::Arc;

use anyhow::Context;

use crate::config::Config;
use crate::jobs::worker::{worker_name, Worker};
use crate::jobs::Migrations;
use crate::notify::Mailer;

/// The worker for this configuration, or `None` when migrations are not configured.
pub fn worker(
    config: &Config,
    db: sea_orm::DatabaseConnection,
) -> anyhow::Result<Option<Arc<Worker>>> {
    let Some(migrations) = Migrations::from_config(config, db)? else {
        return Ok(None);
    };
    worker_for(config, migrations).map(Some)
}

/// A worker sharing `migrations` (and so its per-server budgets) with the portal.
pub fn worker_for(config: &Config, migrations: Arc<Migrations>) -> anyhow::Result<Arc<Worker>> {
    let mailer = Mailer::from_config(config)?.map(Arc::new);
    if mailer.is_none() {
        tracing::warn!("[email] is not configured: status emails wait in the outbox until it is");
    }
    Ok(Arc::new(Worker {
        migrations,
        mailer,
        name: worker_name(),
        claims: Default::default(),
        before_copy: None,
    }))
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database.url).await?;
    let worker = worker(&config, db)?
        .context("[migration] is not configured, so there is nothing for a worker to do")?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    // The worker stops its copies and hands their requests back; the journal makes the next run exact.
    let _ = stop.send(true);
    running.await?;
    Ok(())
}
