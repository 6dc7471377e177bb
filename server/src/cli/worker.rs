//! `fountain worker`: runs scans, copies and status emails without the web portal, for scaling out
//! (any number of workers and portals may share one PostgreSQL database).
use anyhow::Context;

use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let worker = crate::startup::worker(&config)
        .await?
        .context("[migration] is not configured, so there is nothing for a worker to do")?;
    // The probes on a small listener of their own, when one is configured.
    let probes = match config.server.worker_listen {
        Some(address) => {
            let listener = std::net::TcpListener::bind(address).with_context(|| {
                format!("cannot listen on server.worker_listen {address}: is it taken?")
            })?;
            listener.set_nonblocking(true)?;
            tracing::info!(%address, "worker probes listening (/healthz, /readyz, /metrics)");
            let probes = crate::jobs::probes::Probes {
                db: worker.migrations.db.clone(),
                migrations: Some(worker.migrations.clone()),
                metrics_token: config.metrics_token()?,
            };
            let server = crate::web::probes::serve_probes(listener, probes).await?;
            let handle = server.handle();
            tokio::spawn(server);
            Some(handle)
        }
        None => None,
    };
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
    if let Some(probes) = probes {
        probes.stop(true).await;
    }
    Ok(())
}
