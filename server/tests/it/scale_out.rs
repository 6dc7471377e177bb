//! Several worker processes on one database keep together to each server's one connection cap:
//! the places are rows in the database, held under leases that a dead process's places outlive by
//! at most a minute.
use std::sync::atomic::Ordering;
use std::time::Duration;

use app::dto::RequestState;
use sea_orm::ConnectionTrait;
use server::engine::throttle::SharedPlaces;
use server::jobs::places::{held_places, DbPlaces};

use server::engine::imap::Credentials;

use crate::support::flow::{assert_same_mail_of, new_mailbox, portal_with, Portal};
use crate::support::proxy::FaultyProxy;
use crate::support::servers::Dovecot;
use crate::support::{Backend, TestApp};

const OLD_USERS: &str = "alice:alice-old\nbob:bob-old\ncarol:carol-old\ndan:dan-old\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_worker_processes_keep_together_to_the_old_servers_cap() {
    let old = Dovecot::start_for(OLD_USERS, "old", None, &[]);
    for (n, who) in ["alice", "bob", "carol", "dan"].iter().enumerate() {
        old.seed_sample(who, 60, 20 + n as u32);
    }
    let proxy = FaultyProxy::passthrough_on([127, 0, 0, 1].into(), old.port).await;
    // Each process alone would open up to 2 connections (one copy of two folders at a time, so the
    // four copies spread over the workers); the old server takes 2 in all.
    let Portal { new, sink: _, app } = portal_with(
        Backend::Postgres,
        proxy.port,
        &[],
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__MAX_CONNECTIONS_PER_SERVER", "2"),
            ("FOUNTAIN__MIGRATION__CONCURRENT_REQUESTS", "1"),
            ("FOUNTAIN__MIGRATION__PARALLEL_FOLDERS", "2"),
            ("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "1"),
        ],
    )
    .await;
    let _workers = [1, 2, 3].map(|n| app.spawn_worker(n));
    let mut people = Vec::new();
    for (who, email) in [
        ("alice", "alice.archer@example.org"),
        ("bob", "bob.baker@example.org"),
        ("carol", "carol.cole@example.org"),
        ("dan", "dan.duarte@example.org"),
    ] {
        let (client, _) = app.sign_in(who, &format!("{who}-pass")).await;
        app.connect(&client, who, &format!("{who}-old")).await;
        people.push((who, email, client));
    }
    for (who, _, client) in &people {
        let (status, body) = app.scan_and_start_everything(client).await;
        assert_eq!(status, 200, "{who}: {body}");
    }
    for (who, email, client) in &people {
        let request = app.until_ended(client, 300).await;
        assert_eq!(request.state, RequestState::Done, "{who}: {request:?}");
        let old_mailbox = Credentials::Login {
            user: who.to_string(),
            password: format!("{who}-old"),
        };
        assert_same_mail_of(
            old.port,
            &old_mailbox,
            new.port,
            &new_mailbox(email),
            &request.report.unwrap(),
        )
        .await;
    }
    let logs: String = (1..=3)
        .map(|n| std::fs::read_to_string(app.dir.path().join(format!("worker-{n}.log"))))
        .map(|log| log.unwrap_or_default())
        .collect();
    let copied_by = (1..=3)
        .filter(|n| {
            std::fs::read_to_string(app.dir.path().join(format!("worker-{n}.log")))
                .is_ok_and(|log| log.contains("request claimed"))
        })
        .count();
    assert!(
        copied_by >= 2,
        "the copies were spread over the workers: {copied_by}\n{logs}"
    );
    // Up to the cap, never past it.
    let peak = proxy.peak.load(Ordering::SeqCst);
    assert_eq!(
        peak, 2,
        "the old server saw {peak} connections at once\n{logs}"
    );
    drop(new);
}

