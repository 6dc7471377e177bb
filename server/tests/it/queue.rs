//! The migration request queue on both databases: one request per user however often it is submitted,
//! concurrent workers never share a request (PostgreSQL's SKIP LOCKED, SQLite's single writer), a dead
//! worker's request goes back to the queue, and a worker that lost its request cannot finish it.

use std::time::Duration;

use crate::support::{fresh_database, Backend};
use app::dto::{FailureClass, Reason, RequestId, UserId, Who};
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use server::db::entity::user;
use server::jobs::queue::{Queue, QueueError};
use server::jobs::state::{Event, RequestState};
use server::jobs::timeline::Actor;

async fn database(backend: Backend) -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, &dir).await;
    let db = server::db::connect(&url).await.unwrap();
    (dir, db)
}

async fn user(db: &DatabaseConnection, name: &str) -> UserId {
    let inserted = user::Entity::insert(user::ActiveModel {
        subject: Set(name.into()),
        email: Set(format!("{name}@example.org")),
        display_name: Set(name.into()),
        roles: Set("user".into()),
        created_at: Set(0),
        last_login_at: Set(0),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap();
    UserId(inserted.last_insert_id)
}

fn folders(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

async fn one_request_per_user(backend: Backend) {
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let alice = user(&db, "alice").await;
    let (first, created) = queue.submit(alice, &folders(&["INBOX"])).await.unwrap();
    assert!(created);
    assert_eq!(first.state, RequestState::Queued);
    let (again, created) = queue
        .submit(alice, &folders(&["INBOX", "Sent"]))
        .await
        .unwrap();
    assert!(!created, "a double submit makes one request");
    assert_eq!(again.id, first.id);
    assert_eq!(again.folders, folders(&["INBOX"]), "the first one stands");

    // Once finished, a new request can be made.
    queue.claim("w1").await.unwrap().unwrap();
    queue
        .apply(first.id, Event::Finished, Actor::Worker("w1"), None)
        .await
        .unwrap();
    let (next, created) = queue.submit(alice, &folders(&["Sent"])).await.unwrap();
    assert!(created && next.id != first.id);
    // Catching up on the finished one now would make two unfinished requests: refused, and said so.
    let refused = queue
        .apply(first.id, Event::CatchUp, Actor::Owner, None)
        .await;
    assert!(
        matches!(refused, Err(QueueError::Changed { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn one_request_per_user_sqlite() {
    one_request_per_user(Backend::Sqlite).await;
}

#[tokio::test]
async fn one_request_per_user_postgres() {
    one_request_per_user(Backend::Postgres).await;
}

async fn concurrent_workers_never_share(backend: Backend) {
    let (_dir, db) = database(backend).await;
    let mut submitted = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let id = user(&db, name).await;
        let (r, _) = Queue { db: &db }
            .submit(id, &folders(&["INBOX"]))
            .await
            .unwrap();
        submitted.push(r.id);
    }
    // Five workers race for three requests.
    let claims = (0..5).map(|w| {
        let db = db.clone();
        tokio::spawn(async move { Queue { db: &db }.claim(&format!("w{w}")).await.unwrap() })
    });
    let mut claimed: Vec<RequestId> = Vec::new();
    for claim in claims {
        if let Some(r) = claim.await.unwrap() {
            assert_eq!(r.state, RequestState::Copying);
            assert_eq!(r.attempts, 1);
            claimed.push(r.id);
        }
    }
    claimed.sort_unstable();
    assert_eq!(claimed, submitted, "each request claimed exactly once");
    assert!(Queue { db: &db }.claim("late").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_never_share_sqlite() {
    concurrent_workers_never_share(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_never_share_postgres() {
    concurrent_workers_never_share(Backend::Postgres).await;
}

async fn order_pause_and_position(backend: Backend) {
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let mut ids = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let id = user(&db, name).await;
        ids.push(queue.submit(id, &folders(&["INBOX"])).await.unwrap().0.id);
    }
    assert_eq!(queue.position(ids[2]).await.unwrap(), 2);
    // Paused requests wait outside the queue; resumed ones go to its end.
    queue
        .apply(ids[0], Event::Pause, Actor::Owner, None)
        .await
        .unwrap();
    assert_eq!(queue.position(ids[2]).await.unwrap(), 1);
    assert_eq!(queue.claim("w").await.unwrap().unwrap().id, ids[1]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    queue
        .apply(ids[0], Event::Resume, Actor::Owner, None)
        .await
        .unwrap();
    assert_eq!(queue.claim("w").await.unwrap().unwrap().id, ids[2]);
    assert_eq!(queue.claim("w").await.unwrap().unwrap().id, ids[0]);
}

#[tokio::test]
async fn order_pause_and_position_sqlite() {
    order_pause_and_position(Backend::Sqlite).await;
}

#[tokio::test]
async fn order_pause_and_position_postgres() {
    order_pause_and_position(Backend::Postgres).await;
}

async fn a_dead_workers_request_is_recovered(backend: Backend) {
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let alice = user(&db, "alice").await;
    let (r, _) = queue.submit(alice, &folders(&["INBOX"])).await.unwrap();
    queue.claim("dead").await.unwrap().unwrap();
    assert!(queue.heartbeat(r.id, "dead").await.unwrap());
    // Fresh heartbeat: nothing to recover.
    assert_eq!(
        queue
            .recover(Duration::from_secs(60), 5)
            .await
            .unwrap()
            .requeued,
        0
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let recovered = queue.recover(Duration::from_secs(1), 5).await.unwrap();
    assert_eq!((recovered.requeued, recovered.give_up.len()), (1, 0));
    let back = queue.get(r.id).await.unwrap();
    assert_eq!((back.state, back.worker), (RequestState::Queued, None));
    assert_eq!(back.crashed_runs, 1, "a lost run counts as crashed");

    // Not at once: a request put back settles for three heartbeats, so a run that still holds it
    // (paused and resumed in a second, say) has stopped before another one starts.
    assert!(queue.claim("alive").await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(3100)).await;
    // Then another worker takes it; the old one has lost it and cannot finish it.
    let again = queue.claim("alive").await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (r.id, 2));
    assert!(!queue.heartbeat(r.id, "dead").await.unwrap());
    let stale = queue
        .apply(r.id, Event::Finished, Actor::Worker("dead"), None)
        .await;
    assert!(
        matches!(stale, Err(QueueError::Changed { .. })),
        "{stale:?}"
    );
    assert_eq!(
        queue
            .apply(
                r.id,
                Event::FinishedWithQuarantine,
                Actor::Worker("alive"),
                Some("2 quarantined")
            )
            .await
            .unwrap(),
        RequestState::NeedsAttention
    );
    let done = queue.get(r.id).await.unwrap();
    assert_eq!(done.last_error.as_deref(), Some("2 quarantined"));
    // The helpdesk tries again for the person, saying why.
    let reason = Reason::parse("Quota raised on the new server").unwrap();
    let staff = Actor::Staff {
        email: "hana@example.org",
        reason: &reason,
    };
    queue.apply(r.id, Event::Retry, staff, None).await.unwrap();
    // Cancelled stays cancelled.
    queue
        .apply(r.id, Event::Cancel, Actor::Owner, None)
        .await
        .unwrap();
    let refused = queue.apply(r.id, Event::Retry, Actor::Owner, None).await;
    assert!(
        matches!(refused, Err(QueueError::NotAllowed(_))),
        "{refused:?}"
    );

    // The timeline has every change with who made it, and nothing of what was refused.
    let (timeline, omitted) = server::jobs::timeline::read(&db, r.id, 100).await.unwrap();
    assert_eq!(omitted, 0);
    let seen: Vec<(Who, String)> = timeline
        .iter()
        .map(|e| (e.who.clone(), e.what.in_words()))
        .collect();
    let worker = |name: &str| Who::Worker { name: name.into() };
    let hana = Who::Staff {
        email: "hana@example.org".into(),
    };
    assert_eq!(
        seen,
        vec![
            (Who::Owner, "Started the migration".into()),
            (worker("dead"), "queued → copying".into()),
            (Who::Fountain, "copying → queued".into()),
            (worker("alive"), "queued → copying".into()),
            (worker("alive"), "copying → needs attention".into()),
            (hana, "needs attention → queued".into()),
            (Who::Owner, "queued → cancelled".into()),
        ]
    );
    let recovered = &timeline[2];
    assert!(
        recovered
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("stopped answering") && d.contains("dead")),
        "{recovered:?}"
    );
    assert_eq!(timeline[4].detail.as_deref(), Some("2 quarantined"));
    assert_eq!(
        timeline[5].reason.as_deref(),
        Some("Quota raised on the new server")
    );
    assert!(timeline.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test]
async fn a_dead_workers_request_is_recovered_sqlite() {
    a_dead_workers_request_is_recovered(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_dead_workers_request_is_recovered_postgres() {
    a_dead_workers_request_is_recovered(Backend::Postgres).await;
}

/// A request whose runs keep ending without an answer is not claimed again forever: at the cap it is
/// handed to the caller to end as failed; resuming it starts the count again.
async fn crashed_runs_are_capped(backend: Backend) {
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let alice = user(&db, "alice").await;
    let (r, _) = queue.submit(alice, &folders(&["INBOX"])).await.unwrap();
    let claimed = queue.claim("w#1").await.unwrap().unwrap();
    assert!(queue.requeue_crashed(r.id, "w#1").await.unwrap());
    assert!(
        !queue.requeue_crashed(r.id, "w#1").await.unwrap(),
        "no longer held"
    );
    assert_eq!(queue.get(r.id).await.unwrap().crashed_runs, 1);
    assert_eq!(claimed.crashed_runs, 0);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let again = queue.claim("w#2").await.unwrap().unwrap();
    assert_eq!(again.crashed_runs, 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // The second crash of two: handed back to end as failed, still held by the run that stopped.
    let recovered = queue.recover(Duration::from_secs(1), 2).await.unwrap();
    assert_eq!(recovered.requeued, 0);
    assert_eq!(recovered.give_up.len(), 1);
    assert_eq!(recovered.give_up[0].worker.as_deref(), Some("w#2"));
    let failed = queue
        .apply(r.id, Event::Broke, Actor::Worker("w#2"), Some("gave up"))
        .await
        .unwrap();
    assert_eq!(failed, RequestState::Failed);
    queue
        .apply(r.id, Event::Retry, Actor::Owner, None)
        .await
        .unwrap();
    assert_eq!(
        queue.get(r.id).await.unwrap().crashed_runs,
        0,
        "a retry starts the count again"
    );
}

#[tokio::test]
async fn crashed_runs_are_capped_sqlite() {
    crashed_runs_are_capped(Backend::Sqlite).await;
}

#[tokio::test]
async fn crashed_runs_are_capped_postgres() {
    crashed_runs_are_capped(Backend::Postgres).await;
}

/// A stop keeps its class for the helpdesk until the request runs again.
async fn a_failure_class_lasts_until_the_request_runs_again(backend: Backend) {
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let alice = user(&db, "alice").await;
    let (r, _) = queue.submit(alice, &folders(&["INBOX"])).await.unwrap();
    assert_eq!(r.failure_class, None);
    queue.claim("w#1").await.unwrap().unwrap();
    queue
        .apply(
            r.id,
            Event::Broke,
            Actor::Worker("w#1"),
            Some("the old server went away"),
        )
        .await
        .unwrap();
    let class = Some(FailureClass::OldServerUnreachable);
    queue.record_failure_class(r.id, class).await.unwrap();
    assert_eq!(queue.get(r.id).await.unwrap().failure_class, class);
    queue
        .apply(r.id, Event::Retry, Actor::Owner, None)
        .await
        .unwrap();
    assert_eq!(queue.get(r.id).await.unwrap().failure_class, None);
}

#[tokio::test]
async fn a_failure_class_lasts_until_the_request_runs_again_sqlite() {
    a_failure_class_lasts_until_the_request_runs_again(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_failure_class_lasts_until_the_request_runs_again_postgres() {
    a_failure_class_lasts_until_the_request_runs_again(Backend::Postgres).await;
}

/// Old passwords Fountain holds are forgotten once nothing has needed them for a while; a request
/// that is queued, copying, or changed recently keeps its person's.
async fn stale_passwords_are_forgotten(backend: Backend) {
    use sea_orm::{ActiveModelTrait, ConnectionTrait};
    use server::db::entity::old_account;
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let long_ago = server::db::now() - 30 * 86_400;
    let mut people = Vec::new();
    for name in ["idle", "paused", "queued", "recent"] {
        let id = user(&db, name).await;
        old_account::ActiveModel {
            user_id: Set(id.get()),
            login: Set(name.into()),
            secret: Set(Some(vec![1, 2, 3])),
            verified_at: Set(long_ago),
        }
        .insert(&db)
        .await
        .unwrap();
        people.push(id);
    }
    let (paused, _) = queue.submit(people[1], &folders(&["INBOX"])).await.unwrap();
    queue
        .apply(paused.id, Event::Pause, Actor::Owner, None)
        .await
        .unwrap();
    let (queued, _) = queue.submit(people[2], &folders(&["INBOX"])).await.unwrap();
    let (recent, _) = queue.submit(people[3], &folders(&["INBOX"])).await.unwrap();
    queue
        .apply(recent.id, Event::Pause, Actor::Owner, None)
        .await
        .unwrap();
    // The paused and the queued request were last changed long ago; the recent one today.
    db.execute_unprepared(&format!(
        "UPDATE migration_requests SET updated_at = {long_ago} WHERE id IN ({}, {})",
        paused.id, queued.id
    ))
    .await
    .unwrap();
    let cutoff = server::db::now() - 14 * 86_400;
    let forgotten = server::accounts::forget_stale_passwords(&db, cutoff)
        .await
        .unwrap();
    assert_eq!(forgotten, 2);
    let kept: Vec<bool> = {
        let mut out = Vec::new();
        for id in &people {
            let a = old_account::Entity::find_by_id(id.get())
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            out.push(a.secret.is_some());
        }
        out
    };
    assert_eq!(
        kept,
        [false, false, true, true],
        "idle, paused, queued, recent"
    );
}

#[tokio::test]
async fn stale_passwords_are_forgotten_sqlite() {
    stale_passwords_are_forgotten(Backend::Sqlite).await;
}

#[tokio::test]
async fn stale_passwords_are_forgotten_postgres() {
    stale_passwords_are_forgotten(Backend::Postgres).await;
}

/// A run claimed again starts without the last run's progress, which would say nothing moved for
/// as long as the request waited (the triage queue would call it stuck).
async fn a_new_run_starts_without_the_last_runs_progress(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let (_dir, db) = database(backend).await;
    let queue = Queue { db: &db };
    let alice = user(&db, "alice").await;
    let (request, _) = queue.submit(alice, &folders(&["INBOX"])).await.unwrap();
    let id = request.id;
    queue.claim("w1").await.unwrap().unwrap();
    assert!(queue
        .record_progress(id, "w1", r#"{"version":1,"moved_at":1}"#, "{}")
        .await
        .unwrap());
    assert!(queue.details(id).await.unwrap().0.is_some());
    for event in [Event::Pause, Event::Resume] {
        queue.apply(id, event, Actor::Owner, None).await.unwrap();
    }
    // Past the settling time a request put back waits before it is claimed again.
    db.execute_unprepared("UPDATE migration_requests SET updated_at = updated_at - 60")
        .await
        .unwrap();
    assert_eq!(queue.claim("w2").await.unwrap().unwrap().id, id);
    assert_eq!(queue.details(id).await.unwrap().0, None);
}

#[tokio::test]
async fn a_new_run_starts_without_the_last_runs_progress_sqlite() {
    a_new_run_starts_without_the_last_runs_progress(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_new_run_starts_without_the_last_runs_progress_postgres() {
    a_new_run_starts_without_the_last_runs_progress(Backend::Postgres).await;
}
