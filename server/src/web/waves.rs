//! Division IT's waves on the IT page: the list with counts, and a wave's plan before it starts (see
//! `jobs::waves`).
use app::dto::{WaveName, WavePlan, WaveSummary};
use app::error::AppError;
use sea_orm::DatabaseConnection;

use super::self_service::{internal, open};
use crate::jobs::waves::{preview, store};
use crate::jobs::Migrations;

pub async fn list(db: &DatabaseConnection) -> Result<Vec<WaveSummary>, AppError> {
    store::list(db).await.map_err(internal)
}

pub async fn plan(m: Option<&Migrations>, name: &WaveName) -> Result<WavePlan, AppError> {
    let m = open(m)?;
    let Some(wave) = store::find(&m.db, name).await.map_err(internal)? else {
        return Err(AppError::NotFound(format!(
            "There is no wave named “{name}”. Reload the page: it may have been renamed."
        )));
    };
    let s = &m.settings;
    let copies = preview::copies_allowed(&m.db, s.max_connections_per_server, s.parallel_folders)
        .await
        .map_err(internal)?;
    preview::preview(&m.db, &wave, copies, s.assumed_mb_per_sec * 1_000_000.0)
        .await
        .map_err(internal)
}