async fn places_are_shared_and_a_dead_holders_come_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.db().await;
    let (one, two) = (
        DbPlaces::new(db.clone(), "worker-one".into()),
        DbPlaces::new(db.clone(), "worker-two".into()),
    );
    let key = "old.example.org:993";
    assert_eq!(one.take(key, 2).await, Ok(Some(0)));
    assert_eq!(two.take(key, 2).await, Ok(Some(1)));
    assert_eq!(two.take(key, 2).await, Ok(None), "both places are held");
    assert_eq!(one.take("new.example.org:993", 2).await, Ok(Some(0)));
    // A lowered cap holds from the next connection.
    two.give_back(key, 1).await;
    assert_eq!(two.take(key, 1).await, Ok(None));
    assert_eq!(two.take(key, 2).await, Ok(Some(1)));

    // worker-one dies: its leases run out (the clock moved on past them), and its place is free.
    assert_eq!(one.renew().await.unwrap().renewed, 2);
    db.execute_unprepared(
        "UPDATE connection_places SET expires_at = expires_at - 3600 WHERE holder = 'worker-one'",
    )
    .await
    .unwrap();
    assert_eq!(held_places(&db, key, server::db::now()).await.unwrap(), [1]);
    assert_eq!(
        two.take(key, 2).await,
        Ok(Some(0)),
        "the dead worker's place"
    );
    // Its late give-back does not free what another process took since.
    one.give_back(key, 0).await;
    assert_eq!(two.take(key, 3).await, Ok(Some(2)));
    assert_eq!(two.give_back_all().await.unwrap(), 3);
    assert!(held_places(&db, key, server::db::now())
        .await
        .unwrap()
        .is_empty());

    // Leases run out unless renewed (4 s leases here; the clock counts whole seconds).
    let short = DbPlaces::with_lease(db.clone(), "worker-short".into(), 4);
    let other = DbPlaces::new(db.clone(), "worker-other".into());
    let key = "short.example.org:993";
    assert_eq!(short.take(key, 1).await, Ok(Some(0)));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(short.renew().await.unwrap().renewed, 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(other.take(key, 1).await, Ok(None), "renewed: still held");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(other.take(key, 1).await, Ok(Some(0)), "not renewed: free");
    // The holder finds out at its next renewal, and says so.
    let renewed = short.renew().await.unwrap();
    assert_eq!((renewed.renewed, renewed.lost), (0, 1));
}

#[tokio::test]
async fn places_are_shared_and_a_dead_holders_come_back_sqlite() {
    places_are_shared_and_a_dead_holders_come_back(Backend::Sqlite).await;
}

#[tokio::test]
async fn places_are_shared_and_a_dead_holders_come_back_postgres() {
    places_are_shared_and_a_dead_holders_come_back(Backend::Postgres).await;
}

/// `fountain` with only the environment as configuration, on `db_url`.
fn fountain(db_url: &str, dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_fountain"));
    command
        .env("FOUNTAIN__AUTH__ISSUER", "http://127.0.0.1:9")
        .env("FOUNTAIN__AUTH__CLIENT_ID", "fountain")
        .env("FOUNTAIN__AUTH__CLIENT_SECRET", "s")
        .env("DATABASE_URL", db_url)
        .env_remove("FOUNTAIN_CONFIG")
        .current_dir(dir)
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn processes_started_together_migrate_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::fresh_database(Backend::Postgres, &dir).await;
    // Without migrate_on_start, a process refuses a schema that is behind, and says what to run.
    let refused = fountain(&url, dir.path())
        .arg("worker")
        .env("FOUNTAIN__DATABASE__MIGRATE_ON_START", "false")
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("run `fountain migrate` first"), "{said}");

    // `fountain check` says what is to apply, and writes nothing: the database stays empty.
    let checked = fountain(&url, dir.path())
        .arg("check")
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.contains("migration(s) to apply"), "{said}");
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let tables = db
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM information_schema.tables WHERE table_schema = 'public'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(tables, 0, "check created tables");

    // Four at once: one applies every migration, the others wait for it and find nothing to do.
    let runs = (0..4).map(|_| fountain(&url, dir.path()).arg("migrate").output());
    let outputs = futures_util::future::join_all(runs).await;
    let mut applied = Vec::new();
    for out in outputs {
        let out = out.unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{said}");
        let n: usize = said
            .split('(')
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{said}"));
        applied.push(n);
    }
    applied.sort();
    use migration::MigratorTrait;
    let all = migration::Migrator::migrations().len();
    assert_eq!(applied, [0, 0, 0, all], "who applied what");
    assert_eq!(server::db::pending(&db).await.unwrap(), 0);
}
