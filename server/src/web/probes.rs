//! The probes an orchestrator and Prometheus call, on the portal and on a worker's own small
//! listener: `/healthz` (alive: the database answers), `/readyz` (able to work: the database takes
//! writes and some worker beats) and `/metrics` (Prometheus' text format). None needs a sign-in;
//! `/metrics` asks for a bearer token when `server.metrics_token_file` is set, and is best kept to the
//! monitoring network at the reverse proxy too (see `server/deploy/nginx.conf`).
use actix_web::{get, web, HttpRequest, HttpResponse};

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
async fn metrics(request: HttpRequest, probes: web::Data<Probes>) -> HttpResponse {
    if let Some(token) = &probes.metrics_token {
        let given = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !bearer_matches(given, token.expose()) {
            return HttpResponse::Unauthorized()
                .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
                .body("/metrics needs the bearer token of server.metrics_token_file\n");
        }
    }
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

/// Whether an `Authorization` header carries `Bearer <token>`; compared in constant time, so the
/// answer's timing says nothing of how much of a guess was right.
fn bearer_matches(header: Option<&str>, token: &str) -> bool {
    let Some(given) = header.and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
    }) else {
        return false;
    };
    use sha2::{Digest, Sha256};
    // Digests of equal length: a constant-time comparison that does not leak the token's length.
    let (a, b) = (Sha256::digest(given), Sha256::digest(token));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::bearer_matches;
    use proptest::prelude::*;

    #[test]
    fn only_the_token_opens_metrics() {
        assert!(bearer_matches(Some("Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(Some("bearer s3cret "), "s3cret"));
        assert!(!bearer_matches(Some("Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(Some("Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(Some("s3cret"), "s3cret"));
        assert!(!bearer_matches(None, "s3cret"));
    }

    proptest! {
        #[test]
        fn any_header_other_than_the_token_is_refused(header in any::<String>(), token in "[A-Za-z0-9]{16,64}") {
            let expected = header
                .split_once(' ')
                .is_some_and(|(s, rest)| s.eq_ignore_ascii_case("bearer") && rest.trim() == token);
            prop_assert_eq!(bearer_matches(Some(&header), &token), expected);
        }
    }
}
