//! The probes an orchestrator and Prometheus call, on the portal and on a worker's own small
//! listener: `/healthz` (alive: the database answers), `/readyz` (able to work: the database takes
//! writes and some worker beats) and `/metrics` (Prometheus' text format). None needs a sign-in; keep
//! `/metrics` to the monitoring network at the reverse proxy (see `server/deploy/nginx.conf`).
use actix_web::{get, web, HttpResponse};

use crate::jobs::probes::Probes;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// Paths that answer without looking for a session.
pub const PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// 200 when the database answers, 503 otherwise.
#[get("/healthz")]
async fn healthz(probes: web::Data<Probes>) -> HttpResponse {
    match crate::db::ping(&probes.db).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}

/// 200 when Fountain can do its work; 503 with what stands in the way.
#[get("/readyz")]
async fn readyz(probes: web::Data<Probes>) -> HttpResponse {
    let readiness = probes.readiness().await;
    let body = serde_json::json!({
        "status": if readiness.ready() { "ready" } else { "not ready" },
        "database": readiness.database.as_deref().unwrap_or("ok"),
        "workers": readiness.workers.as_deref().unwrap_or("ok"),
    });
    match readiness.ready() {
        true => HttpResponse::Ok().json(body),
        false => HttpResponse::ServiceUnavailable().json(body),
    }
}

#[get("/metrics")]
async fn metrics(probes: web::Data<Probes>) -> HttpResponse {
    match probes.metrics().await {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "metrics: cannot read the database");
            HttpResponse::ServiceUnavailable().body(format!("cannot read the database: {e}\n"))
        }
    }
}

/// A worker's own listener: the probes only.
pub async fn serve_probes(
    listener: std::net::TcpListener,
    probes: Probes,
) -> anyhow::Result<actix_web::dev::Server> {
    let probes = web::Data::new(probes);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(probes.clone())
            .configure(configure)
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
}
