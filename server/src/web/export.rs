//! Tables taken elsewhere, as CSV: the triage queue (`/helpdesk/triage.csv`, helpdesk and IT) and
//! the corrupt mailboxes (`/it/corrupt.csv`, IT); the guard lets in whom the page does, and each
//! handler checks again next to the data.
use std::sync::Arc;

use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use app::dto::Viewer;

use super::csv;
use crate::jobs::Migrations;

#[get("/helpdesk/triage.csv")]
async fn triage_csv(
    req: HttpRequest,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    if !allowed(&req, app::areas::HELPDESK) {
        return HttpResponse::Forbidden().body("This needs the Helpdesk or Division IT role.");
    }
    let mut out = csv::line(&[
        "request",
        "person",
        "email",
        "state",
        "why",
        "since (UTC, Unix seconds)",
        "bytes copied",
        "bytes in all",
        "class",
        "next step",
        "last error",
    ]);
    if let Some(m) = migrations.as_ref() {
        match m.triage().await {
            Ok(queue) => {
                for r in queue.rows {
                    let request = r.request_id.map(|id| id.to_string()).unwrap_or_default();
                    out.push_str(&csv::line(&[
                        request.as_str(),
                        &r.person,
                        &r.email,
                        r.state_in_words(),
                        r.bucket.label(),
                        &r.since.to_string(),
                        &r.bytes_done.to_string(),
                        &r.bytes_total.to_string(),
                        r.class.map(|c| c.label()).unwrap_or(""),
                        r.next_step(),
                        r.last_error.as_deref().unwrap_or(""),
                    ]));
                }
            }
            Err(e) => {
                let shown = super::internal("cannot export the triage queue", e);
                return HttpResponse::InternalServerError().body(shown.to_string());
            }
        }
    }
    attachment("triage.csv", out)
}

#[get("/it/corrupt.csv")]
async fn corrupt_csv(
    req: HttpRequest,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    if !allowed(&req, app::areas::IT) {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let mut out = csv::line(&[
        "request",
        "person",
        "email",
        "messages waiting for a decision",
        "messages kept aside",
    ]);
    if let Some(m) = migrations.as_ref() {
        match crate::jobs::corrupt::queue(m).await {
            Ok(rows) => {
                for r in rows {
                    out.push_str(&csv::line(&[
                        r.request.to_string().as_str(),
                        &r.display_name,
                        &r.email,
                        &r.pending.to_string(),
                        &r.total.to_string(),
                    ]));
                }
            }
            Err(e) => {
                let shown = super::internal("cannot export the corrupt mailboxes", e);
                return HttpResponse::InternalServerError().body(shown.to_string());
            }
        }
    }
    attachment("corrupt-mailboxes.csv", out)
}

/// The guard has checked the role; checked again here, next to the data.
fn allowed(req: &HttpRequest, roles: &[app::dto::Role]) -> bool {
    req.extensions()
        .get::<Viewer>()
        .is_some_and(|v| roles.iter().any(|r| v.has(*r)))
}

fn attachment(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}
