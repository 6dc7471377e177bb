//! Builds Fountain from a configuration (zero2prod's startup object): the database, sign-in, the
//! migration service, the mailer and the workers, around an already-bound listener. `fountain serve`,
//! `fountain worker` and the tests are thin callers, so the tests run the very portal people use.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_files::Files;
use actix_web::middleware::{from_fn, Compress};
use actix_web::web::Data;
use actix_web::{App, HttpServer};
use anyhow::Context;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_actix::{generate_route_list, LeptosRoutes};
use tracing_actix_web::TracingLogger;

use crate::auth::admission::Admission;
use crate::auth::oidc::Oidc;
use crate::auth::session::Policy;
use crate::config::Config;
use crate::jobs::worker::{worker_name, Worker};
use crate::jobs::Migrations;
use crate::notify::Mailer;
use crate::secret::SecretBox;
use crate::web::{self, AppState};

/// How long an idle HTTP connection stays open: longer than a reverse proxy keeps its idle connections
/// to us (nginx: 60 s), so the proxy closes them first, since a POST it sends on a connection we have just
/// closed fails (proxies do not retry POSTs), and longer than any page waits between polls.
const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// The portal, listening, with the workers it runs (`migration.workers_in_portal`).
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    worker: Option<Arc<Worker>>,
}

impl Application {
    /// Connects the database and the OpenID provider and builds the portal on `listener`; nothing is
    /// served until [`Application::run_until_stopped`].
    pub async fn build(config: Config, listener: TcpListener) -> anyhow::Result<Application> {
        let pkg_dir = config.server.site_root.join("pkg");
        anyhow::ensure!(
            pkg_dir.join("fountain.js").is_file(),
            "the site bundle is missing at {} (server.site_root): build it with `bash .ci/build-site`, \
             or point server.site_root at the built site",
            pkg_dir.display()
        );
        let port = listener.local_addr()?.port();
        let db = crate::db::connect_configured(&config.database).await?;
        let migrations = Migrations::from_config(&config, db.clone())?;
        let worker = match &migrations {
            Some(m) if m.settings.workers_in_portal => Some(worker_for(&config, m.clone())?),
            Some(_) => {
                tracing::info!(
                    "migration.workers_in_portal is off: run `fountain worker` processes"
                );
                None
            }
            None => {
                tracing::warn!(
                    "[migration] is not configured: the portal tells people migrations are not open yet"
                );
                None
            }
        };
        let leptos_options = leptos_options(&config, listener.local_addr()?);
        let metrics_token = config.metrics_token()?;
        let state = Data::new(app_state(config, db.clone())?);
        let exports = Data::new(migrations.clone());
        let probes = Data::new(crate::jobs::probes::Probes {
            db: db.clone(),
            migrations: migrations.clone(),
            metrics_token,
        });
        let portal: app::port::PortalHandle = Arc::new(web::DbPortal { db, migrations });
        let routes = generate_route_list(app::App);
        let https = state.config.https();
        let server = HttpServer::new(move || {
            let portal = portal.clone();
            let options = leptos_options.clone();
            App::new()
                .app_data(state.clone())
                .app_data(exports.clone())
                .app_data(probes.clone())
                .wrap(from_fn(web::guard))
                .wrap(web::security_headers(https))
                .wrap(Compress::default())
                .wrap(TracingLogger::default())
                .configure(web::configure)
                .service(Files::new("/pkg", pkg_dir.clone()).prefer_utf8(true))
                .leptos_routes_with_context(
                    routes.clone(),
                    move || provide_context(portal.clone()),
                    move || app::shell(options.clone()),
                )
        })
        .keep_alive(KEEP_ALIVE)
        .listen(listener)
        .context("cannot serve on the portal's socket")?
        .shutdown_timeout(30)
        .run();
        Ok(Application {
            port,
            server,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the portal from elsewhere (as SIGTERM does); [`Application::run_until_stopped`] then
    /// stops the workers and returns.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM (in-flight requests get 30 s to finish); the workers start with it
    /// and stop after it, handing their requests back so a restart resumes them at once.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "portal listening");
        let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
        let worker = self.worker.map(|w| tokio::spawn(w.run(worker_stopped)));
        self.server.await?;
        let _ = stop_worker.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        tracing::info!("portal stopped");
        Ok(())
    }
}

/// The portal's socket: the one the service manager passed (socket activation: `LISTEN_PID` is this
/// process and `LISTEN_FDS` is 1, as systemd and the tests do it), else `server.listen` bound now.
pub fn listener(config: &Config) -> anyhow::Result<TcpListener> {
    if let Some(listener) = inherited_listener()? {
        return Ok(listener);
    }
    let listen = config.server.listen;
    TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen} (server.listen)"))
}

fn inherited_listener() -> anyhow::Result<Option<TcpListener>> {
    use std::os::fd::FromRawFd;
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse().ok())
        == Some(std::process::id());
    if !for_us || std::env::var("LISTEN_FDS").as_deref() != Ok("1") {
        return Ok(None);
    }
    // SAFETY: by the socket-activation protocol (sd_listen_fds(3)), fd 3 was opened for this process
    // (LISTEN_PID is ours) and nothing else in it owns that descriptor.
    let listener = unsafe { TcpListener::from_raw_fd(3) };
    let addr = listener
        .local_addr()
        .context("LISTEN_FDS=1, but descriptor 3 is not a listening TCP socket")?;
    listener.set_nonblocking(true)?;
    tracing::info!(%addr, "using the socket passed by the service manager");
    Ok(Some(listener))
}

fn leptos_options(config: &Config, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("fountain")
        .site_root(config.server.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build()
}

fn app_state(config: Config, db: sea_orm::DatabaseConnection) -> anyhow::Result<AppState> {
    let redirect = config
        .server
        .public_url
        .join("auth/callback")
        .context("server.public_url")?;
    let client_secret = config.client_secret()?;
    let sign_in_key = SecretBox::derived("sign-in-cookie", &client_secret);
    let oidc = Oidc::new(
        &config.auth.issuer,
        &config.auth.client_id,
        client_secret,
        redirect,
        config.auth.scopes.clone(),
        config.auth.ca_file.as_deref(),
    )?;
    Ok(AppState {
        db,
        oidc,
        public_origin: config.server.public_url.origin().ascii_serialization(),
        admission: Admission::from_config(&config.auth),
        session_policy: Policy::from_config(&config.auth),
        sign_in_key,
        config,
    })
}

/// The worker of `fountain worker` for this configuration, or `None` when migrations are not
/// configured.
pub async fn worker(config: &Config) -> anyhow::Result<Option<Arc<Worker>>> {
    let db = crate::db::connect_configured(&config.database).await?;
    let Some(migrations) = Migrations::from_config(config, db)? else {
        return Ok(None);
    };
    worker_for(config, migrations).map(Some)
}

/// A worker sharing `migrations` (and so its per-server budgets) with the portal.
fn worker_for(config: &Config, migrations: Arc<Migrations>) -> anyhow::Result<Arc<Worker>> {
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
