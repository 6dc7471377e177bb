//! Division IT's servers page: each configured server with its limits and live state, and the
//! limits changed at run time (see `jobs::servers`).
use app::dto::{Reason, ServerLimits, ServerRole, ServerStatus, Viewer};
use app::error::AppError;

use super::self_service::{internal, open};
use crate::jobs::Migrations;

/// Every configured server; none while migrations are not configured.
pub async fn statuses(m: Option<&Migrations>) -> Result<Vec<ServerStatus>, AppError> {
    match m {
        Some(m) => m.server_statuses().await.map_err(internal),
        None => Ok(Vec::new()),
    }
}

/// IT's change of `role`'s limits, with why; the servers as they stand after it.
pub async fn change(
    m: Option<&Migrations>,
    staff: &Viewer,
    role: ServerRole,
    limits: ServerLimits,
    reason: &Reason,
) -> Result<Vec<ServerStatus>, AppError> {
    let m = open(m)?;
    if m.settings.server(&role).is_none() {
        return Err(AppError::BadRequest(format!(
            "No server “{}” is configured: reload the page.",
            role.as_str()
        )));
    }
    if limits.max_connections < 2 && m.same_server_both_sides(&role) {
        return Err(AppError::BadRequest(
            "The old and new servers are one server here, and each copy holds a connection to both \
             sides: allow at least 2 connections at once."
                .into(),
        ));
    }
    m.change_limits(&staff.email, &role, limits, reason)
        .await
        .map_err(internal)?;
    statuses(Some(m)).await
}
