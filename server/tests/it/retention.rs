//! Retention and backup against a real copy: a finished move's journal, quarantine and progress are
//! purged after the retention time (its report stays), a move that may still run or has catch-ups to
//! come is kept; and `fountain backup` copies the SQLite database while the portal runs.
use std::sync::Arc;

use app::dto::RequestState;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, Set};
use server::db::entity::{cutover, journal_message, migration_request, quarantine};
use server::jobs::Migrations;

use crate::support::flow::{portal, Portal};
use crate::support::servers::Dovecot;
use crate::support::TestApp;

fn migrations(app: &TestApp, db: sea_orm::DatabaseConnection) -> Arc<Migrations> {
    let config = server::config::Config::load(Some(&app.config_path()), app.env.clone()).unwrap();
    Migrations::from_config(&config, db).unwrap().unwrap()
}

const DAY: i64 = 86_400;

#[tokio::test]
async fn a_finished_moves_traces_are_purged_after_the_retention_time_and_open_ones_kept() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 30, 5);
    old.seed_sample("bob", 20, 6);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(old.port, &[("FOUNTAIN__MIGRATION__RETENTION_DAYS", "30")]).await;
    for (who, password) in [("alice", "alice-pass"), ("bob", "bob-pass")] {
        let (client, _) = app.sign_in(who, password).await;
        app.connect(&client, who, &format!("{who}-old")).await;
        let (status, body) = app.scan_and_start_everything(&client).await;
        assert_eq!(status, 200, "{body}");
        let ended = app.until_ended(&client, 120).await;
        assert_eq!(ended.state, RequestState::Done, "{who}");
    }
    let db = app.db().await;
    let m = migrations(&app, db.clone());
    let journalled = journal_message::Entity::find().count(&db).await.unwrap();
    assert!(journalled >= 50, "{journalled}");
    // A refused message of alice's, kept whole in the quarantine.
    let requests = migration_request::Entity::find()
        .order_by_asc(migration_request::Column::Id)
        .all(&db)
        .await
        .unwrap();
    let (alice_request, bob_request) = (&requests[0], &requests[1]);
    let folder = server::db::entity::journal_folder::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    quarantine::Entity::insert(quarantine::ActiveModel {
        folder_id: Set(folder.id),
        source_uid: Set(999),
        reason: Set("the new server refused it".into()),
        raw: Set(Some(b"Subject: private\r\n\r\nbody".to_vec())),
        raw_is_whole: Set(true),
        created_at: Set(server::db::now()),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap();
    // bob's request failed since (resumable: his journal is needed).
    db.execute_unprepared(&format!(
        "UPDATE migration_requests SET state = 'failed' WHERE id = {}",
        bob_request.id
    ))
    .await
    .unwrap();

    let now = server::db::now();
    let before_time = m.purge_finished(now + 29 * DAY).await.unwrap();
    assert_eq!(before_time.people, 0, "nothing before the retention time");
    let purged = m.purge_finished(now + 31 * DAY).await.unwrap();
    assert_eq!(purged.people, 1, "{purged:?}");
    assert!(purged.journal_messages >= 30, "{purged:?}");
    assert_eq!(purged.quarantined, 1);
    let alice_after = migration_request::Entity::find_by_id(alice_request.id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(alice_after.purged_at.is_some() && alice_after.progress.is_none());
    assert!(alice_after.report.is_some(), "the report stays");
    assert_eq!(alice_after.state, "done");
    assert_eq!(quarantine::Entity::find().count(&db).await.unwrap(), 0);
    let left = journal_message::Entity::find().count(&db).await.unwrap();
    assert_eq!(left, journalled - purged.journal_messages);
    assert!(
        left >= 20,
        "bob's journal stays while his request may resume"
    );
    // Nothing twice.
    assert_eq!(m.purge_finished(now + 31 * DAY).await.unwrap().people, 0);

    // bob's move ends, but delivery moved and catch-ups are to come: kept until they are over.
    db.execute_unprepared(&format!(
        "UPDATE migration_requests SET state = 'done' WHERE id = {}",
        bob_request.id
    ))
    .await
    .unwrap();
    cutover::Entity::insert(cutover::ActiveModel {
        email: Set("bob.baker@example.org".into()),
        switched_at: Set(now),
        switched_by: Set("ivan.ito@example.org".into()),
        catch_ups: Set(1),
        next_catch_up_at: Set(Some(now + 40 * DAY)),
        ..Default::default()
    })
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(m.purge_finished(now + 31 * DAY).await.unwrap().people, 0);
    db.execute_unprepared(&format!(
        "UPDATE cutovers SET next_catch_up_at = NULL, last_catch_up_at = {now}"
    ))
    .await
    .unwrap();
    assert_eq!(m.purge_finished(now + 31 * DAY).await.unwrap().people, 1);
    assert_eq!(journal_message::Entity::find().count(&db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_backup_is_taken_while_the_portal_runs_and_opens_as_fountains_database() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 200, 9);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(old.port, &[("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "0.2")]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.start_everything(&alice, "alice", "alice-old").await;
    app.until_under_way(&alice, 30).await;

    // While alice's copy writes its journal and progress.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fountain-backup.db");
    let backup = |to: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fountain"))
            .arg("--config")
            .arg(app.config_path())
            .arg("backup")
            .arg("--to")
            .arg(to)
            .env_remove("DATABASE_URL")
            .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap()
    };
    let out = backup(&file);
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("secrets key is not in it"), "{said}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a backup is Fountain's user's alone");
    // Never over an earlier backup.
    let again = backup(&file);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    let url = format!("sqlite://{}?mode=ro", file.display());
    let copy = sea_orm::Database::connect(&url).await.unwrap();
    let check = copy
        .query_one(sea_orm::Statement::from_string(
            copy.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    assert_eq!(
        server::db::pending(&copy).await.unwrap(),
        0,
        "a current schema"
    );
    let request = migration_request::Entity::find()
        .one(&copy)
        .await
        .unwrap()
        .expect("alice's request is in the backup");
    assert!(
        ["copying", "done"].contains(&request.state.as_str()),
        "{request:?}"
    );
    assert!(journal_message::Entity::find().count(&copy).await.unwrap() > 0);
    // The old password is in it only sealed: the key that opens it is kept apart.
    let sealed = copy
        .query_one(sea_orm::Statement::from_string(
            copy.get_database_backend(),
            "SELECT secret FROM old_accounts",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<Option<Vec<u8>>>(0)
        .unwrap()
        .unwrap();
    assert!(!sealed.windows(9).any(|w| w == b"alice-old"));
}
