//! The web portal: actix-web serving the Leptos app, its server functions, sign-in and `/healthz`.
mod headers;
pub mod page;
mod portal;
mod self_service;

use std::sync::Arc;

use actix_files::Files;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{get, web, App, HttpResponse, HttpServer};
use anyhow::Context;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_actix::{generate_route_list, LeptosRoutes};
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;

use crate::auth::{guard::guard, oidc::Oidc, routes};
use crate::config::Config;

/// An internal failure as people see it: the details go to the log under a reference, and the
/// person gets that reference and what to do, never the details.
pub(crate) fn internal(what: &str, e: impl std::fmt::Display) -> app::error::AppError {
    let reference = crate::telemetry::reference();
    tracing::error!(reference = %reference, error = %e, "{what}");
    app::error::AppError::Internal { reference }
}

/// What every handler shares.
pub struct AppState {
    pub db: DatabaseConnection,
    pub oidc: Oidc,
    pub config: Config,
    /// `scheme://host[:port]` of `server.public_url`, the only origin allowed to post.
    pub public_origin: String,
    /// Seals the sign-in cookie (a key derived from the OpenID client secret, shared by every portal).
    pub sign_in_key: crate::jobs::secret::SecretBox,
}

/// Connects the database, then serves until SIGINT/SIGTERM (in-flight requests get 30 s to finish).
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let pkg_dir = config.server.site_root.join("pkg");
    anyhow::ensure!(
        pkg_dir.join("fountain.js").is_file(),
        "the site bundle is missing at {} (server.site_root): build it with `cargo leptos build`, or point \
         server.site_root at the built site",
        pkg_dir.display()
    );
    let db = crate::db::connect(&config.database.url).await?;
    let redirect = config
        .server
        .public_url
        .join("auth/callback")
        .context("server.public_url")?;
    let client_secret = config.client_secret()?;
    let sign_in_key = crate::jobs::secret::SecretBox::derived("sign-in-cookie", &client_secret);
    let oidc = Oidc::new(
        &config.auth.issuer,
        &config.auth.client_id,
        client_secret,
        redirect,
        config.auth.scopes.clone(),
    )?;
    let public_origin = config.server.public_url.origin().ascii_serialization();
    let listen = config.server.listen;
    let leptos_options = LeptosOptions::builder()
        .output_name("fountain")
        .site_root(config.server.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(listen)
        .env(Env::PROD)
        .build();
    let state = web::Data::new(AppState {
        db: db.clone(),
        oidc,
        config,
        public_origin,
        sign_in_key,
    });
    let migrations = crate::jobs::Migrations::from_config(&state.config, db.clone())?;
    let mut worker = None;
    match &migrations {
        Some(m) if m.settings.workers_in_portal => {
            worker = Some(crate::cli::worker::worker_for(&state.config, m.clone())?);
        }
        Some(_) => {
            tracing::info!("migration.workers_in_portal is off: run `fountain worker` processes")
        }
        None => tracing::warn!(
            "[migration] is not configured: the portal tells people migrations are not open yet"
        ),
    }
    let portal: app::port::PortalHandle = Arc::new(portal::DbPortal { db, migrations });
    let routes = generate_route_list(app::App);

    let https = state.config.https();
    let server = HttpServer::new(move || {
        let portal = portal.clone();
        let options = leptos_options.clone();
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(guard))
            .wrap(headers::middleware(https))
            .wrap(Compress::default())
            .wrap(TracingLogger::default())
            .service(healthz)
            .configure(routes::configure)
            .service(Files::new("/pkg", pkg_dir.clone()).prefer_utf8(true))
            .leptos_routes_with_context(
                routes.clone(),
                move || provide_context(portal.clone()),
                move || app::shell(options.clone()),
            )
    })
    .bind(listen)
    .with_context(|| format!("cannot listen on {listen} (server.listen)"))?
    .shutdown_timeout(30);
    for addr in server.addrs() {
        tracing::info!(%addr, "portal listening");
    }
    // Workers start once the portal has its port: a portal that cannot start holds no request.
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = worker.map(|w| tokio::spawn(w.run(worker_stopped)));
    server.run().await?;
    // The workers stop their copies and hand the requests back, so a restart resumes them at once.
    let _ = stop_worker.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    tracing::info!("portal stopped");
    Ok(())
}

/// 200 when the database answers, 503 otherwise.
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match crate::db::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}
