//! Tables the helpdesk takes elsewhere: the triage queue as CSV (`/helpdesk/triage.csv`; the guard
//! lets only helpdesk and IT in, as for the page).
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
    // The guard has checked the role; checked again here, next to the data.
    let allowed = req
        .extensions()
        .get::<Viewer>()
        .is_some_and(|v| app::areas::HELPDESK.iter().any(|r| v.has(*r)));
    if !allowed {
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
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"triage.csv\""))
        .body(out)
}
