//! The waves' schedule at work, once a polling round in every worker: for each running or paused
//! wave it asks [`turns::moves`] whose turn it is and applies that to the wave's requests (each change
//! in the request's audit log, by the wave), then ends the wave when [`turns::finished`] says so.
//! One process decides for a wave at a time (its row is locked on PostgreSQL; SQLite has one
//! writer), so two workers never release the same slot twice.
use std::collections::HashMap;

use app::dto::{RequestId, RequestState, WaveState};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use super::turns::{self, Turn};
use crate::db::entity::{migration_request as request, wave};
use crate::jobs::queue::{Queue, QueueError};
use crate::jobs::state::Event;
use crate::jobs::timeline::Actor;

/// What one round did, for the log and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub held: usize,
    pub released: usize,
    pub finished: usize,
}

/// One round over every wave that is running or paused. `server_copies` is what the old server's
/// connections in force allow at once; `now` in Unix seconds.
pub async fn conduct(
    db: &DatabaseConnection,
    server_copies: usize,
    now: i64,
) -> Result<Round, QueueError> {
    let waves: Vec<i64> = wave::Entity::find()
        .select_only()
        .column(wave::Column::Id)
        .filter(
            wave::Column::State.is_in([WaveState::Running.as_str(), WaveState::Paused.as_str()]),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut round = Round::default();
    for id in waves {
        let txn = crate::db::begin(db).await?;
        let Some(w) = locked(&txn, id).await? else {
            continue;
        };
        let done = conduct_one(&txn, &w, server_copies, now).await?;
        txn.commit().await?;
        round.held += done.held;
        round.released += done.released;
        round.finished += done.finished;
    }
    if round != Round::default() {
        tracing::info!(?round, "waves' schedule");
    }
    Ok(round)
}

/// The wave, locked for this transaction where the database can (PostgreSQL).
async fn locked(db: &impl ConnectionTrait, id: i64) -> Result<Option<wave::Model>, DbErr> {
    let find = wave::Entity::find_by_id(id);
    match db.get_database_backend() {
        DatabaseBackend::Postgres => find.lock_exclusive().one(db).await,
        _ => find.one(db).await,
    }
}

async fn conduct_one(
    db: &(impl ConnectionTrait + TransactionTrait),
    w: &wave::Model,
    server_copies: usize,
    now: i64,
) -> Result<Round, QueueError> {
    let state = WaveState::parse(&w.state);
    let open =
        state == Some(WaveState::Running) && turns::window_open(w.window_start, w.window_end, now);
    let scheduled = [
        RequestState::Scheduled,
        RequestState::Queued,
        RequestState::Copying,
    ];
    let found: Vec<(i64, String, i32, i64)> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::State)
        .column(request::Column::Attempts)
        .column(request::Column::UserId)
        .filter(request::Column::WaveId.eq(w.id))
        .filter(request::Column::State.is_in(scheduled.map(RequestState::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    let must_size = open
        && found
            .iter()
            .any(|(_, s, ..)| s == RequestState::Scheduled.as_str());
    let bytes = if must_size {
        bytes_by_user(db, w).await?
    } else {
        HashMap::new()
    };
    let requests: Vec<Turn> = found
        .iter()
        .filter_map(|(id, s, attempts, user)| {
            Some(Turn {
                id: *id,
                state: RequestState::parse(s)?,
                started: *attempts > 0,
                bytes: bytes.get(user).copied().unwrap_or(0),
            })
        })
        .collect();
    let slots = (w.concurrency.max(1) as usize).min(server_copies.max(1));
    let moves = turns::moves(open, slots, &requests);
    let queue = Queue { db };
    let mut round = Round::default();
    for (ids, event) in [(&moves.hold, Event::Hold), (&moves.release, Event::Release)] {
        for id in ids {
            match queue
                .apply(RequestId(*id), event, Actor::Wave(&w.name), None)
                .await
            {
                Ok(_) if event == Event::Hold => round.held += 1,
                Ok(_) => round.released += 1,
                // Paused, cancelled or finished by someone meanwhile: next round sees it.
                Err(QueueError::Changed { .. } | QueueError::NotAllowed(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    if state == Some(WaveState::Running) && is_over(db, w, now).await? {
        wave::Entity::update_many()
            .col_expr(
                wave::Column::State,
                Expr::value(WaveState::Finished.as_str()),
            )
            .col_expr(wave::Column::UpdatedAt, Expr::value(now))
            .filter(wave::Column::Id.eq(w.id))
            .filter(wave::Column::State.eq(WaveState::Running.as_str()))
            .exec(db)
            .await?;
        tracing::info!(wave = %w.name, "wave finished");
        round.finished = 1;
    }
    Ok(round)
}

/// What [`turns::finished`] needs of the wave, read.
async fn is_over(db: &impl ConnectionTrait, w: &wave::Model, now: i64) -> Result<bool, DbErr> {
    let ended = [
        RequestState::Done.as_str(),
        RequestState::Cancelled.as_str(),
    ];
    let open = request::Entity::find()
        .filter(request::Column::WaveId.eq(w.id))
        .filter(request::Column::State.is_not_in(ended))
        .count(db)
        .await?;
    if open > 0 {
        return Ok(false);
    }
    // Everyone has had their copy: in this wave, or already before it.
    let members = super::store::members(db, w).await?;
    let users = super::preview::users_of(db, &members).await?;
    let copied = super::enrol::taken(db, w.id).await?;
    let without = members
        .iter()
        .filter(|m| users.get(&m.email).is_none_or(|u| !copied.contains(u)))
        .count() as u64;
    let window_closed = w.window_end.is_some_and(|end| now >= end);
    Ok(turns::finished(open, without, window_closed))
}

/// The size the plan knows of each member's mailbox, by person.
async fn bytes_by_user(
    db: &impl ConnectionTrait,
    w: &wave::Model,
) -> Result<HashMap<i64, u64>, DbErr> {
    let members = super::store::members(db, w).await?;
    let sizes = super::preview::sizes(db, &members).await?;
    let users = super::preview::users_of(db, &members).await?;
    Ok(members
        .iter()
        .filter_map(|m| Some((*users.get(&m.email)?, *sizes.bytes.get(&m.id)?)))
        .collect())
}
