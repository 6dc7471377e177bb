//! Per-person destinations on the IT page: the servers configured besides the default, who goes
//! where, and sending a wave or people elsewhere (see `jobs::destinations`).
use app::dto::{DestinationBoard, DestinationName, DestinationOutcome, SwitchTarget, Viewer};
use app::error::AppError;

use super::self_service::{internal, open};
use crate::jobs::destinations;
use crate::jobs::Migrations;

/// Before IT configures `[migration]` nobody goes anywhere: an empty board.
pub async fn board(m: Option<&Migrations>) -> Result<DestinationBoard, AppError> {
    let Some(m) = m else {
        return Ok(DestinationBoard::default());
    };
    destinations::board(&m.db, m.settings.destination_names())
        .await
        .map_err(internal)
}

pub async fn set(
    m: Option<&Migrations>,
    staff: &Viewer,
    target: SwitchTarget,
    to: Option<DestinationName>,
) -> Result<DestinationOutcome, AppError> {
    let m = open(m)?;
    if let Err(name) = m.settings.destination(to.as_ref()) {
        return Err(AppError::BadRequest(format!(
            "No destination “{name}” is configured: the destinations are {}.",
            destinations::listed(&m.settings.destination_names())
        )));
    }
    let people = match destinations::people_of(&m.db, target).await {
        Ok(people) => people,
        Err(destinations::PeopleError::Db(e)) => return Err(internal(e)),
        Err(e) => return Err(AppError::NotFound(format!("{e}. Reload the page."))),
    };
    let outcome = destinations::set(&m.db, &people, to.as_ref(), &staff.email, crate::db::now())
        .await
        .map_err(internal)?;
    tracing::info!(by = %staff.email, to = to.as_ref().map_or("default", |n| n.as_str()), set = outcome.set, refused = outcome.refused.len(), "destinations set");
    Ok(outcome)
}
