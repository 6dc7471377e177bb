//! Tables taken elsewhere, as CSV: the triage queue (`/helpdesk/triage.csv`), a request's whole audit
//! log, its last report and its quarantined messages (`/helpdesk/requests/N/timeline.csv`,
//! `report.csv`, `quarantine.csv`) for the helpdesk and IT; the corrupt mailboxes
//! (`/it/corrupt.csv`), the servers' limit changes (`/it/server-limits.csv`), everyone who has
//! signed in (`/it/people.csv`), a wave's results (`/it/waves/report.csv`, and printable with its
//! plots: `/it/waves/report.html`) and the old addresses' routing maps
//! (`/it/addresses/export?format=postfix|csv|ldif`) for IT. The guard lets in whom the page does, and each handler checks
//! again next to the data.
use std::sync::Arc;

use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use app::dto::{RequestId, Viewer};
use app::format::format_unix;

use crate::jobs::Migrations;
use crate::spreadsheet as csv;

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
            Err(e) => return failed("cannot export the triage queue", e),
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
        match crate::jobs::corrupt::queue::everything(m).await {
            Ok(mut rows) => {
                crate::jobs::corrupt::queue::order(&mut rows);
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
            Err(e) => return failed("cannot export the corrupt mailboxes", e),
        }
    }
    attachment("corrupt-mailboxes.csv", out)
}

/// Entries of one request's audit log in an export: all of them, within reason.
const TIMELINE_EXPORTED: u64 = 100_000;

#[get("/helpdesk/requests/{id}/timeline.csv")]
async fn timeline_csv(
    req: HttpRequest,
    path: web::Path<i64>,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    if !allowed(&req, app::areas::HELPDESK) {
        return HttpResponse::Forbidden().body("This needs the Helpdesk or Division IT role.");
    }
    let Some(m) = migrations.as_ref() else {
        return HttpResponse::NotFound().body("Migrations are not set up on this portal.");
    };
    let id = RequestId(path.into_inner());
    // Only the request and its owner: the page's detail would read the latest entries again.
    let request = match super::helpdesk::find(m, id).await {
        Ok(request) => request,
        Err(e) => return super::error_response(e),
    };
    let owner = match crate::db::people::get(&m.db, request.user_id).await {
        Ok(person) => person
            .map(|p| p.email)
            .unwrap_or_else(|| "the person".into()),
        Err(e) => return failed("cannot export the audit log", e),
    };
    let entries = match crate::jobs::timeline::read(&m.db, id, TIMELINE_EXPORTED).await {
        Ok((entries, _)) => entries,
        Err(e) => return failed("cannot export the audit log", e),
    };
    let mut out = csv::line(&[
        "when (UTC)",
        "unix seconds",
        "who",
        "what",
        "why, and details",
    ]);
    for e in entries {
        out.push_str(&csv::line(&[
            format_unix(e.at).as_str(),
            &e.at.to_string(),
            &e.who.in_words(&owner),
            &e.what.in_words(),
            &e.lines().join("\n"),
        ]));
    }
    attachment(&format!("request-{id}-timeline.csv"), out)
}

#[get("/helpdesk/requests/{id}/report.csv")]
async fn report_csv(
    req: HttpRequest,
    path: web::Path<i64>,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    let (id, d) = match detail_for_export(&req, path, &migrations).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut out = csv::line(&[
        "old folder",
        "new folder",
        "messages on the old server",
        "bytes on the old server",
        "messages on the new server",
        "bytes on the new server",
        "copied",
        "kept aside",
        "left behind",
        "repaired",
        "notes",
    ]);
    let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    for f in d.request.report.map(|r| r.folders).unwrap_or_default() {
        out.push_str(&csv::line(&[
            f.source.as_str(),
            &f.destination,
            &f.source_messages.to_string(),
            &f.source_bytes.to_string(),
            &count(f.destination_messages),
            &count(f.destination_bytes),
            &f.copied.to_string(),
            &f.quarantined.len().to_string(),
            &f.left_behind.len().to_string(),
            &f.repaired.len().to_string(),
            &f.notes.join("\n"),
        ]));
    }
    attachment(&format!("request-{id}-report.csv"), out)
}

#[get("/helpdesk/requests/{id}/quarantine.csv")]
async fn quarantine_csv(
    req: HttpRequest,
    path: web::Path<i64>,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    let (id, d) = match detail_for_export(&req, path, &migrations).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut out = csv::line(&[
        "folder",
        "uid",
        "date",
        "from",
        "subject",
        "bytes",
        "the server said",
        "kept whole",
        "decision",
        "decided by",
        "why",
        "sent repaired",
    ]);
    for q in d.quarantined {
        let decision = q.decision.as_ref();
        out.push_str(&csv::line(&[
            q.folder.as_str(),
            &q.uid.to_string(),
            q.date.as_deref().unwrap_or(""),
            q.from.as_deref().unwrap_or(""),
            q.subject.as_deref().unwrap_or(""),
            &q.size.map(|s| s.to_string()).unwrap_or_default(),
            &q.reason,
            if q.kept_whole { "yes" } else { "headers only" },
            decision.map(|d| d.kind.in_words()).unwrap_or("waiting"),
            decision.map(|d| d.by.as_str()).unwrap_or(""),
            decision.map(|d| d.reason.as_str()).unwrap_or(""),
            if q.repaired { "yes" } else { "no" },
        ]));
    }
    attachment(&format!("request-{id}-quarantine.csv"), out)
}

