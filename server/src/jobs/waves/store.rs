//! Waves and their members in the database: creating a wave, taking a checked import whole or not at
//! all, the list with counts, and the members one by one.
use std::collections::{HashMap, HashSet};

use app::dto::{EmailAddress, WaveMode, WaveName, WaveState, WaveSummary};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::import::{self, Import, Known, Problem};
use crate::db::entity::{wave, wave_member};
use crate::db::now;
use crate::db::VALUES_PER_QUERY;

/// Copies at once in a new wave, until IT says otherwise (the seed's old server took two).
pub const DEFAULT_CONCURRENCY: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum WaveError {
    #[error("the database failed: {0}")]
    Db(#[from] DbErr),
    #[error("there is no wave named {0:?}")]
    NoSuchWave(String),
    #[error("the wave {0:?} is finished: start a new wave for these people")]
    Finished(String),
    #[error("{email} is already in the active wave “{wave}”: remove them there first")]
    Elsewhere { email: EmailAddress, wave: String },
    #[error("{count} line(s) of the file cannot be taken, so nobody was added")]
    Refused { problems: Vec<Problem>, count: u64 },
}

/// The wave named `name`, made (planned, inviting, at the default concurrency) when there is none.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    name: &WaveName,
    by: &str,
) -> Result<wave::Model, WaveError> {
    if let Some(found) = find(db, name).await? {
        return Ok(found);
    }
    let at = now();
    let made = wave::Entity::insert(wave::ActiveModel {
        name: Set(name.as_str().to_owned()),
        mode: Set(WaveMode::Invite.as_str().to_owned()),
        concurrency: Set(DEFAULT_CONCURRENCY as i32),
        window_start: Set(None),
        window_end: Set(None),
        state: Set(WaveState::Planned.as_str().to_owned()),
        created_by: Set(by.to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await?;
    tracing::info!(wave = %name, by, "wave created");
    wave::Entity::find_by_id(made.last_insert_id)
        .one(db)
        .await?
        .ok_or_else(|| WaveError::NoSuchWave(name.to_string()))
}

/// The wave `name` to add people to (made if there is none); a finished wave takes nobody.
async fn taking_people(
    db: &impl ConnectionTrait,
    name: &WaveName,
    by: &str,
) -> Result<wave::Model, WaveError> {
    let wave = find_or_create(db, name, by).await?;
    if WaveState::parse(&wave.state) == Some(WaveState::Finished) {
        return Err(WaveError::Finished(wave.name));
    }
    Ok(wave)
}

pub async fn find(
    db: &impl ConnectionTrait,
    name: &WaveName,
) -> Result<Option<wave::Model>, DbErr> {
    wave::Entity::find()
        .filter(wave::Column::Name.eq(name.as_str()))
        .one(db)
        .await
}

/// Whether the wave `id` still holds its requests to its schedule (it is not finished).
pub async fn holds_requests(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let found = wave::Entity::find_by_id(id).one(db).await?;
    Ok(found.is_some_and(|w| WaveState::parse(&w.state).is_some_and(WaveState::active)))
}

/// The unfinished wave `email` is in, if any: a request of theirs waits for its schedule.
pub async fn unfinished_wave_of(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<wave::Model>, DbErr> {
    let Ok(email) = EmailAddress::parse(email) else {
        return Ok(None);
    };
    let waves: Vec<i64> = wave_member::Entity::find()
        .select_only()
        .column(wave_member::Column::WaveId)
        .filter(wave_member::Column::Email.eq(email.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    wave::Entity::find()
        .filter(wave::Column::Id.is_in(waves))
        .filter(wave::Column::State.ne(WaveState::Finished.as_str()))
        .one(db)
        .await
}

/// Everyone in an active wave other than `except`, with the wave's name.
async fn in_other_active_waves(
    db: &impl ConnectionTrait,
    except: i64,
) -> Result<HashMap<EmailAddress, String>, DbErr> {
    let active: HashMap<i64, String> = wave::Entity::find()
        .filter(wave::Column::State.ne(WaveState::Finished.as_str()))
        .filter(wave::Column::Id.ne(except))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let mut out = HashMap::new();
    let ids: Vec<i64> = active.keys().copied().collect();
    for chunk in ids.chunks(VALUES_PER_QUERY) {
        let members: Vec<(i64, String)> = wave_member::Entity::find()
            .select_only()
            .column(wave_member::Column::WaveId)
            .column(wave_member::Column::Email)
            .filter(wave_member::Column::WaveId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (wave, email) in members {
            if let (Ok(email), Some(name)) = (EmailAddress::parse(&email), active.get(&wave)) {
                out.insert(email, name.clone());
            }
        }
    }
    Ok(out)
}

/// The active wave other than `except` that `email` is in, by name.
async fn other_active_wave_of(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    except: i64,
) -> Result<Option<String>, DbErr> {
    let waves: Vec<i64> = wave_member::Entity::find()
        .select_only()
        .column(wave_member::Column::WaveId)
        .filter(wave_member::Column::Email.eq(email.as_str()))
        .filter(wave_member::Column::WaveId.ne(except))
        .into_tuple()
        .all(db)
        .await?;
    Ok(wave::Entity::find()
        .filter(wave::Column::Id.is_in(waves))
        .filter(wave::Column::State.ne(WaveState::Finished.as_str()))
        .one(db)
        .await?
        .map(|w| w.name))
}

/// Reads `file` into the wave `name` (made if there is none), in one transaction: everyone or, when
/// any line cannot be taken, nobody. People already in this wave are counted, not added again.
pub async fn import(
    db: &DatabaseConnection,
    name: &WaveName,
    file: impl std::io::Read,
    destinations: &HashSet<String>,
    by: &str,
) -> Result<Imported, WaveError> {
    let txn = crate::db::begin(db).await?;
    let wave = taking_people(&txn, name, by).await?;
    let elsewhere = in_other_active_waves(&txn, wave.id).await?;
    let rows = match import::read(
        file,
        &Known {
            elsewhere: &elsewhere,
            destinations,
        },
    ) {
        Import::Rows(rows) => rows,
        Import::Refused { problems, count } => return Err(WaveError::Refused { problems, count }),
    };
    send_to_destinations(&txn, &rows, name, now()).await?;
    let already: HashSet<String> = wave_member::Entity::find()
        .select_only()
        .column(wave_member::Column::Email)
        .filter(wave_member::Column::WaveId.eq(wave.id))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let at = now();
    let fresh: Vec<wave_member::ActiveModel> = rows
        .iter()
        .filter(|r| !already.contains(r.email.as_str()))
        .map(|r| wave_member::ActiveModel {
            wave_id: Set(wave.id),
            email: Set(r.email.as_str().to_owned()),
            old_login: Set(r.old_login.clone()),
            destination: Set(r.destination.clone()),
            note: Set(r.note.clone()),
            bytes: Set(None),
            scanned_at: Set(None),
            added_by: Set(by.to_owned()),
            added_at: Set(at),
            ..Default::default()
        })
        .collect();
    let added = fresh.len() as u64;
    let mut fresh = fresh.into_iter().peekable();
    while fresh.peek().is_some() {
        let chunk: Vec<_> = fresh.by_ref().take(VALUES_PER_QUERY).collect();
        wave_member::Entity::insert_many(chunk).exec(&txn).await?;
    }
    wave::Entity::update_many()
        .col_expr(wave::Column::UpdatedAt, Expr::value(at))
        .filter(wave::Column::Id.eq(wave.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let outcome = Imported {
        added,
        already_in: rows.len() as u64 - added,
    };
    tracing::info!(wave = %name, by, added = outcome.added, already_in = outcome.already_in, "wave import");
    Ok(outcome)
}

/// The file's `destination` column, per person: where their mail goes from now on. A line whose
/// person has started their migration to another destination refuses the whole file, by line.
async fn send_to_destinations(
    txn: &impl sea_orm::ConnectionTrait,
    rows: &[super::import::Row],
    wave: &WaveName,
    at: i64,
) -> Result<(), WaveError> {
    let by = format!("wave import “{wave}”");
    let mut problems = Vec::new();
    for row in rows {
        let Some(name) = &row.destination else {
            continue;
        };
        let Ok(to) = app::dto::DestinationName::parse(name) else {
            continue; // The file's reader took only configured names.
        };
        let outcome = crate::jobs::destinations::set(
            txn,
            std::slice::from_ref(&row.email),
            Some(&to),
            &by,
            at,
        )
        .await?;
        problems.extend(
            outcome
                .refused
                .into_iter()
                .map(|(email, why)| super::import::Problem {
                    line: row.line,
                    what: format!("{email}: {why}"),
                }),
        );
    }
    if problems.is_empty() {
        return Ok(());
    }
    let count = problems.len() as u64;
    problems.truncate(super::import::MAX_LISTED);
    Err(WaveError::Refused { problems, count })
}

/// Adds one person to the wave `name` (made if there is none) by hand, with the import's checks:
/// `false` when they are in it already.
pub async fn add(
    db: &DatabaseConnection,
    name: &WaveName,
    email: &EmailAddress,
    note: Option<&str>,
    by: &str,
) -> Result<bool, WaveError> {
    let txn = crate::db::begin(db).await?;
    let wave = taking_people(&txn, name, by).await?;
    if let Some(other) = other_active_wave_of(&txn, email, wave.id).await? {
        return Err(WaveError::Elsewhere {
            email: email.clone(),
            wave: other,
        });
    }
    let already = wave_member::Entity::find()
        .filter(wave_member::Column::WaveId.eq(wave.id))
        .filter(wave_member::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?;
    if already.is_some() {
        return Ok(false);
    }
    wave_member::Entity::insert(wave_member::ActiveModel {
        wave_id: Set(wave.id),
        email: Set(email.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        added_by: Set(by.to_owned()),
        added_at: Set(now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(wave = %name, by, "person added to a wave");
    Ok(true)
}

/// Takes one person out of a wave: `false` when they were not in it. What they have copied stays.
pub async fn remove(
    db: &impl ConnectionTrait,
    wave: &wave::Model,
    email: &EmailAddress,
    by: &str,
) -> Result<bool, DbErr> {
    let gone = wave_member::Entity::delete_many()
        .filter(wave_member::Column::WaveId.eq(wave.id))
        .filter(wave_member::Column::Email.eq(email.as_str()))
        .exec(db)
        .await?;
    if gone.rows_affected > 0 {
        tracing::info!(wave = %wave.name, by, "person removed from a wave");
    }
    Ok(gone.rows_affected > 0)
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("the database failed: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Refused(#[from] super::lifecycle::Refused),
    #[error("an IT-run wave needs Fountain to log in to the old server for people (old_server.auth = \"proxy\" or \"master\"); this portal asks people for their old passwords, so make the wave invite them (fountain waves set NAME --mode invite)")]
    NoAdminLogin,
    #[error("the wave changed meanwhile (it is now {0}); look again and retry")]
    Changed(WaveState),
}

/// Starts, pauses or resumes the wave, as IT says: the state changes here, the schedule does the
/// rest at its next round. `admin_login` says whether Fountain can log in for people (IT-run).
pub async fn command(
    db: &impl ConnectionTrait,
    w: &wave::Model,
    command: super::lifecycle::Command,
    admin_login: bool,
    by: &str,
) -> Result<WaveState, CommandError> {
    let state = WaveState::parse(&w.state).unwrap_or(WaveState::Planned);
    let members = wave_member::Entity::find()
        .filter(wave_member::Column::WaveId.eq(w.id))
        .count(db)
        .await?;
    let next = super::lifecycle::next(state, command, members)?;
    if state == WaveState::Planned
        && WaveMode::parse(&w.mode) == Some(WaveMode::ItRun)
        && !admin_login
    {
        return Err(CommandError::NoAdminLogin);
    }
    let at = now();
    let mut update = wave::Entity::update_many()
        .col_expr(wave::Column::State, Expr::value(next.as_str()))
        .col_expr(wave::Column::UpdatedAt, Expr::value(at));
    if state == WaveState::Planned {
        update = update.col_expr(wave::Column::StartedAt, Expr::value(at));
    }
    let changed = update
        .filter(wave::Column::Id.eq(w.id))
        .filter(wave::Column::State.eq(w.state.as_str()))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        let now = wave::Entity::find_by_id(w.id).one(db).await?;
        let now = now.and_then(|w| WaveState::parse(&w.state));
        return Err(CommandError::Changed(now.unwrap_or(WaveState::Finished)));
    }
    tracing::info!(wave = %w.name, by, command = command.as_str(), state = %next.as_str(), "wave");
    Ok(next)
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub added: u64,
    /// In the file and already in the wave.
    pub already_in: u64,
}

/// Every wave with its counts, newest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<WaveSummary>, DbErr> {
    let waves = wave::Entity::find()
        .order_by_desc(wave::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(waves.len());
    for w in waves {
        out.push(summary(db, w).await?);
    }
    Ok(out)
}

/// One wave with its counts (sizes as the plan reads them: pre-flight, else the person's scan).
pub async fn summary(db: &impl ConnectionTrait, w: wave::Model) -> Result<WaveSummary, DbErr> {
    let members = members(db, &w).await?;
    let sizes = super::preview::sizes(db, &members).await?;
    Ok(WaveSummary {
        name: WaveName::parse(&w.name)
            .unwrap_or_else(|_| WaveName::parse("(unnamed)").expect("a name that parses")),
        mode: WaveMode::parse(&w.mode).unwrap_or(WaveMode::Invite),
        state: WaveState::parse(&w.state).unwrap_or(WaveState::Planned),
        concurrency: u32::try_from(w.concurrency).unwrap_or(1).max(1),
        window_start: w.window_start,
        window_end: w.window_end,
        members: members.len() as u64,
        scanned: sizes.bytes.len() as u64,
        bytes: sizes.bytes.values().sum(),
    })
}

/// The members of a wave, by email.
pub async fn members(
    db: &impl ConnectionTrait,
    wave: &wave::Model,
) -> Result<Vec<wave_member::Model>, DbErr> {
    wave_member::Entity::find()
        .filter(wave_member::Column::WaveId.eq(wave.id))
        .order_by_asc(wave_member::Column::Email)
        .all(db)
        .await
}

/// What IT changes of a wave; `None` leaves it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub concurrency: Option<u32>,
    pub mode: Option<WaveMode>,
    /// `Some(None)` clears it.
    pub window_start: Option<Option<i64>>,
    pub window_end: Option<Option<i64>>,
}

/// Most copies one wave may run at once (each server's own limit holds as well).
pub const MAX_CONCURRENCY: u32 = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("a wave runs 1 to {MAX_CONCURRENCY} copies at once, not {0}")]
    Concurrency(u32),
    #[error("the window ends before it starts: give an end after the start")]
    EndsBeforeStart,
    #[error("an IT-run wave needs Fountain to log in to the old server for people (old_server.auth = \"proxy\" or \"master\"), and this portal asks people for their passwords")]
    NoAdminLogin,
}

/// The wave's settings after `change`, or why they cannot be; `admin_login`: Fountain can log in
/// to the old server for people (an IT-run wave needs it).
pub fn apply(
    w: &wave::Model,
    change: &Settings,
    admin_login: bool,
) -> Result<wave::Model, SettingsError> {
    if change.mode == Some(WaveMode::ItRun) && !admin_login {
        return Err(SettingsError::NoAdminLogin);
    }
    let mut next = w.clone();
    if let Some(n) = change.concurrency {
        if !(1..=MAX_CONCURRENCY).contains(&n) {
            return Err(SettingsError::Concurrency(n));
        }
        next.concurrency = n as i32;
    }
    if let Some(mode) = change.mode {
        next.mode = mode.as_str().to_owned();
    }
    if let Some(start) = change.window_start {
        next.window_start = start;
    }
    if let Some(end) = change.window_end {
        next.window_end = end;
    }
    if let (Some(start), Some(end)) = (next.window_start, next.window_end) {
        if end <= start {
            return Err(SettingsError::EndsBeforeStart);
        }
    }
    Ok(next)
}

/// Saves `change` to the wave.
pub async fn update(
    db: &impl ConnectionTrait,
    w: &wave::Model,
    change: &Settings,
    admin_login: bool,
    by: &str,
) -> Result<Result<wave::Model, SettingsError>, DbErr> {
    let next = match apply(w, change, admin_login) {
        Ok(next) => next,
        Err(e) => return Ok(Err(e)),
    };
    wave::Entity::update(wave::ActiveModel {
        id: Set(w.id),
        mode: Set(next.mode.clone()),
        concurrency: Set(next.concurrency),
        window_start: Set(next.window_start),
        window_end: Set(next.window_end),
        updated_at: Set(now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    tracing::info!(wave = %w.name, by, ?change, "wave settings changed");
    Ok(Ok(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave() -> wave::Model {
        wave::Model {
            id: 1,
            name: "Finance".into(),
            mode: "invite".into(),
            concurrency: 2,
            window_start: Some(1_000),
            window_end: None,
            state: "planned".into(),
            created_by: "ivan".into(),
            created_at: 0,
            updated_at: 0,
            started_at: None,
        }
    }

    #[test]
    fn settings_change_only_what_is_asked_and_stay_sane() {
        let w = wave();
        let next = apply(
            &w,
            &Settings {
                concurrency: Some(4),
                window_end: Some(Some(5_000)),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        assert_eq!(
            (next.concurrency, next.window_start, next.window_end),
            (4, Some(1_000), Some(5_000))
        );
        assert_eq!(next.mode, "invite");
        let zero = Settings {
            concurrency: Some(0),
            ..Default::default()
        };
        assert_eq!(apply(&w, &zero, true), Err(SettingsError::Concurrency(0)));
        let backwards = Settings {
            window_end: Some(Some(999)),
            ..Default::default()
        };
        assert_eq!(
            apply(&w, &backwards, true),
            Err(SettingsError::EndsBeforeStart)
        );
        let cleared = Settings {
            window_start: Some(None),
            window_end: Some(Some(999)),
            ..Default::default()
        };
        assert_eq!(apply(&w, &cleared, true).unwrap().window_start, None);
        let it_run = Settings {
            mode: Some(WaveMode::ItRun),
            ..Default::default()
        };
        assert_eq!(apply(&w, &it_run, false), Err(SettingsError::NoAdminLogin));
        assert_eq!(apply(&w, &it_run, true).unwrap().mode, "it_run");
    }
}
