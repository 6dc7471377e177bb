//! After delivery moved, on the IT page and the person's page: switching a wave or people, the
//! catch-ups and the mail still reaching the old server, and the old addresses people confirm (the
//! routing maps are downloads: `web::export`). See `jobs::cutover`.
use app::dto::{
    AddressDecision, CutoverBoard, EmailAddress, PersonAddresses, SwitchOutcome, SwitchTarget,
    Viewer,
};
use app::error::AppError;
use sea_orm::DatabaseConnection;

use super::self_service::{internal, open};
use crate::jobs::cutover::addresses::{self, DecideError};
use crate::jobs::cutover::{board, store};
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
