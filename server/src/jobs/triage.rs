//! The helpdesk's triage queue: which requests need someone and why (the bucket, decided by a pure
//! function from what the request row says), with counts per failure class.
use std::collections::HashMap;

use app::dto::{FailureClass, RequestId, RequestState, Stall, Triage, TriageBucket, TriageRow};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entity::{migration_request as request, user};
use crate::db::now;
use crate::db::stored;

/// How many rows the queue shows at most (the oldest first).
pub const MAX_ROWS: usize = 500;

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
/// `heartbeat_timeout`, or nothing moved (or it waited in the queue) for longer than `stuck_after`.
pub fn stall(facts: Facts, heartbeat_timeout: i64, stuck_after: i64) -> Option<Stall> {
    let over = |secs: Option<i64>, limit: i64| secs.is_some_and(|s| s > limit);
    match facts.state {
        RequestState::Copying if over(facts.silent_for, heartbeat_timeout) => {
            Some(Stall::WorkerSilent)
        }
        RequestState::Copying if over(facts.still_for, stuck_after) => Some(Stall::NoProgress),
        RequestState::Queued if over(facts.queued_for, stuck_after) => Some(Stall::WaitingLong),
        _ => None,
    }
}

/// Counts per class, in the classes' own order, leaving out those with none.
pub fn class_counts(rows: &[TriageRow]) -> Vec<(FailureClass, u64)> {
    FailureClass::ALL
        .into_iter()
        .map(|c| (c, rows.iter().filter(|r| r.class == Some(c)).count() as u64))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The queue as the database has it now.
pub async fn triage(
    db: &impl ConnectionTrait,
    heartbeat_timeout: i64,
    stuck_after: i64,
) -> Result<Triage, DbErr> {
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
    let found_active = found
        .iter()
        .filter(|r| RequestState::parse(&r.state).is_some_and(RequestState::is_active))
        .count();
    let ids: Vec<i64> = found.iter().map(|r| r.user_id).collect();
    let people: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let at = now();
    let mut rows: Vec<TriageRow> = found
        .into_iter()
        .filter_map(|r| {
            let person = people.get(&r.user_id)?;
            row(r, person, at, heartbeat_timeout, stuck_after)
        })
        .collect();
    let moving = found_active > 0;
    rows.sort_by_key(|r| (r.bucket, r.since));
    rows.truncate(MAX_ROWS);
    Ok(Triage {
        classes: class_counts(&rows),
        rows,
        moving,
    })
}

fn row(
    r: request::Model,
    person: &user::Model,
    at: i64,
    heartbeat_timeout: i64,
    stuck_after: i64,
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
    };
    let bucket = bucket(facts, heartbeat_timeout, stuck_after)?;
    let stall = stall(facts, heartbeat_timeout, stuck_after);
    let progress = progress.unwrap_or_default();
    Some(TriageRow {
        request_id: RequestId(r.id),
        person: person.display_name.clone(),
        email: person.email.clone(),
        state,
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
            state in 0usize..7,
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
            };
            let stuck = bucket(facts, 60, 1800) == Some(TriageBucket::Stuck);
            proptest::prop_assert_eq!(stuck, stall(facts, 60, 1800).is_some());
            if stuck {
                proptest::prop_assert!(facts.state.is_active());
            }
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
            request_id: RequestId(1),
            person: "A".into(),
            email: "a@example.org".into(),
            state: RequestState::Failed,
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
