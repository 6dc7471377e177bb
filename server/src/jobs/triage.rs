//! The helpdesk's triage queue: which requests need someone and why (the bucket, decided by a pure
//! function from what the request row says), with counts per failure class, narrowed, ordered and
//! cut into pages on the server.
use std::collections::HashMap;

use app::dto::{
    FailureClass, RequestId, RequestState, Stall, Triage, TriageBucket, TriageQuery, TriageRow,
    TriageSort, UserId,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entity::{migration_request as request, old_account, request_event, user};
use crate::db::now;
use crate::db::stored;

/// Rows per page.
pub const PER_PAGE: u32 = 50;
/// Someone who connected their old mailbox this long ago and never started waits for a nudge.
pub const NEVER_STARTED_AFTER_SECS: i64 = 86_400;
/// Runs that tell how long a run takes: the most recent, within a week.
const RUNS_MEASURED: usize = 50;
const RUNS_WINDOW_SECS: i64 = 7 * 86_400;
/// Claims and ends read from the log to find them (at two per run, plenty).
const EVENTS_READ: u64 = 20 * RUNS_MEASURED as u64;

/// What the bucket decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: RequestState,
    pub class: Option<FailureClass>,
    /// Seconds since the last heartbeat, while copying.
    pub silent_for: Option<i64>,
    /// Seconds since something was last copied (or the run started), while copying.
    pub still_for: Option<i64>,
    /// Seconds since it was queued, while queued.
    pub queued_for: Option<i64>,
    /// How long its place in the queue explains waiting (see [`explained_wait`]), while queued.
    pub explained_wait: Option<i64>,
}

/// The whole queue: every row that needs someone, by reason then longest waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Everything {
    pub rows: Vec<TriageRow>,
    /// Some request is queued or copying.
    pub moving: bool,
}

/// The request's bucket, or `None` when nobody needs to look (it runs, is paused, or ended well).
pub fn bucket(facts: Facts, heartbeat_timeout: i64, stuck_after: i64) -> Option<TriageBucket> {
    match facts.state {
        RequestState::Failed if facts.class == Some(FailureClass::OldLoginRefused) => {
            Some(TriageBucket::WaitingForPerson)
        }
        RequestState::Failed => Some(TriageBucket::Failed),
        RequestState::NeedsAttention => Some(TriageBucket::NeedsAttention),
        _ => stall(facts, heartbeat_timeout, stuck_after).map(|_| TriageBucket::Stuck),
    }
}

/// Why a queued or copying request is stuck, if it is: its worker is silent for longer than
/// `heartbeat_timeout`, nothing moved for longer than `stuck_after`, or it waited in the queue
/// longer than `stuck_after` and twice what its place in the queue explains.
pub fn stall(facts: Facts, heartbeat_timeout: i64, stuck_after: i64) -> Option<Stall> {
    let over = |secs: Option<i64>, limit: i64| secs.is_some_and(|s| s > limit);
    let queue_limit = stuck_after.max(facts.explained_wait.unwrap_or(0).saturating_mul(2));
    match facts.state {
        RequestState::Copying if over(facts.silent_for, heartbeat_timeout) => {
            Some(Stall::WorkerSilent)
        }
        RequestState::Copying if over(facts.still_for, stuck_after) => Some(Stall::NoProgress),
        RequestState::Queued if over(facts.queued_for, queue_limit) => Some(Stall::WaitingLong),
        _ => None,
    }
}

/// How long the request `ahead` places from the front of the queue may wait, with `slots` copies
/// running at once that each take about `typical_run` seconds: the rounds before its turn, and
/// the one it may wait for a slot.
pub fn explained_wait(ahead: u64, slots: u64, typical_run: i64) -> i64 {
    let rounds = (ahead / slots.max(1)).saturating_add(1);
    i64::try_from(rounds)
        .unwrap_or(i64::MAX)
        .saturating_mul(typical_run.max(0))
}

/// How long a run takes, from the log: the median from claim to done of the last runs that ended
/// done (`events` are (request, at, state it went to), oldest first); `None` before any.
pub fn typical_run<'a>(events: impl IntoIterator<Item = (i64, i64, &'a str)>) -> Option<i64> {
    let mut started: HashMap<i64, i64> = HashMap::new();
    let mut runs = Vec::new();
    for (request, at, to) in events {
        match to {
            "copying" => {
                started.insert(request, at);
            }
            "done" => {
                if let Some(start) = started.remove(&request) {
                    runs.push((at - start).max(0));
                }
            }
            _ => {}
        }
    }
    let from = runs.len().saturating_sub(RUNS_MEASURED);
    let recent = &mut runs[from..];
    recent.sort_unstable();
    recent.get(recent.len() / 2).copied()
}

