//! After delivery moved, on the IT page and the person's page: switching a wave or people, the
//! catch-ups and the mail still reaching the old server, the old addresses people confirm, and the
//! routing maps IT downloads (`/it/addresses/export?format=postfix|csv|ldif`). See `jobs::cutover`.
use std::sync::Arc;

use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use app::dto::{
    AddressDecision, CutoverBoard, EmailAddress, PersonAddresses, SwitchOutcome, SwitchTarget,
    Viewer,
};
use app::error::AppError;
use sea_orm::DatabaseConnection;

use super::self_service::{internal, open};
use crate::jobs::cutover::addresses::{self, DecideError};
use crate::jobs::cutover::{board, exports, store};
use crate::jobs::Migrations;

/// Before IT configures `[migration]` nobody can have been switched: an empty board.
pub async fn cutover_board(m: Option<&Migrations>) -> Result<CutoverBoard, AppError> {
    let Some(m) = m else {
        return Ok(CutoverBoard {
            people: Vec::new(),
            quiet: 0,
        });
    };
    board::board(&m.db, m.settings.cutover.quiet_secs())
        .await
        .map_err(internal)
}

pub async fn switch(
    m: Option<&Migrations>,
    staff: &Viewer,
    target: SwitchTarget,
) -> Result<SwitchOutcome, AppError> {
    let m = open(m)?;
    let schedule = m.settings.cutover.schedule();
    let at = crate::db::now();
    let switched = match target {
        SwitchTarget::Wave(name) => {
            match store::switch_wave(&m.db, &name, &staff.email, at, &schedule).await {
                Ok(s) => s,
                Err(store::SwitchError::Db(e)) => return Err(internal(e)),
                Err(e) => return Err(AppError::NotFound(format!("{e}. Reload the page."))),
            }
        }
        SwitchTarget::People(people) => {
            store::switch(&m.db, &people, None, &staff.email, at, &schedule)
                .await
                .map_err(internal)?
        }
    };
    tracing::info!(by = %staff.email, switched = switched.switched.len(), "delivery switched to the new server");
    Ok(SwitchOutcome {
        switched: switched.switched.len() as u64,
        already: switched.already.len() as u64,
    })
}

pub async fn everyone(db: &DatabaseConnection) -> Result<Vec<PersonAddresses>, AppError> {
    addresses::everyone(db).await.map_err(internal)
}

/// The viewer's own addresses (their sign-in address is their new one).
pub async fn mine(db: &DatabaseConnection, viewer: &Viewer) -> Result<PersonAddresses, AppError> {
    let email = own(viewer)?;
    addresses::of_person(db, &email).await.map_err(internal)
}

pub async fn decide(
    db: &DatabaseConnection,
    viewer: &Viewer,
    address: EmailAddress,
    decision: AddressDecision,
) -> Result<PersonAddresses, AppError> {
    let email = own(viewer)?;
    match addresses::decide(db, &email, &address, decision, crate::db::now()).await {
        Ok(()) => addresses::of_person(db, &email).await.map_err(internal),
        Err(e @ DecideError::Unknown(_)) => Err(AppError::NotFound(e.to_string())),
        Err(DecideError::Db(e)) => Err(internal(e)),
    }
}

fn own(viewer: &Viewer) -> Result<EmailAddress, AppError> {
    EmailAddress::parse(&viewer.email).map_err(|_| {
        AppError::BadRequest(
            "Your sign-in has no usable email address, so Fountain cannot tell which addresses are yours; ask the helpdesk."
                .into(),
        )
    })
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    format: String,
}

/// The confirmed old addresses as a routing map; an address two people confirmed is left out (the
/// IT page lists the conflict).
#[get("/it/addresses/export")]
async fn addresses_export(
    req: HttpRequest,
    query: web::Query<ExportQuery>,
    migrations: web::Data<Option<Arc<Migrations>>>,
    state: web::Data<super::AppState>,
) -> HttpResponse {
    let it = req
        .extensions()
        .get::<Viewer>()
        .is_some_and(|v| app::areas::IT.iter().any(|r| v.has(*r)));
    if !it {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    }
    let found = async {
        let known = addresses::known_people(&state.db).await?;
        Ok::<_, sea_orm::DbErr>((addresses::confirmed(&state.db).await?, known))
    };
    let (confirmed, known) = match found.await {
        Ok(c) => c,
        Err(e) => {
            let shown = super::internal("cannot export the old addresses", e);
            return HttpResponse::InternalServerError().body(shown.to_string());
        }
    };
    let routes = exports::routes(&confirmed, &known).routes;
    let ldif_dn = migrations
        .as_ref()
        .as_ref()
        .map(|m| m.settings.cutover.ldif_dn.clone())
        .unwrap_or_else(|| crate::config::CutoverConfig::default().ldif_dn);
    let (body, name, kind) = match query.format.as_str() {
        "postfix" => (
            exports::postfix(&routes),
            "virtual",
            "text/plain; charset=utf-8",
        ),
        "csv" => (
            exports::csv(&routes),
            "old-addresses.csv",
            "text/csv; charset=utf-8",
        ),
        "ldif" => (
            exports::ldif(&routes, &ldif_dn),
            "old-addresses.ldif",
            "text/plain; charset=utf-8",
        ),
        _ => {
            return HttpResponse::BadRequest()
                .body("Say which format: ?format=postfix, ?format=csv or ?format=ldif.")
        }
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}