/// The request's detail for the helpdesk and IT, or the response that refuses it.
async fn detail_for_export(
    req: &HttpRequest,
    path: web::Path<i64>,
    migrations: &web::Data<Option<Arc<Migrations>>>,
) -> Result<(RequestId, app::dto::RequestDetail), HttpResponse> {
    if !allowed(req, app::areas::HELPDESK) {
        return Err(HttpResponse::Forbidden().body("This needs the Helpdesk or Division IT role."));
    }
    let id = RequestId(path.into_inner());
    match super::helpdesk::detail(migrations.as_deref(), id).await {
        Ok(d) => Ok((id, d)),
        Err(e) => Err(super::error_response(e)),
    }
}

#[get("/it/server-limits.csv")]
async fn server_limits_csv(
    req: HttpRequest,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    if !allowed(&req, app::areas::IT) {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let mut out = csv::line(&[
        "server",
        "when (UTC)",
        "by",
        "why",
        "max connections",
        "max MB/s",
        "new claims paused",
    ]);
    if let Some(m) = migrations.as_ref() {
        for (role, _) in m.settings.servers() {
            let changes = match m.limit_changes(&role, None).await {
                Ok(changes) => changes,
                Err(e) => return failed("cannot export the limit changes", e),
            };
            for c in changes {
                out.push_str(&csv::line(&[
                    role.as_str(),
                    &format_unix(c.at),
                    &c.by,
                    &c.reason,
                    &c.limits.max_connections.to_string(),
                    &c.limits
                        .max_mb_per_sec
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                    if c.limits.claims_paused { "yes" } else { "no" },
                ]));
            }
        }
    }
    attachment("server-limits.csv", out)
}

#[derive(serde::Deserialize)]
struct WaveQuery {
    wave: String,
}

#[get("/it/waves/report.csv")]
async fn wave_report_csv(
    req: HttpRequest,
    query: web::Query<WaveQuery>,
    state: web::Data<super::AppState>,
) -> HttpResponse {
    use crate::jobs::waves::{report, store};
    if !allowed(&req, app::areas::IT) {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let Ok(name) = app::dto::WaveName::parse(&query.wave) else {
        return HttpResponse::BadRequest().body("Name a wave: ?wave=NAME.");
    };
    let wave = match store::find(&state.db, &name).await {
        Ok(Some(wave)) => wave,
        Ok(None) => {
            return HttpResponse::NotFound().body(format!("There is no wave named “{name}”."))
        }
        Err(e) => return failed("cannot export the wave's report", e),
    };
    match report::rows(&state.db, &wave).await {
        Ok(rows) => attachment("wave-report.csv", report::csv(&rows)),
        Err(e) => failed("cannot export the wave's report", e),
    }
}

/// The wave's printable report: where it stands, its plots and each person's results, as one page.
#[get("/it/waves/report.html")]
async fn wave_report_html(
    req: HttpRequest,
    query: web::Query<WaveQuery>,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    if !allowed(&req, app::areas::IT) {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let Ok(name) = app::dto::WaveName::parse(&query.wave) else {
        return HttpResponse::BadRequest().body("Name a wave: ?wave=NAME.");
    };
    match super::waves::report_page(migrations.as_deref(), &name).await {
        Ok(page) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page),
        Err(e) => super::error_response(e),
    }
}

#[get("/it/people.csv")]
async fn people_csv(req: HttpRequest, state: web::Data<super::AppState>) -> HttpResponse {
    if !allowed(&req, app::areas::IT) {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let people = match crate::db::people::everyone(&state.db).await {
        Ok(people) => people,
        Err(e) => return failed("cannot export the people", e),
    };
    let mut out = csv::line(&["email", "name", "roles", "last sign-in (UTC)"]);
    for p in people {
        out.push_str(&csv::line(&[
            p.email.as_str(),
            &p.display_name,
            &crate::db::people::format_roles(&p.roles),
            &format_unix(p.last_login_at),
        ]));
    }
    attachment("people.csv", out)
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    format: String,
}

/// The confirmed old addresses as a routing map; an address in conflict is left out (the IT page
/// lists it).
#[get("/it/addresses/export")]
async fn addresses_export(
    req: HttpRequest,
    query: web::Query<ExportQuery>,
    migrations: web::Data<Option<Arc<Migrations>>>,
    state: web::Data<super::AppState>,
) -> HttpResponse {
    use crate::jobs::cutover::{addresses, exports::Format};
    if !allowed(&req, app::areas::IT) {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let Some(format) = Format::parse(&query.format) else {
        return HttpResponse::BadRequest()
            .body("Say which format: ?format=postfix, ?format=csv or ?format=ldif.");
    };
    let routes = match addresses::routes(&state.db).await {
        Ok(routes) => routes.routes,
        Err(e) => return failed("cannot export the old addresses", e),
    };
    let ldif_dn = match migrations.as_ref() {
        Some(m) => m.settings.cutover.ldif_dn.clone(),
        None => crate::config::CutoverConfig::default().ldif_dn,
    };
    let (name, kind) = format.file();
    attachment_as(name, kind, format.render(&routes, &ldif_dn))
}

fn failed(what: &str, e: impl std::fmt::Display) -> HttpResponse {
    let shown = super::internal(what, e);
    HttpResponse::InternalServerError().body(shown.to_string())
}

/// The guard has checked the role; checked again here, next to the data.
fn allowed(req: &HttpRequest, roles: &[app::dto::Role]) -> bool {
    req.extensions()
        .get::<Viewer>()
        .is_some_and(|v| roles.iter().any(|r| v.has(*r)))
}

fn attachment(name: &str, body: String) -> HttpResponse {
    attachment_as(name, "text/csv; charset=utf-8", body)
}

fn attachment_as(name: &str, kind: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}
