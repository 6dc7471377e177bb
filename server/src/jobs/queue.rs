//! The request queue, in the database: submitting is idempotent per user, workers claim the oldest
//! queued request atomically (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time),
//! keep it with a heartbeat, and rows whose worker stopped answering go back to the queue. Every change
//! of state goes through [`transition`] and is applied only if the row is still as it was read.
use std::time::Duration;

use sea_orm::sea_query::{Expr, OnConflict, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};

use super::attempts::{after_crash, AfterCrash};
use super::claim::{claim_oldest, JobTable};
use super::destinations::Closed;
use super::state::{transition, transition_in, Event, NotAllowed, RequestState};
use super::timeline::{self, Actor, Entry};
use app::dto::{DestinationName, FailureClass, RequestId, UserId};

use crate::db::entity::migration_request as row;
use crate::db::now;
use crate::db::stored;

/// A migration request as the workers and pages see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: RequestId,
    pub user_id: UserId,
    pub state: RequestState,
    pub folders: Vec<String>,
    pub worker: Option<String>,
    pub attempts: i32,
    /// Runs in a row that ended without an answer (see [`super::attempts`]).
    pub crashed_runs: i32,
    pub last_error: Option<String>,
    /// Why it stopped short, while failed or needing attention.
    pub failure_class: Option<FailureClass>,
    /// The wave whose schedule holds and releases it.
    pub wave_id: Option<i64>,
    /// Where it copies to (`None`: the default new server), fixed when it was submitted.
    pub destination: Option<DestinationName>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the database failed: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    #[error("migration request {0} does not exist")]
    NotFound(RequestId),
    #[error("migration request {id} changed meanwhile (it is now {now}); reload and try again")]
    Changed { id: RequestId, now: RequestState },
    #[error("migration request {id} holds something this version cannot read: {stored:?}")]
    Corrupt { id: RequestId, stored: String },
}

/// What [`Queue::recover`] did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Put back in the queue.
    pub requeued: u64,
    /// At the cap of crashed runs: to end as failed (still held by the run that stopped answering).
    pub give_up: Vec<Request>,
}

/// The queue over a connection or a transaction (so a state change and its email commit together).
/// Each change and the line of the audit log that records it are written together.
pub struct Queue<'a, C: ConnectionTrait + TransactionTrait = DatabaseConnection> {
    pub db: &'a C,
}

