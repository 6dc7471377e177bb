//! Server functions: the portal's API. Each checks the caller's role on the server.
use leptos::prelude::*;

use crate::dto::{Person, Viewer};
use crate::error::AppError;

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Viewer>, AppError> {
    Ok(crate::port::viewer())
}

/// Find people who have signed in (helpdesk and IT).
#[server(prefix = "/api", endpoint = "people")]
pub async fn people(filter: String) -> Result<Vec<Person>, AppError> {
    crate::port::require_any(crate::areas::HELPDESK)?;
    let filter = filter.trim();
    if filter.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "That search is too long: use at most 200 characters.".into(),
        ));
    }
    crate::port::portal()?.people(filter, 100).await
}
