//! The plan of a wave before IT starts it: who goes in which order (largest first), when each should
//! start and end at the typical (p50) and slow (p90) rate, and the whole wave's finish against its
//! window. Sizes are what the members' scans found; rates what copies on the old server have moved.
use std::collections::HashMap;

use app::dto::{PlannedPerson, RequestState, ScanState, WavePlan};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::estimate::{estimate, rates, Rates};
use super::measured::copy_rates;
use super::plan::Job;
use crate::db::entity::{migration_request, request_event, scan, wave, wave_member};
use crate::db::stored;
use crate::db::VALUES_PER_QUERY;

/// Finished copies the rates are measured from: the latest ones.
const MEASURED_REQUESTS: u64 = 200;

/// The plan of `w` within what the old server allows, `assumed_bytes_per_sec` standing in for one
/// copy's rate before anything is measured.
pub async fn preview(
    db: &impl ConnectionTrait,
    w: &wave::Model,
    allowed: Allowed,
    assumed_bytes_per_sec: f64,
) -> Result<WavePlan, DbErr> {
    let members = super::store::members(db, w).await?;
    let sizes = sizes(db, &members).await?;
    let mut jobs = Vec::new();
    let (mut not_sized, mut already_done) = (Vec::new(), Vec::new());
    let mut by_id: HashMap<i64, &wave_member::Model> = HashMap::new();
    for m in &members {
        if sizes.done.contains(&m.id) {
            already_done.push(m.email.clone());
            continue;
        }
        match sizes.bytes.get(&m.id) {
            Some(bytes) => {
                jobs.push(Job {
                    id: m.id,
                    bytes: *bytes,
                });
                by_id.insert(m.id, m);
            }
            None => not_sized.push(m.email.clone()),
        }
    }
    let slots = (w.concurrency.max(1) as usize).min(allowed.copies.max(1));
    let rates = measured_rates(db, assumed_bytes_per_sec)
        .await?
        .within(allowed.bytes_per_sec, slots);
    let e = estimate(&[], &jobs, slots, rates);
    let p90: HashMap<i64, f64> = e.p90.order.iter().map(|p| (p.id, p.finish_secs)).collect();
    let people = e
        .p50
        .order
        .iter()
        .map(|p| PlannedPerson {
            email: by_id
                .get(&p.id)
                .map(|m| m.email.clone())
                .unwrap_or_default(),
            bytes: p.bytes,
            slot: p.slot,
            start_p50_secs: p.start_secs,
            finish_p50_secs: p.finish_secs,
            finish_p90_secs: p90.get(&p.id).copied().unwrap_or(p.finish_secs),
        })
        .collect();
    Ok(WavePlan {
        rate_p50: e.rates.p50,
        rate_p10: e.rates.p10,
        measured_copies: e.rates.samples,
        slots,
        people,
        not_sized,
        already_done,
        finish_p50_secs: e.p50.makespan_secs,
        finish_p90_secs: e.p90.makespan_secs,
        lower_bound_secs: e.p50.lower_bound_secs,
        window_secs: w.window_start.zip(w.window_end).map(|(s, e)| e - s),
    })
}

/// What is known of members' mailboxes, by member.
#[derive(Debug, Default)]
pub struct Sizes {
    /// The pre-flight size, else the person's latest finished scan.
    pub bytes: HashMap<i64, u64>,
    /// Members whose mailbox is already copied.
    pub done: std::collections::HashSet<i64>,
}

pub async fn sizes(
    db: &impl ConnectionTrait,
    members: &[wave_member::Model],
) -> Result<Sizes, DbErr> {
    let users = users_of(db, members).await?;
    let ids: Vec<i64> = users.values().copied().collect();
    let scanned = scanned_bytes(db, &ids).await?;
    let done = done_users(db, &ids).await?;
    let mut out = Sizes::default();
    for m in members {
        let user = users.get(&m.email);
        if user.is_some_and(|u| done.contains(u)) {
            out.done.insert(m.id);
        }
        let bytes = m
            .bytes
            .and_then(|b| u64::try_from(b).ok())
            .or_else(|| user.and_then(|u| scanned.get(u).copied()));
        if let Some(bytes) = bytes {
            out.bytes.insert(m.id, bytes);
        }
    }
    Ok(out)
}

/// The people who have signed in among `members`, by their (lowercase) address.
pub async fn users_of(
    db: &impl ConnectionTrait,
    members: &[wave_member::Model],
) -> Result<HashMap<String, i64>, DbErr> {
    let emails: Vec<String> = members.iter().map(|m| m.email.clone()).collect();
    crate::db::people::ids_by_email(db, &emails).await
}

/// What the old server allows every copy together, by the limits in force.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowed {
    /// Copies at once: its connection limit over the connections one copy holds.
    pub copies: usize,
    /// Bytes per second read from it, when IT limits that.
    pub bytes_per_sec: Option<f64>,
}