/// Counts per class, in the classes' own order, leaving out those with none.
pub fn class_counts(rows: &[TriageRow]) -> Vec<(FailureClass, u64)> {
    FailureClass::ALL
        .into_iter()
        .map(|c| (c, rows.iter().filter(|r| r.class == Some(c)).count() as u64))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Counts per bucket, in the buckets' order, leaving out those with none.
pub fn bucket_counts(rows: &[TriageRow]) -> Vec<(TriageBucket, u64)> {
    TriageBucket::ALL
        .into_iter()
        .map(|b| (b, rows.iter().filter(|r| r.bucket == b).count() as u64))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The page `query` asks for of `everything`: the rows its selection holds, in its order.
pub fn page(everything: Everything, query: &TriageQuery, per_page: u32) -> Triage {
    let per_page = per_page.max(1);
    let classes = class_counts(&everything.rows);
    let buckets = bucket_counts(&everything.rows);
    let mut rows: Vec<TriageRow> = everything
        .rows
        .into_iter()
        .filter(|r| query.selection.holds(r))
        .collect();
    sort(&mut rows, query.sort);
    let total = rows.len() as u64;
    let last_page =
        u32::try_from(total.saturating_sub(1) / u64::from(per_page)).unwrap_or(u32::MAX);
    let page = query.page.min(last_page);
    let skip = page as usize * per_page as usize;
    let rows = rows
        .into_iter()
        .skip(skip)
        .take(per_page as usize)
        .collect();
    Triage {
        rows,
        total,
        page,
        per_page,
        classes,
        buckets,
        moving: everything.moving,
        undelivered: Vec::new(),
    }
}

/// Orders rows as `sort` says; the request id settles ties, so pages never overlap.
pub fn sort(rows: &mut [TriageRow], sort: TriageSort) {
    match sort {
        TriageSort::Reason => rows.sort_by_key(|r| (r.bucket, r.since, r.request_id, r.user_id)),
        TriageSort::Oldest => rows.sort_by_key(|r| (r.since, r.request_id, r.user_id)),
        TriageSort::Newest => {
            rows.sort_by_key(|r| (std::cmp::Reverse(r.since), r.request_id, r.user_id));
        }
        TriageSort::Person => rows.sort_by_cached_key(|r| {
            (
                r.person.to_lowercase(),
                r.email.to_lowercase(),
                r.request_id,
            )
        }),
        TriageSort::Largest => {
            rows.sort_by_key(|r| (std::cmp::Reverse(r.bytes_total), r.request_id, r.user_id));
        }
    }
}

/// The configuration the decisions use.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub heartbeat_timeout: i64,
    pub stuck_after: i64,
    /// Copies that run at once (per worker process).
    pub slots: u64,
}

/// The queue as the database has it now.
pub async fn triage(db: &impl ConnectionTrait, limits: Thresholds) -> Result<Everything, DbErr> {
    let open = [
        RequestState::Queued,
        RequestState::Copying,
        RequestState::Failed,
        RequestState::NeedsAttention,
    ]
    .map(|s| s.as_str());
    let found = request::Entity::find()
        .filter(request::Column::State.is_in(open))
        .order_by_asc(request::Column::UpdatedAt)
        .all(db)
        .await?;
    let moving = found
        .iter()
        .any(|r| RequestState::parse(&r.state).is_some_and(RequestState::is_active));
    let at = now();
    let waiting = never_started(db, at - NEVER_STARTED_AFTER_SECS).await?;
    let ids: Vec<i64> = found
        .iter()
        .map(|r| r.user_id)
        .chain(waiting.iter().map(|a| a.user_id))
        .collect();
    let people = crate::db::people::by_ids(db, ids).await?;
    // Places in the queue, in the order workers claim (oldest queued first).
    let mut queued: Vec<(i64, i64)> = found
        .iter()
        .filter(|r| r.state == RequestState::Queued.as_str())
        .map(|r| (r.queued_at.unwrap_or(r.updated_at), r.id))
        .collect();
    queued.sort_unstable();
    let ahead: HashMap<i64, u64> = queued
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (*id, i as u64))
        .collect();
    let typical = if queued.is_empty() {
        limits.stuck_after
    } else {
        typical_run_since(db, at - RUNS_WINDOW_SECS)
            .await?
            .unwrap_or(limits.stuck_after)
    };
    let mut rows: Vec<TriageRow> = found
        .into_iter()
        .filter_map(|r| {
            let person = people.get(&r.user_id)?;
            let explained = ahead
                .get(&r.id)
                .map(|a| explained_wait(*a, limits.slots, typical));
            row(r, person, at, explained, limits)
        })
        .collect();
    rows.extend(waiting.into_iter().filter_map(|account| {
        let person = people.get(&account.user_id)?;
        Some(TriageRow {
            request_id: None,
            user_id: UserId(person.id),
            person: person.display_name.clone(),
            email: person.email.clone(),
            state: None,
            bucket: TriageBucket::WaitingForPerson,
            since: account.verified_at,
            bytes_done: 0,
            bytes_total: 0,
            last_error: None,
            class: None,
            stall: None,
        })
    }));
    sort(&mut rows, TriageSort::Reason);
    Ok(Everything { rows, moving })
}

