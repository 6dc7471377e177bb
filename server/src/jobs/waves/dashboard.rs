//! A wave's dashboard read from the database: what is known of each member (their latest request,
//! the mailbox's size, the bytes the journal has on the new server, whether the copy is stuck), the
//! wave's samples, the rates measured on the old server; [`super::standing`] decides the rest.
//! Also the samples themselves: every worker round, each running wave's progress is written down
//! at most every [`SAMPLE_EVERY_SECS`], and once more when it has finished.
use std::collections::HashMap;

use app::dto::{FailureClass, RequestState, Standing, WaveDashboard, WaveSample, WaveState};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement,
};

use super::estimate::Rates;
use super::standing::{self, Member, Wave};
use crate::db::entity::{old_account, wave, wave_sample};
use crate::db::{stored, VALUES_PER_QUERY};
use crate::jobs::triage::{self, Facts};
use crate::jobs::Migrations;

/// How often a running wave's progress is written down (the workers look every few seconds).
pub const SAMPLE_EVERY_SECS: i64 = 10;
/// A finished wave gets its last sample if it finished this recently (workers were running then).
const FINAL_SAMPLE_WITHIN_SECS: i64 = 3_600;
/// Samples the dashboard's plots draw at most (evenly spread over the wave's life).
const MOST_SAMPLES: usize = 600;

/// The dashboard of `w` now, within what the old server allows.
pub async fn dashboard(
    m: &Migrations,
    w: &wave::Model,
    allowed: super::preview::Allowed,
    now: i64,
) -> Result<WaveDashboard, DbErr> {
    let members = members(m, w, now).await?;
    let samples = samples(&m.db, w.id).await?;
    let slots = (w.concurrency.max(1) as usize).min(allowed.copies.max(1));
    let rates: Rates =
        super::preview::measured_rates(&m.db, m.settings.assumed_mb_per_sec * 1_000_000.0)
            .await?
            .within(allowed.bytes_per_sec, slots);
    let wave = Wave {
        name: app::dto::WaveName::parse(&w.name)
            .unwrap_or_else(|_| app::dto::WaveName::parse("?").expect("a name")),
        state: WaveState::parse(&w.state).unwrap_or(WaveState::Planned),
        window_start: w.window_start,
        window_end: w.window_end,
        slots,
        rates,
    };
    Ok(standing::standing(
        wave,
        members,
        samples,
        MOST_SAMPLES,
        now,
    ))
}

/// Writes down the progress of every running wave whose last sample is older than
/// [`SAMPLE_EVERY_SECS`], and of every finished one not sampled since it finished.
pub async fn sample(m: &Migrations, now: i64) -> Result<usize, DbErr> {
    use sea_orm::Condition;
    let finished_lately = Condition::all()
        .add(wave::Column::State.eq(WaveState::Finished.as_str()))
        .add(wave::Column::UpdatedAt.gte(now - FINAL_SAMPLE_WITHIN_SECS));
    let waves = wave::Entity::find()
        .filter(
            Condition::any()
                .add(wave::Column::State.eq(WaveState::Running.as_str()))
                .add(finished_lately),
        )
        .all(&m.db)
        .await?;
    let mut written = 0;
    for w in waves {
        let last: Option<i64> = wave_sample::Entity::find()
            .select_only()
            .column(wave_sample::Column::At)
            .filter(wave_sample::Column::WaveId.eq(w.id))
            .order_by_desc(wave_sample::Column::At)
            .into_tuple()
            .one(&m.db)
            .await?;
        let due = match WaveState::parse(&w.state) {
            Some(WaveState::Running) => last.is_none_or(|at| now - at >= SAMPLE_EVERY_SECS),
            // The last word of a finished wave, once (a wave never started has none).
            _ => w.started_at.is_some() && last.is_none_or(|at| at < w.updated_at),
        };
        if !due {
            continue;
        }
        let (bytes_done, bytes_total, people_done) = standing::totals(&members(m, &w, now).await?);
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        wave_sample::Entity::insert(wave_sample::ActiveModel {
            wave_id: Set(w.id),
            at: Set(now.max(w.updated_at)),
            bytes_done: Set(as_i64(bytes_done)),
            bytes_total: Set(as_i64(bytes_total)),
            people_done: Set(as_i64(people_done)),
            ..Default::default()
        })
        .exec(&m.db)
        .await?;
        written += 1;
    }
    Ok(written)
}

async fn samples(db: &impl ConnectionTrait, wave_id: i64) -> Result<Vec<WaveSample>, DbErr> {
    let rows: Vec<(i64, i64, i64)> = wave_sample::Entity::find()
        .select_only()
        .column(wave_sample::Column::At)
        .column(wave_sample::Column::BytesDone)
        .column(wave_sample::Column::BytesTotal)
        .filter(wave_sample::Column::WaveId.eq(wave_id))
        .order_by_asc(wave_sample::Column::At)
        .order_by_asc(wave_sample::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let bytes = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(at, done, total)| WaveSample {
            at,
            bytes_done: bytes(done),
            bytes_total: bytes(total),
        })
        .collect())
}

