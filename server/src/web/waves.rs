//! Division IT's waves on the IT page: the list with counts, a wave's plan before it starts, and its
//! dashboard while it runs (see `jobs::waves`).
use app::dto::{
    Viewer, WaveCommand, WaveDashboard, WaveMessages, WaveName, WavePlan, WaveSettings, WaveState,
    WaveSummary,
};
use app::error::AppError;
use sea_orm::DatabaseConnection;

use super::self_service::{internal, open};
use crate::db::entity::wave;
use crate::jobs::waves::{dashboard as board, preview, store};
use crate::jobs::Migrations;

pub async fn list(db: &DatabaseConnection) -> Result<Vec<WaveSummary>, AppError> {
    store::list(db).await.map_err(internal)
}

/// The wave named `name`, or a page's error that says so.
async fn wave(m: &Migrations, name: &WaveName) -> Result<wave::Model, AppError> {
    store::find(&m.db, name)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no wave named “{name}”. Reload the page: it may have been renamed."
            ))
        })
}

/// Starts, pauses or resumes the wave, as `staff` says; a command that does not apply is refused
/// with why (409) and nothing changes.
pub async fn drive(
    m: Option<&Migrations>,
    staff: &Viewer,
    name: &WaveName,
    command: WaveCommand,
) -> Result<WaveState, AppError> {
    use crate::jobs::waves::store::CommandError;
    let m = open(m)?;
    let wave = wave(m, name).await?;
    match store::command(&m.db, &wave, command, !m.asks_password(), &staff.email).await {
        Ok(state) => Ok(state),
        Err(CommandError::Db(e)) => Err(internal(e)),
        Err(e) => Err(AppError::Conflict(format!("{}: {e}.", wave.name))),
    }
}

/// What the old server allows, by the limits in force.
async fn allowed(m: &Migrations) -> Result<preview::Allowed, AppError> {
    let s = &m.settings;
    let (connections, rate) = s.limits_of(&s.old_server);
    preview::old_server_allows(&m.db, connections, rate, s.parallel_folders)
        .await
        .map_err(internal)
}

pub async fn plan(m: Option<&Migrations>, name: &WaveName) -> Result<WavePlan, AppError> {
    let m = open(m)?;
    let wave = wave(m, name).await?;
    let allowed = allowed(m).await?;
    let s = &m.settings;
    preview::preview(&m.db, &wave, allowed, s.assumed_mb_per_sec * 1_000_000.0)
        .await
        .map_err(internal)
}

pub async fn dashboard(m: Option<&Migrations>, name: &WaveName) -> Result<WaveDashboard, AppError> {
    let m = open(m)?;
    let wave = wave(m, name).await?;
    dashboard_of(m, &wave).await
}

async fn dashboard_of(m: &Migrations, wave: &wave::Model) -> Result<WaveDashboard, AppError> {
    let allowed = allowed(m).await?;
    board::dashboard(m, wave, allowed, crate::db::now())
        .await
        .map_err(internal)
}

/// The wave's printable report: its dashboard and each person's results, as one page.
pub async fn report_page(m: Option<&Migrations>, name: &WaveName) -> Result<String, AppError> {
    let m = open(m)?;
    let wave = wave(m, name).await?;
    let board = dashboard_of(m, &wave).await?;
    let rows = crate::jobs::waves::report::rows(&m.db, &wave)
        .await
        .map_err(internal)?;
    Ok(super::wave_report::page(&board, &rows))
}

pub async fn messages(m: Option<&Migrations>, name: &WaveName) -> Result<WaveMessages, AppError> {
    let m = open(m)?;
    let wave = wave(m, name).await?;
    crate::jobs::waves::outreach::messages(
        &m.db,
        &m.settings.wave_reminder_days,
        &wave,
        crate::db::now(),
    )
    .await
    .map_err(internal)
}

/// Saves IT's settings of the wave; settings that cannot be (an end before the start, say) are
/// refused with why (400) and nothing changes.
pub async fn change(
    m: Option<&Migrations>,
    staff: &Viewer,
    name: &WaveName,
    settings: WaveSettings,
) -> Result<(), AppError> {
    let m = open(m)?;
    let wave = wave(m, name).await?;
    let change = store::Settings {
        concurrency: Some(settings.concurrency),
        mode: Some(settings.mode),
        window_start: Some(settings.window_start),
        window_end: Some(settings.window_end),
    };
    match store::update(&m.db, &wave, &change, !m.asks_password(), &staff.email).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(why)) => Err(AppError::BadRequest(format!(
            "{}: {why}; nothing was changed.",
            wave.name
        ))),
        Err(e) => Err(internal(e)),
    }
}