/// Old accounts connected before `connected_before` whose person never asked for a migration.
async fn never_started(
    db: &impl ConnectionTrait,
    connected_before: i64,
) -> Result<Vec<old_account::Model>, DbErr> {
    let with_requests = Query::select()
        .column(request::Column::UserId)
        .from(request::Entity)
        .to_owned();
    old_account::Entity::find()
        .filter(old_account::Column::VerifiedAt.lt(connected_before))
        .filter(old_account::Column::UserId.not_in_subquery(with_requests))
        .all(db)
        .await
}

async fn typical_run_since(db: &impl ConnectionTrait, since: i64) -> Result<Option<i64>, DbErr> {
    // The newest events are enough for the last runs (and keep a busy week's log out of memory).
    let mut events: Vec<(i64, i64, Option<String>)> = request_event::Entity::find()
        .select_only()
        .column(request_event::Column::RequestId)
        .column(request_event::Column::At)
        .column(request_event::Column::ToState)
        .filter(request_event::Column::Kind.eq("changed"))
        .filter(request_event::Column::ToState.is_in(["copying", "done"]))
        .filter(request_event::Column::At.gte(since))
        .order_by_desc(request_event::Column::Id)
        .limit(EVENTS_READ)
        .into_tuple()
        .all(db)
        .await?;
    events.reverse();
    Ok(typical_run(events.iter().map(|(request, at, to)| {
        (*request, *at, to.as_deref().unwrap_or_default())
    })))
}