/// What is known of each member of `w` now.
async fn members(m: &Migrations, w: &wave::Model, now: i64) -> Result<Vec<Member>, DbErr> {
    let db = &m.db;
    let members = super::store::members(db, w).await?;
    let sizes = super::preview::sizes(db, &members).await?;
    let users = super::preview::users_of(db, &members).await?;
    let ids: Vec<i64> = users.values().copied().collect();
    let latest = super::report::latest_requests(db, &ids).await?;
    // The journal is read only for copies begun and not done: the others are all or nothing.
    let begun: Vec<(i64, &str)> = members
        .iter()
        .filter_map(|member| {
            let user = *users.get(&member.email)?;
            let r = latest.get(&user)?;
            (r.attempts > 0 && r.state != RequestState::Done.as_str())
                .then_some((user, member.email.as_str()))
        })
        .collect();
    let copied = copied_bytes(m, &begun).await?;
    let (heartbeat_timeout, stuck_after) = (
        m.settings.heartbeat_timeout_secs as i64,
        m.settings.stuck_after_secs(),
    );
    Ok(members
        .iter()
        .map(|member| {
            let user = users.get(&member.email).copied();
            let r = user.and_then(|u| latest.get(&u));
            let state = r.and_then(|r| RequestState::parse(&r.state));
            let progress: Option<app::dto::Progress> = r
                .and_then(|r| r.progress.as_deref())
                .and_then(stored::read::<stored::Progress>)
                .map(Into::into);
            let class = r
                .and_then(|r| r.failure_class.as_deref())
                .and_then(FailureClass::parse);
            let stuck = match (r, state) {
                (Some(r), Some(state)) => {
                    let moved_at = progress.as_ref().map_or(r.updated_at, |p| p.moved_at);
                    let facts = Facts {
                        state,
                        class,
                        silent_for: r.heartbeat_at.map(|h| now - h),
                        still_for: (state == RequestState::Copying).then(|| now - moved_at),
                        queued_for: None,
                        explained_wait: None,
                    };
                    triage::stall(facts, heartbeat_timeout, stuck_after).is_some()
                }
                _ => false,
            };
            Member {
                email: member.email.clone(),
                standing: state.map_or(Standing::NoRequest, Standing::Request),
                class,
                size: sizes.bytes.get(&member.id).copied(),
                copied: user.and_then(|u| copied.get(&u)).copied().unwrap_or(0),
                rate: progress.map(|p| p.bytes_per_second),
                stuck,
            }
        })
        .collect())
}

/// Bytes the journal has copied to the new server for each of `people` (user, email), by user.
async fn copied_bytes(m: &Migrations, people: &[(i64, &str)]) -> Result<HashMap<i64, u64>, DbErr> {
    let mut out = HashMap::new();
    let db = &m.db;
    for chunk in people.chunks(VALUES_PER_QUERY / 2) {
        let logins: HashMap<i64, String> = old_account::Entity::find()
            .select_only()
            .column(old_account::Column::UserId)
            .column(old_account::Column::Login)
            .filter(old_account::Column::UserId.is_in(chunk.iter().map(|(u, _)| *u)))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        // Each person's old mailbox → new mailbox, as the copies name them in the journal.
        let emails: Vec<String> = chunk.iter().map(|(_, e)| e.to_lowercase()).collect();
        let destinations = crate::jobs::destinations::of_people(db, &emails).await?;
        let mut whose: HashMap<(String, String), i64> = HashMap::new();
        for (user, email) in chunk {
            let to = destinations.get(&email.to_lowercase());
            let names = logins
                .get(user)
                .and_then(|login| m.accounts.journal_names(login, email, to));
            if let Some(names) = names {
                whose.insert(names, *user);
            }
        }
        if whose.is_empty() {
            continue;
        }
        let backend = db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let mut values: Vec<sea_orm::Value> = Vec::new();
        let mut pairs = Vec::new();
        for (old, new) in whose.keys() {
            values.push(old.clone().into());
            values.push(new.clone().into());
            pairs.push(format!(
                "(f.mailbox = {p}{} AND f.dest_mailbox = {p}{})",
                values.len() - 1,
                values.len()
            ));
        }
        let sql = format!(
            "SELECT f.mailbox AS mailbox, f.dest_mailbox AS dest, \
             CAST(COALESCE(SUM(j.size), 0) AS BIGINT) AS bytes \
             FROM journal_messages j JOIN journal_folders f ON f.id = j.folder_id \
             WHERE {} GROUP BY f.mailbox, f.dest_mailbox",
            pairs.join(" OR ")
        );
        let rows = db
            .query_all(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        for row in rows {
            let old: String = row.try_get("", "mailbox")?;
            let new: String = row.try_get("", "dest")?;
            let bytes: i64 = row.try_get("", "bytes")?;
            if let Some(user) = whose.get(&(old, new)) {
                *out.entry(*user).or_default() += u64::try_from(bytes).unwrap_or(0);
            }
        }
    }
    Ok(out)
}
