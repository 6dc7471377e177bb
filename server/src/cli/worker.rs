//! `fountain worker`: runs scans, copies and status emails without the web portal, for scaling out
//! (any number of workers and portals may share one PostgreSQL database).
use anyhow::Context;

use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let worker = crate::startup::worker(&config)
        .await?
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