/// What the old server allows: IT's latest change of its limits, else `configured_connections` and
/// `configured_mb_per_sec`; each copy holds `parallel_folders` connections.
pub async fn old_server_allows(
    db: &impl ConnectionTrait,
    configured_connections: usize,
    configured_mb_per_sec: Option<f64>,
    parallel_folders: usize,
) -> Result<Allowed, DbErr> {
    use crate::db::entity::server_limit_change as row;
    let latest = row::Entity::find()
        .filter(row::Column::Server.eq(app::dto::ServerRole::Old.as_str()))
        .order_by_desc(row::Column::Id)
        .one(db)
        .await?;
    let (connections, mb) = match latest {
        Some(c) => (c.max_connections.max(1) as usize, c.max_mb_per_sec),
        None => (configured_connections, configured_mb_per_sec),
    };
    Ok(Allowed {
        copies: copies_for(connections, parallel_folders),
        bytes_per_sec: mb.filter(|m| *m > 0.0).map(|m| m * 1_000_000.0),
    })
}

/// Copies that `connections` at once carry, each holding `parallel_folders`: at least one.
pub fn copies_for(connections: usize, parallel_folders: usize) -> usize {
    (connections / parallel_folders.max(1)).max(1)
}

/// Each person's latest finished scan: the bytes of the folders picked by default.
async fn scanned_bytes(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> Result<HashMap<i64, u64>, DbErr> {
    let mut out = HashMap::new();
    for chunk in users.chunks(VALUES_PER_QUERY) {
        let scans: Vec<(i64, Option<String>)> = scan::Entity::find()
            .select_only()
            .column(scan::Column::UserId)
            .column(scan::Column::Result)
            .filter(scan::Column::UserId.is_in(chunk.iter().copied()))
            .filter(scan::Column::State.eq(ScanState::Done.as_str()))
            .order_by_asc(scan::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        // Oldest first: the latest one stays.
        for (user, result) in scans {
            if let Some(found) = result.as_deref().and_then(stored::read::<stored::Scan>) {
                let bytes = found
                    .folders
                    .iter()
                    .filter(|f| f.selected_by_default)
                    .map(|f| f.bytes)
                    .sum();
                out.insert(user, bytes);
            }
        }
    }
    Ok(out)
}

async fn done_users(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> Result<std::collections::HashSet<i64>, DbErr> {
    let mut out = std::collections::HashSet::new();
    for chunk in users.chunks(VALUES_PER_QUERY) {
        let found: Vec<i64> = migration_request::Entity::find()
            .select_only()
            .column(migration_request::Column::UserId)
            .filter(migration_request::Column::UserId.is_in(chunk.iter().copied()))
            .filter(migration_request::Column::State.eq(RequestState::Done.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// One copy's rates on the old server, from the latest finished requests (each person's first).
pub async fn measured_rates(db: &impl ConnectionTrait, assumed: f64) -> Result<Rates, DbErr> {
    let finished: Vec<(i64, i64, Option<String>)> = migration_request::Entity::find()
        .select_only()
        .column(migration_request::Column::Id)
        .column(migration_request::Column::UserId)
        .column(migration_request::Column::Report)
        .filter(migration_request::Column::State.eq(RequestState::Done.as_str()))
        .order_by_desc(migration_request::Column::Id)
        .limit(MEASURED_REQUESTS)
        .into_tuple()
        .all(db)
        .await?;
    // A later request of the same person is a catch-up: its report counts the whole mailbox while
    // it copied only what was new, so only the first one measures.
    let mut first: HashMap<i64, (i64, u64)> = HashMap::new();
    for (id, user, report) in finished {
        let bytes = report
            .as_deref()
            .and_then(stored::read::<stored::Report>)
            .map(|r| r.folders.iter().map(|f| f.source_bytes).sum())
            .unwrap_or(0);
        first.insert(user, (id, bytes));
    }
    let bytes: HashMap<i64, u64> = first.into_values().collect();
    let ids: Vec<i64> = bytes.keys().copied().collect();
    let mut events: Vec<(i64, i64, i64, Option<String>)> = Vec::new();
    for chunk in ids.chunks(VALUES_PER_QUERY) {
        events.extend(
            request_event::Entity::find()
                .select_only()
                .column(request_event::Column::Id)
                .column(request_event::Column::RequestId)
                .column(request_event::Column::At)
                .column(request_event::Column::ToState)
                .filter(request_event::Column::Kind.eq("changed"))
                .filter(request_event::Column::RequestId.is_in(chunk.iter().copied()))
                .into_tuple::<(i64, i64, i64, Option<String>)>()
                .all(db)
                .await?,
        );
    }
    events.sort_by_key(|(id, ..)| *id);
    let samples = copy_rates(
        events
            .iter()
            .map(|(_, request, at, to)| (*request, *at, to.as_deref().unwrap_or_default())),
        &bytes,
    );
    Ok(rates(&samples, assumed))
}