impl<C: ConnectionTrait + TransactionTrait> Queue<'_, C> {
    /// Queues the person's own migration of `folders` (see [`Queue::submit_in`]), in no wave.
    pub async fn submit(
        &self,
        user_id: UserId,
        folders: &[String],
    ) -> Result<(Request, bool), QueueError> {
        self.submit_in(user_id, folders, None, Actor::Owner).await
    }

    /// Queues a migration of `folders` for the user, or, when the user is in an unfinished wave
    /// (`wave`), schedules it for the wave to release in its turn. If the user already has an
    /// unfinished request, that one is returned instead (a double submit makes one request). The flag
    /// says whether it is new. `by` is who asked: the person, or the wave on their behalf.
    pub async fn submit_in(
        &self,
        user_id: UserId,
        folders: &[String],
        wave: Option<i64>,
        by: Actor<'_>,
    ) -> Result<(Request, bool), QueueError> {
        let at = now();
        let state = match wave {
            Some(_) => RequestState::Scheduled,
            None => RequestState::Queued,
        };
        let txn = crate::db::begin(self.db).await?;
        // Where IT sends the person, read with the insert: it stays with the request from now on.
        let email = crate::db::entity::user::Entity::find_by_id(user_id.0)
            .one(&txn)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        let destination = super::destinations::of_person(&txn, &email).await?;
        let inserted = row::Entity::insert(row::ActiveModel {
            user_id: Set(user_id.0),
            wave_id: Set(wave),
            destination: Set(destination.map(String::from)),
            state: Set(state.as_str().to_owned()),
            active_key: Set(Some(user_id.0)),
            folders: Set(serde_json::to_string(folders).expect("strings serialise")),
            attempts: Set(0),
            queued_at: Set(Some(at)),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(row::Column::ActiveKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        let current = row::Entity::find()
            .filter(row::Column::ActiveKey.eq(user_id.0))
            .one(&txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("the open request of user {user_id}")))?;
        let current = request(current)?;
        if inserted == 1 {
            timeline::record(&txn, current.id, Entry::Submitted, by, None).await?;
        }
        txn.commit().await?;
        Ok((current, inserted == 1))
    }

    pub async fn get(&self, id: RequestId) -> Result<Request, QueueError> {
        let found = row::Entity::find_by_id(id.0).one(self.db).await?;
        request(found.ok_or(QueueError::NotFound(id))?)
    }

    /// Takes the oldest queued request for `worker`, or `None` when the queue is empty. Two workers
    /// never get the same request.
    pub async fn claim(&self, worker: &str) -> Result<Option<Request>, QueueError> {
        self.claim_open(worker, &Closed::default()).await
    }

    /// [`claim`](Self::claim), leaving alone the requests bound for a `closed` destination (IT
    /// paused it, or its load guard tripped).
    pub async fn claim_open(
        &self,
        worker: &str,
        closed: &Closed,
    ) -> Result<Option<Request>, QueueError> {
        let table = JobTable {
            table: "migration_requests",
            order_by: "queued_at",
            // A new run's progress starts afresh: the last run's would say nothing moved for long.
            also_set: ", attempts = attempts + 1, progress = NULL",
            // Three heartbeats: the run that held it before stops at its next one.
            settle_secs: 3,
        };
        let from = RequestState::Queued;
        let to = transition(from, Event::Claimed)?;
        let txn = crate::db::begin(self.db).await?;
        let also_where = closed.sql();
        let claimed = match claim_oldest(
            &txn,
            &table,
            from.as_str(),
            to.as_str(),
            worker,
            &also_where,
        )
        .await?
        {
            Some(id) => {
                let change = Entry::Changed { from, to };
                timeline::record(&txn, RequestId(id), change, Actor::Worker(worker), None).await?;
                Some((Queue { db: &txn }).get(RequestId(id)).await?)
            }
            None => None,
        };
        txn.commit().await?;
        Ok(claimed)
    }

    /// The worker still holds the request: refreshes its heartbeat. `false` means it no longer does
    /// (paused, cancelled, or handed to another worker after the heartbeat expired): stop working on it.
    pub async fn heartbeat(&self, id: RequestId, worker: &str) -> Result<bool, QueueError> {
        self.touch(id, worker, None).await
    }

    /// Applies `event` to the request if the state machine allows it and the row has not changed since
    /// it was read, and records who did it. Events from a worker apply only while that worker holds
    /// the request; `error` is why a run stopped.
    pub async fn apply(
        &self,
        id: RequestId,
        event: Event,
        actor: Actor<'_>,
        error: Option<&str>,
    ) -> Result<RequestState, QueueError> {
        let current = self.get(id).await?;
        let in_wave = match current.wave_id {
            Some(wave) => super::waves::store::holds_requests(self.db, wave).await?,
            None => false,
        };
        let next = transition_in(current.state, event, in_wave)?;
        let at = now();
        let mut update = row::Entity::update_many()
            .col_expr(row::Column::State, Expr::value(next.as_str()))
            .col_expr(row::Column::UpdatedAt, Expr::value(at))
            .filter(row::Column::Id.eq(id.0))
            .filter(row::Column::State.eq(current.state.as_str()));
        if let Actor::Worker(worker) = actor {
            update = update.filter(row::Column::Worker.eq(worker));
        }
        if next != RequestState::Copying {
            update = update
                .col_expr(row::Column::Worker, Expr::value(Option::<String>::None))
                .col_expr(row::Column::HeartbeatAt, Expr::value(Option::<i64>::None));
        }
        if next == RequestState::Queued {
            update = update.col_expr(row::Column::QueuedAt, Expr::value(at));
        }
        // Someone chose to run it again: earlier crashes no longer count against it.
        if matches!(event, Event::Resume | Event::Retry | Event::CatchUp) {
            update = update.col_expr(row::Column::CrashedRuns, Expr::value(0));
        }
        // Unfinished requests hold their user's `active_key`, so each user has at most one.
        let active = next.is_open().then_some(current.user_id.0);
        update = update.col_expr(row::Column::ActiveKey, Expr::value(active));
        if let Some(error) = error {
            update = update.col_expr(row::Column::LastError, Expr::value(error));
        }
        // The class explains a stop: running again (or finishing) leaves nothing to explain.
        if !next.is_trouble() {
            update = update.col_expr(
                row::Column::FailureClass,
                Expr::value(Option::<String>::None),
            );
        }
        let txn = crate::db::begin(self.db).await?;
        let applied = match update.exec(&txn).await {
            Ok(result) => result.rows_affected == 1,
            // The user started another request meanwhile (e.g. a catch-up of an old one).
            Err(e) if is_unique_violation(&e) => false,
            Err(e) => return Err(e.into()),
        };
        if !applied {
            drop(txn);
            let now = self.get(id).await?.state;
            return Err(QueueError::Changed { id, now });
        }
        let change = Entry::Changed {
            from: current.state,
            to: next,
        };
        timeline::record(&txn, id, change, actor, error).await?;
        txn.commit().await?;
        Ok(next)
    }

    /// Requests whose worker has not sent a heartbeat for `stale_after` (it died, or lost the
    /// database). Each such run counts as crashed: under `max_attempts` the request goes back in the
    /// queue (the journal makes the next run exact); at the cap it is returned, still held by the dead
    /// run, for the caller to end as failed with its emails.
    pub async fn recover(
        &self,
        stale_after: Duration,
        max_attempts: u32,
    ) -> Result<Recovered, QueueError> {
        let before = now() - i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
        let stale = row::Entity::find()
            .filter(row::Column::State.eq(RequestState::Copying.as_str()))
            .filter(row::Column::HeartbeatAt.lt(before))
            .all(self.db)
            .await?;
        let mut recovered = Recovered::default();
        for found in stale {
            let request = request(found)?;
            let holder = request.worker.clone().unwrap_or_default();
            match after_crash(request.crashed_runs, max_attempts) {
                AfterCrash::GiveUp => recovered.give_up.push(request),
                AfterCrash::Retry => {
                    // Only if it is still the same stale run: a late heartbeat wins.
                    let still_stale = row::Column::Worker
                        .eq(holder)
                        .and(row::Column::HeartbeatAt.lt(before));
                    recovered.requeued += self
                        .requeue_copying(still_stale, true, "its worker stopped answering; back in the queue, to resume where it was")
                        .await?;
                }
            }
        }
        Ok(recovered)
    }

    /// The run held by `holder` crashed (its copy panicked): back in the queue, counted as crashed.
    pub async fn requeue_crashed(&self, id: RequestId, holder: &str) -> Result<bool, QueueError> {
        let which = row::Column::Id.eq(id.0).and(row::Column::Worker.eq(holder));
        let why = "the copy crashed; back in the queue, to resume where it was";
        Ok(self.requeue_copying(which, true, why).await? == 1)
    }

    /// Puts the copying requests `which` selects back in the queue, held by nobody; `crashed` counts
    /// the run that held them as one that ended without an answer. Each is recorded with `why`.
    async fn requeue_copying(
        &self,
        which: SimpleExpr,
        crashed: bool,
        why: &str,
    ) -> Result<u64, QueueError> {
        let from = RequestState::Copying;
        let to = transition(from, Event::WorkerLost)?;
        let held: Vec<(i64, Option<String>)> = row::Entity::find()
            .select_only()
            .column(row::Column::Id)
            .column(row::Column::Worker)
            .filter(row::Column::State.eq(from.as_str()))
            .filter(which.clone())
            .into_tuple()
            .all(self.db)
            .await?;
        let mut requeued = 0;
        for (id, holder) in held {
            let at = now();
            let mut update = row::Entity::update_many()
                .col_expr(row::Column::State, Expr::value(to.as_str()))
                .col_expr(row::Column::Worker, Expr::value(Option::<String>::None))
                .col_expr(row::Column::HeartbeatAt, Expr::value(Option::<i64>::None))
                .col_expr(row::Column::QueuedAt, Expr::value(at))
                .col_expr(row::Column::UpdatedAt, Expr::value(at));
            if crashed {
                update = update.col_expr(
                    row::Column::CrashedRuns,
                    Expr::col(row::Column::CrashedRuns).add(1),
                );
            }
            let txn = crate::db::begin(self.db).await?;
            let updated = update
                .filter(row::Column::Id.eq(id))
                .filter(row::Column::State.eq(from.as_str()))
                .filter(which.clone())
                .exec(&txn)
                .await?;
            if updated.rows_affected == 1 {
                let detail = format!("{why} (run {})", holder.unwrap_or_default());
                let change = Entry::Changed { from, to };
                timeline::record(&txn, RequestId(id), change, Actor::Fountain, Some(&detail))
                    .await?;
                requeued += 1;
            }
            txn.commit().await?;
        }
        Ok(requeued)
    }

    /// Stores live progress and the run's protocol summary (JSON) while `worker` holds the request,
    /// which is also its heartbeat; `false` if it no longer holds it.
    pub async fn record_progress(
        &self,
        id: RequestId,
        worker: &str,
        progress: &str,
        protocol: &str,
    ) -> Result<bool, QueueError> {
        self.touch(id, worker, Some((progress, protocol))).await
    }

    /// Refreshes the heartbeat (and the progress and protocol, if given) of a request `worker`
    /// still holds.
    async fn touch(
        &self,
        id: RequestId,
        worker: &str,
        progress: Option<(&str, &str)>,
    ) -> Result<bool, QueueError> {
        let mut update = row::Entity::update_many()
            .col_expr(row::Column::HeartbeatAt, Expr::value(now()))
            .filter(row::Column::Id.eq(id.0))
            .filter(row::Column::Worker.eq(worker))
            .filter(row::Column::State.eq(RequestState::Copying.as_str()));
        if let Some((progress, protocol)) = progress {
            update = update
                .col_expr(row::Column::Progress, Expr::value(progress))
                .col_expr(row::Column::Protocol, Expr::value(protocol));
        }
        Ok(update.exec(self.db).await?.rows_affected == 1)
    }

    /// Records why the run stopped short (`None`: it did not), with the state change that ends it.
    pub async fn record_failure_class(
        &self,
        id: RequestId,
        class: Option<FailureClass>,
    ) -> Result<(), QueueError> {
        row::Entity::update_many()
            .col_expr(
                row::Column::FailureClass,
                Expr::value(class.map(|c| c.as_str().to_owned())),
            )
            .filter(row::Column::Id.eq(id.0))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// Stores the engine's report (JSON), before the state change that ends the run.
    pub async fn record_report(&self, id: RequestId, report: &str) -> Result<(), QueueError> {
        row::Entity::update_many()
            .col_expr(row::Column::Report, Expr::value(report))
            .filter(row::Column::Id.eq(id.0))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// The stored progress and report (JSON), for the pages.
    pub async fn details(
        &self,
        id: RequestId,
    ) -> Result<(Option<String>, Option<String>), QueueError> {
        let found = self.row(id).await?;
        Ok((found.progress, found.report))
    }

    /// The last run's protocol summary, if any run wrote one.
    pub async fn protocol(&self, id: RequestId) -> Result<Option<stored::Protocol>, QueueError> {
        Ok(self
            .row(id)
            .await?
            .protocol
            .and_then(|json| stored::read(&json)))
    }

    async fn row(&self, id: RequestId) -> Result<row::Model, QueueError> {
        row::Entity::find_by_id(id.0)
            .one(self.db)
            .await?
            .ok_or(QueueError::NotFound(id))
    }

    /// The user's latest request, finished or not.
    pub async fn latest_for(&self, user_id: UserId) -> Result<Option<Request>, QueueError> {
        use sea_orm::QueryOrder;
        row::Entity::find()
            .filter(row::Column::UserId.eq(user_id.0))
            .order_by_desc(row::Column::Id)
            .one(self.db)
            .await?
            .map(request)
            .transpose()
    }

    /// Puts back in the queue every request held by a claim starting with `holder_prefix` (a worker
    /// that stopped its copies before exiting).
    pub async fn release(&self, holder_prefix: &str) -> Result<u64, QueueError> {
        let why = "its worker was stopped; handed back to the queue, to resume where it was";
        self.requeue_copying(row::Column::Worker.starts_with(holder_prefix), false, why)
            .await
    }

    /// How many queued requests go before this one (0: it is next).
    pub async fn position(&self, id: RequestId) -> Result<u64, QueueError> {
        let found = row::Entity::find_by_id(id.0)
            .one(self.db)
            .await?
            .ok_or(QueueError::NotFound(id))?;
        let queued_at = found.queued_at.unwrap_or(found.created_at);
        let ahead = row::Entity::find()
            .filter(row::Column::State.eq(RequestState::Queued.as_str()))
            .filter(
                Expr::col(row::Column::QueuedAt)
                    .lt(queued_at)
                    .or(Expr::col(row::Column::QueuedAt)
                        .eq(queued_at)
                        .and(Expr::col(row::Column::Id).lt(id.0))),
            )
            .count(self.db)
            .await?;
        Ok(ahead)
    }
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

fn request(found: row::Model) -> Result<Request, QueueError> {
    let id = RequestId(found.id);
    let state = RequestState::parse(&found.state).ok_or(QueueError::Corrupt {
        id,
        stored: found.state.clone(),
    })?;
    let folders = serde_json::from_str(&found.folders).map_err(|_| QueueError::Corrupt {
        id,
        stored: found.folders.clone(),
    })?;
    Ok(Request {
        id,
        user_id: UserId(found.user_id),
        state,
        folders,
        worker: found.worker,
        attempts: found.attempts,
        crashed_runs: found.crashed_runs,
        last_error: found.last_error,
        // An unknown class (from a newer version) reads as unclassified, not as an error.
        failure_class: found.failure_class.as_deref().and_then(FailureClass::parse),
        wave_id: found.wave_id,
        destination: match found.destination {
            None => None,
            Some(stored) => Some(
                DestinationName::parse(&stored).map_err(|_| QueueError::Corrupt { id, stored })?,
            ),
        },
    })
}