fn row(
    r: request::Model,
    person: &user::Model,
    at: i64,
    explained_wait: Option<i64>,
    limits: Thresholds,
) -> Option<TriageRow> {
    let state = RequestState::parse(&r.state)?;
    let class = r.failure_class.as_deref().and_then(FailureClass::parse);
    let progress: Option<app::dto::Progress> = r
        .progress
        .as_deref()
        .and_then(stored::read::<stored::Progress>)
        .map(Into::into);
    // Before its first progress, a run has been still since it was claimed.
    let moved_at = progress.as_ref().map_or(r.updated_at, |p| p.moved_at);
    let facts = Facts {
        state,
        class,
        silent_for: r.heartbeat_at.map(|h| at - h),
        still_for: (state == RequestState::Copying).then(|| at - moved_at),
        queued_for: r.queued_at.map(|q| at - q),
        explained_wait,
    };
    let bucket = bucket(facts, limits.heartbeat_timeout, limits.stuck_after)?;
    let stall = stall(facts, limits.heartbeat_timeout, limits.stuck_after);
    let progress = progress.unwrap_or_default();
    Some(TriageRow {
        request_id: Some(RequestId(r.id)),
        user_id: UserId(r.user_id),
        person: person.display_name.clone(),
        email: person.email.clone(),
        state: Some(state),
        bucket,
        since: r.updated_at,
        bytes_done: progress.bytes_done,
        bytes_total: progress.bytes_total,
        last_error: r.last_error,
        class,
        stall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(state: RequestState) -> Facts {
        Facts {
            state,
            class: None,
            silent_for: None,
            still_for: None,
            queued_for: None,
            explained_wait: None,
        }
    }

    #[test]
    fn stops_are_triaged_and_a_refused_old_login_waits_for_the_person() {
        assert_eq!(
            bucket(facts(RequestState::Failed), 60, 1800),
            Some(TriageBucket::Failed)
        );
        let refused = Facts {
            class: Some(FailureClass::OldLoginRefused),
            ..facts(RequestState::Failed)
        };
        assert_eq!(
            bucket(refused, 60, 1800),
            Some(TriageBucket::WaitingForPerson)
        );
        assert_eq!(
            bucket(facts(RequestState::NeedsAttention), 60, 1800),
            Some(TriageBucket::NeedsAttention)
        );
    }

    #[test]
    fn only_a_silent_copy_or_a_long_wait_is_stuck() {
        let copying = |silent| Facts {
            silent_for: Some(silent),
            ..facts(RequestState::Copying)
        };
        assert_eq!(bucket(copying(5), 60, 1800), None);
        assert_eq!(bucket(copying(61), 60, 1800), Some(TriageBucket::Stuck));
        let queued = |waited| Facts {
            queued_for: Some(waited),
            ..facts(RequestState::Queued)
        };
        assert_eq!(bucket(queued(600), 60, 1800), None);
        assert_eq!(bucket(queued(1801), 60, 1800), Some(TriageBucket::Stuck));
    }

    #[test]
    fn a_live_copy_that_copies_nothing_for_long_is_stuck_and_says_why() {
        let copying = |silent, still| Facts {
            silent_for: Some(silent),
            still_for: Some(still),
            ..facts(RequestState::Copying)
        };
        assert_eq!(stall(copying(1, 600), 60, 1800), None);
        assert_eq!(stall(copying(1, 1801), 60, 1800), Some(Stall::NoProgress));
        assert_eq!(
            bucket(copying(1, 1801), 60, 1800),
            Some(TriageBucket::Stuck)
        );
        // A silent worker says more than a still copy.
        assert_eq!(
            stall(copying(61, 1801), 60, 1800),
            Some(Stall::WorkerSilent)
        );
        let queued = Facts {
            queued_for: Some(1801),
            ..facts(RequestState::Queued)
        };
        assert_eq!(stall(queued, 60, 1800), Some(Stall::WaitingLong));
        assert_eq!(stall(facts(RequestState::Failed), 60, 1800), None);
    }

    proptest::proptest! {
        /// Stuck exactly when there is a reason to say, and never for a stop or what the person chose.
        #[test]
        fn stuck_always_comes_with_its_reason(
            state in 0usize..RequestState::ALL.len(),
            silent in proptest::option::of(0i64..10_000),
            still in proptest::option::of(0i64..10_000),
            queued in proptest::option::of(0i64..10_000),
        ) {
            let facts = Facts {
                state: RequestState::ALL[state],
                class: None,
                silent_for: silent,
                still_for: still,
                queued_for: queued,
                explained_wait: None,
            };
            let stuck = bucket(facts, 60, 1800) == Some(TriageBucket::Stuck);
            proptest::prop_assert_eq!(stuck, stall(facts, 60, 1800).is_some());
            if stuck {
                proptest::prop_assert!(facts.state.is_active());
            }
        }
    }

    #[test]
    fn a_long_wait_its_place_in_the_queue_explains_is_not_stuck() {
        // Tenth in line, two copies at once of ten minutes each: about an hour is explained.
        let explained = explained_wait(10, 2, 600);
        assert_eq!(explained, 6 * 600);
        let queued = |waited| Facts {
            queued_for: Some(waited),
            explained_wait: Some(explained),
            ..facts(RequestState::Queued)
        };
        assert_eq!(stall(queued(1801), 60, 1800), None, "well within its turn");
        assert_eq!(
            stall(queued(2 * explained + 1), 60, 1800),
            Some(Stall::WaitingLong)
        );
        // First in line: the configured wait is the limit.
        let first = Facts {
            queued_for: Some(1801),
            explained_wait: Some(explained_wait(0, 2, 600)),
            ..facts(RequestState::Queued)
        };
        assert_eq!(stall(first, 60, 1800), Some(Stall::WaitingLong));
        assert_eq!(
            explained_wait(u64::MAX, 0, i64::MAX),
            i64::MAX,
            "never overflows"
        );
    }

    #[test]
    fn a_typical_run_is_the_median_from_claim_to_done() {
        let events = [
            (1, 0, "copying"),
            (2, 10, "copying"),
            (1, 100, "done"),
            (3, 100, "copying"),
            (3, 130, "failed"),
            // Claimed again after a pause: the run is the last claim's.
            (2, 200, "paused"),
            (2, 300, "copying"),
            (2, 320, "done"),
            (4, 400, "copying"),
            (4, 1400, "done"),
        ];
        assert_eq!(typical_run(events), Some(100));
        assert_eq!(typical_run([(1, 0, "copying")]), None);
    }

    fn sample_row(
        id: i64,
        bucket: TriageBucket,
        since: i64,
        bytes: u64,
        person: &str,
    ) -> TriageRow {
        TriageRow {
            // Every fifth never started.
            request_id: (id % 5 != 4).then_some(RequestId(id)),
            user_id: UserId(id),
            person: person.into(),
            email: format!("{id}@example.org"),
            state: Some(RequestState::Failed),
            bucket,
            since,
            bytes_done: 0,
            bytes_total: bytes,
            last_error: None,
            class: (id % 3 == 0).then_some(FailureClass::Internal),
            stall: None,
        }
    }

    #[test]
    fn a_page_counts_the_whole_queue_and_holds_the_selection_in_its_order() {
        let rows: Vec<TriageRow> = (0..7)
            .map(|i| {
                let bucket = if i % 2 == 0 {
                    TriageBucket::Failed
                } else {
                    TriageBucket::Stuck
                };
                sample_row(i, bucket, 100 - i, i as u64 * 10, "x")
            })
            .collect();
        let everything = Everything {
            rows,
            moving: false,
        };
        let query = TriageQuery {
            selection: app::dto::TriageSelection {
                bucket: Some(TriageBucket::Failed),
                class: None,
            },
            sort: TriageSort::Largest,
            page: 1,
        };
        let shown = page(everything.clone(), &query, 3);
        assert_eq!(shown.total, 4);
        assert_eq!(shown.pages(), 2);
        let ids: Vec<i64> = shown.rows.iter().map(|r| r.user_id.get()).collect();
        assert_eq!(ids, [0], "the second page of 6, 4, 2, 0");
        assert_eq!(
            shown.buckets,
            [(TriageBucket::Stuck, 3), (TriageBucket::Failed, 4)]
        );
        assert_eq!(shown.classes, [(FailureClass::Internal, 3)]);
        // Past the end: the last page.
        let far = page(everything, &TriageQuery { page: 99, ..query }, 3);
        assert_eq!(far.page, 1);
    }

    proptest::proptest! {
        /// Every row the selection holds is on exactly one page, whatever the order and page size.
        #[test]
        fn pages_cover_the_selection_once(
            rows in proptest::collection::vec((0usize..4, 0i64..50, 0u64..1000, "\\PC{0,8}"), 0..60),
            sort in 0usize..5,
            per_page in 1u32..20,
            bucket in proptest::option::of(0usize..4),
        ) {
            let rows: Vec<TriageRow> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (b, since, bytes, person))| sample_row(i as i64, TriageBucket::ALL[b], since, bytes, &person))
                .collect();
            let everything = Everything { rows: rows.clone(), moving: true };
            let mut query = TriageQuery {
                selection: app::dto::TriageSelection { bucket: bucket.map(|b| TriageBucket::ALL[b]), class: None },
                sort: TriageSort::ALL[sort],
                page: 0,
            };
            let first = page(everything.clone(), &query, per_page);
            let mut seen = Vec::new();
            for p in 0..first.pages() {
                query.page = p;
                let shown = page(everything.clone(), &query, per_page);
                proptest::prop_assert!(shown.rows.len() <= per_page as usize);
                seen.extend(shown.rows.into_iter().map(|r| r.user_id));
            }
            let mut wanted: Vec<UserId> = rows
                .iter()
                .filter(|r| query.selection.holds(r))
                .map(|r| r.user_id)
                .collect();
            proptest::prop_assert_eq!(seen.len() as u64, first.total);
            seen.sort();
            wanted.sort();
            proptest::prop_assert_eq!(seen, wanted);
        }
    }

    #[test]
    fn what_the_person_chose_or_what_ended_well_is_left_alone() {
        for state in [
            RequestState::Paused,
            RequestState::Done,
            RequestState::Cancelled,
        ] {
            assert_eq!(bucket(facts(state), 60, 1800), None, "{state}");
        }
    }

    #[test]
    fn classes_are_counted_in_their_order() {
        let row = |class| TriageRow {
            request_id: Some(RequestId(1)),
            user_id: UserId(1),
            person: "A".into(),
            email: "a@example.org".into(),
            state: Some(RequestState::Failed),
            bucket: TriageBucket::Failed,
            since: 0,
            bytes_done: 0,
            bytes_total: 0,
            last_error: None,
            class,
            stall: None,
        };
        let rows = [
            row(Some(FailureClass::Internal)),
            row(Some(FailureClass::Tls)),
            row(Some(FailureClass::Internal)),
            row(None),
        ];
        assert_eq!(
            class_counts(&rows),
            vec![(FailureClass::Tls, 1), (FailureClass::Internal, 2)]
        );
    }
}
