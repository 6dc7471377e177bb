//! The web portal's HTTP side: the request guard, security headers, sign-in routes, the probes, and
//! the [`app::port::Portal`] the Leptos pages and server functions call. The startup module wires it.
mod corrupt;
mod cutover;
mod destinations;
mod export;
mod guard;
mod headers;
mod helpdesk;
mod it;
pub mod page;
mod portal;
pub mod probes;
mod self_service;
mod servers;
mod sign_in;
mod wave_import;
mod wave_report;
mod waves;

use actix_web::web;
use sea_orm::DatabaseConnection;

pub use guard::guard;
pub use headers::middleware as security_headers;
pub use portal::DbPortal;

use crate::auth::admission::Admission;
use crate::auth::oidc::Oidc;
use crate::auth::session::Policy;
use crate::config::Config;

/// An internal failure as people see it: the details go to the log under a reference, and the
/// person gets that reference and what to do, never the details.
pub(crate) fn internal(what: &str, e: impl std::fmt::Display) -> app::error::AppError {
    let reference = crate::telemetry::reference();
    tracing::error!(reference = %reference, error = %e, "{what}");
    app::error::AppError::Internal { reference }
}

/// An error of the portal as a plain-text response with its status (for routes that are not
/// server functions: downloads, exports).
pub(crate) fn error_response(e: app::error::AppError) -> actix_web::HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(e.status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    actix_web::HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(e.to_string())
}

/// What every handler shares.
pub struct AppState {
    pub db: DatabaseConnection,
    pub oidc: Oidc,
    pub config: Config,
    /// `scheme://host[:port]` of `server.public_url`, the only origin allowed to post.
    pub public_origin: String,
    /// Seals the sign-in cookie (a key derived from the OpenID client secret, shared by every portal).
    pub sign_in_key: crate::secret::SecretBox,
    /// Who may sign in (`auth.allowed_domains`, `auth.require_verified_email`).
    pub admission: Admission,
    /// How long sessions and their roles last.
    pub session_policy: Policy,
}

/// The routes of `server/src`: sign-in, exports and the probes (the pages and server functions are Leptos').
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(probes::configure)
        .service(export::addresses_export)
        .service(export::triage_csv)
        .service(export::corrupt_csv)
        .service(export::timeline_csv)
        .service(export::report_csv)
        .service(export::quarantine_csv)
        .service(export::server_limits_csv)
        .service(export::people_csv)
        .service(export::wave_report_csv)
        .service(export::wave_report_html)
        .service(wave_import::import)
        .service(corrupt::quarantined_eml)
        .service(corrupt::left_behind_eml)
        .configure(sign_in::configure);
}
