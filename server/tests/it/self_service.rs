//! The self-service flow through the portal's server functions, against real servers: an old Dovecot
//! (Cyrus-like layout), a new Dovecot (master user, logins are email addresses), the real OpenID
//! provider and the real SMTP sink. Connect (wrong password, unreachable server), scan, pick folders,
//! start (twice), progress, done, the destination checked message by message, the done email, another
//! person's request refused, a worker killed mid-copy.

use std::time::Duration;

use crate::support::copying::messages;
use crate::support::flow::{
    alice_new, alice_old, assert_same_mail, portal_as, portal_with, CrashingWorker, Portal, Run,
};
use crate::support::servers::Dovecot;
use crate::support::smtp::SmtpSink;
use crate::support::{free_port, Backend, TestApp};
use app::dto::{FailureClass, MigrationView};
use sea_orm::{ConnectionTrait, EntityTrait};

struct Rig {
    old: Dovecot,
    new: Dovecot,
    sink: SmtpSink,
    app: TestApp,
}

/// Everything running, alice's old mailbox seeded with the rig's sample; the portal is told the old
/// server is on `old_port` when given (a dead port, say).
async fn rig(old_port: Option<u16>, extra: &[(&str, &str)]) -> Rig {
    rig_on(Backend::Sqlite, old_port, extra).await
}

async fn rig_on(backend: Backend, old_port: Option<u16>, extra: &[(&str, &str)]) -> Rig {
    rig_as(Run::InProcess, backend, old_port, extra).await
}

/// [`rig`] with the portal as the `fountain serve` binary: for tests of its signals and its log.
async fn rig_process(extra: &[(&str, &str)]) -> Rig {
    rig_as(Run::Process, Backend::Sqlite, None, extra).await
}

async fn rig_as(run: Run, backend: Backend, old_port: Option<u16>, extra: &[(&str, &str)]) -> Rig {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 60, 7);
    let Portal { new, sink, app } =
        portal_as(run, backend, old_port.unwrap_or(old.port), &[], extra).await;
    Rig {
        old,
        new,
        sink,
        app,
    }
}

#[tokio::test]
async fn connecting_checks_the_password_at_once_and_keeps_it_sealed_out_of_the_log() {
    // The binary: the test reads its whole log for the password.
    let Rig {
        old: _old,
        new: _new,
        app,
        ..
    } = rig_process(&[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;

    let first = app.view(&alice, "my_migration", &[]).await;
    assert!(first.open && first.asks_password, "{first:?}");
    assert_eq!(first.login_hint, "alice.archer");
    assert!(first.account.is_none());

    // A wrong password is refused by the real server, clearly, and nothing is kept.
    let (status, body) = app.connect_call(&alice, "alice", "not-it").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("did not accept this login and password"),
        "{body}"
    );
    assert!(app
        .view(&alice, "my_migration", &[])
        .await
        .account
        .is_none());
    // Nothing can be scanned or started without a connected account.
    let (status, body) = app.call(&alice, "start_scan", &[]).await;
    assert_eq!(status, 400, "{body}");

    let connected = app.connect(&alice, "alice", "alice-old").await;
    let account = connected.account.expect("connected");
    assert!(account.usable && account.login == "alice");
    // The password is stored sealed, never as typed.
    let db = app.db().await;
    let stored = sea_orm::ConnectionTrait::query_one(
        &db,
        sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT secret FROM old_accounts",
        ),
    )
    .await
    .unwrap()
    .unwrap()
    .try_get::<Vec<u8>>("", "secret")
    .unwrap();
    assert!(!stored.windows(9).any(|w| w == b"alice-old"));
    assert!(
        !app.log().contains("alice-old"),
        "the password reached the log"
    );
}

#[tokio::test]
async fn the_scan_shows_every_folder_with_where_it_lands_and_leaves_trash_behind() {
    let Rig {
        old: _old,
        new: _new,
        app,
        ..
    } = rig(None, &[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let result = scan_result(&app, &alice).await;
    let folder = |name: &str| {
        result
            .folders
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} scanned"))
            .clone()
    };
    let inbox = folder("INBOX");
    assert!(inbox.messages > 0 && inbox.bytes > 0 && inbox.selected_by_default);
    let trash = folder("INBOX.Trash");
    assert!(
        !trash.selected_by_default,
        "trash is left behind by default"
    );
    assert_eq!(trash.destination, "Trash");
    assert_eq!(folder("INBOX.Projects").destination, "Projects");
}

async fn scan_result(app: &TestApp, client: &reqwest::Client) -> app::dto::ScanResult {
    let scan = app.scanned(client).await.scan.unwrap();
    scan.result
        .unwrap_or_else(|| panic!("scan failed: {:?}", scan.error))
}

/// Alice's copy of every folder picked by default but Receipts, started (twice, as a double
/// submit) and finished: the rig, her browser, what she picked, and the request.
struct Copied {
    rig: Rig,
    alice: reqwest::Client,
    picked: Vec<String>,
    request: app::dto::RequestView,
}

async fn copied_but_receipts() -> Copied {
    let rig = rig(None, &[]).await;
    let app = &rig.app;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let result = scan_result(app, &alice).await;
    // The person unticks Receipts (and keeps the default of leaving Trash and Junk behind).
    let picked: Vec<String> = result
        .folders
        .iter()
        .filter(|f| f.selected_by_default && f.name != "INBOX.Receipts")
        .map(|f| f.name.clone())
        .collect();
    // A forged folder name is refused.
    let (status, body) = app.start(&alice, &["INBOX.Nope".to_string()]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.start(&alice, &picked).await;
    assert_eq!(status, 200, "{body}");
    let first_id = serde_json::from_str::<MigrationView>(&body)
        .unwrap()
        .request
        .unwrap()
        .id;
    // Double submit: still one request.
    let (status, body) = app.start(&alice, &picked).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<MigrationView>(&body)
            .unwrap()
            .request
            .unwrap()
            .id,
        first_id
    );
    let request = app.until_ended(&alice, 120).await;
    assert_eq!(request.state, "done", "{request:#?}\n{}", app.log());
    assert_eq!(request.id, first_id);
    Copied {
        rig,
        alice,
        picked,
        request,
    }
}

#[tokio::test]
async fn the_picked_folders_are_copied_exactly_and_nothing_else() {
    let Copied {
        rig: Rig { old, new, app, .. },
        alice,
        picked,
        request,
    } = copied_but_receipts().await;
    let report = request.report.expect("a report");
    assert_eq!(report.folders.len(), picked.len());
    for f in &report.folders {
        assert_eq!(f.copied, f.source_messages, "{f:?}");
        assert_eq!(f.destination_messages, Some(f.source_messages), "{f:?}");
        assert!(f.quarantined.is_empty());
    }
    assert!(
        report.instructions.contains("(IMAP) server to 127.0.0.1"),
        "{}",
        report.instructions
    );
    let progress = request.progress.expect("progress was recorded");
    assert_eq!(progress.bytes_done, progress.bytes_total, "{progress:?}");

    // The destination holds exactly the picked folders, message for message (bytes, flags, dates).
    assert_same_mail(old.port, new.port, &report).await;
    let listed = new.doveadm(&["mailbox", "list", "-u", "alice.archer@example.org"]);
    assert!(
        !listed.lines().any(|l| l == "Receipts"),
        "an unticked folder was copied: {listed}"
    );
    assert_eq!(
        new.messages_in("alice.archer@example.org", "Trash"),
        0,
        "trash stayed behind"
    );
    // The old password is gone once the migration is done.
    let after = app.view(&alice, "my_migration", &[]).await;
    assert!(!after.account.unwrap().usable);
}

#[tokio::test]
async fn a_finished_copy_sends_the_started_and_done_emails_with_a_link_to_the_portal() {
    let Copied {
        rig: Rig { sink, app, .. },
        ..
    } = copied_but_receipts().await;
    let started = sink.wait_for("Your mailbox move has started", 20).await;
    assert_eq!(started["to"][0]["address"], "alice.archer@example.org");
    let email = sink.wait_for("Your mailbox has been copied", 20).await;
    assert_eq!(email["to"][0]["address"], "alice.archer@example.org");
    let text = email["text"].as_str().unwrap();
    let html = email["html"].as_str().unwrap();
    for part in [text, html] {
        assert!(!part.contains("{{"), "unfilled placeholder: {part}");
        assert!(
            part.contains(&format!("{}/me", app.address)),
            "no link to the portal: {part}"
        );
    }
    assert!(text.contains("INBOX -> INBOX"), "{text}");
}

#[tokio::test]
async fn nobody_else_can_touch_a_request_nor_learn_whether_it_exists() {
    let Copied {
        rig: Rig { app, .. },
        request,
        ..
    } = copied_but_receipts().await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let id = request.id.to_string();
    for action in ["Pause", "Cancel", "CatchUp"] {
        let (status, body) = app.control_call(&bob, &id, action).await;
        assert_eq!(status, 403, "{action}: {body}");
    }
    let (status, _) = app.control_call(&bob, "999999", "Pause").await;
    assert_eq!(status, 403);
    assert!(app.view(&bob, "my_migration", &[]).await.request.is_none());
}

#[tokio::test]
async fn a_catch_up_asks_for_the_password_again_then_copies_only_what_is_new() {
    let Copied {
        rig: Rig { old, new, app, .. },
        alice,
        request,
        ..
    } = copied_but_receipts().await;
    let first_id = request.id;
    let id = first_id.to_string();
    let inbox_before = request
        .report
        .unwrap()
        .folders
        .into_iter()
        .find(|f| f.source == "INBOX")
        .unwrap()
        .source_messages;
    // The password was forgotten when the copy finished.
    let (status, body) = app.control_call(&alice, &id, "CatchUp").await;
    assert_eq!(status, 400, "{body}");
    app.connect(&alice, "alice", "alice-old").await;
    old.save(
        "alice",
        "INBOX",
        b"Message-ID: <late@example.org>\r\nSubject: arrived late\r\n\r\nhello\r\n",
    );
    app.control(&alice, &id, "CatchUp").await;
    let caught_up = app
        .until(&alice, 60, |v| {
            v.request.as_ref().is_some_and(|r| {
                r.state == "done"
                    && r.id == first_id
                    && r.report.as_ref().is_some_and(|rep| {
                        rep.folders.iter().any(|f| {
                            f.source == "INBOX"
                                && f.copied == f.source_messages
                                && f.source_messages == inbox_before + 1
                        })
                    })
            })
        })
        .await;
    assert!(caught_up.request.is_some());
    assert_eq!(
        messages(old.port, &alice_old(), "INBOX").await,
        messages(new.port, &alice_new(), "INBOX").await
    );
}

#[tokio::test]
async fn after_five_refused_passwords_even_the_right_one_waits() {
    // Fountain is no password-guessing tool.
    let Rig {
        old: _old,
        new: _new,
        app,
        ..
    } = rig(None, &[]).await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    for _ in 0..5 {
        let (status, _) = app.connect_call(&bob, "alice", "guess").await;
        assert_eq!(status, 400);
    }
    let (status, body) = app.connect_call(&bob, "bob", "bob-old").await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("Wait 15 minutes"), "{body}");
}

#[tokio::test]
async fn an_unreachable_old_server_is_explained_and_nothing_is_kept() {
    let Rig { app, .. } = rig(Some(free_port()), &[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let (status, body) = app.connect_call(&alice, "alice", "alice-old").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("could not be reached") && body.contains("Nothing was saved"),
        "{body}"
    );
    assert!(app
        .view(&alice, "my_migration", &[])
        .await
        .account
        .is_none());
}

#[tokio::test]
async fn a_worker_killed_mid_copy_is_replaced_and_the_copy_finishes_exactly() {
    // Workers run alone here (not in the portal) on a shared PostgreSQL, as when scaled out, slowed
    // down so the kill lands mid-copy.
    let Rig { old, new, app, .. } = rig_on(
        Backend::Postgres,
        None,
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "0.2"),
        ],
    )
    .await;
    old.seed_sample("alice", 400, 11);
    let mut worker = app.spawn_worker(1);
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.start_everything(&alice, "alice", "alice-old").await;
    app.until_under_way(&alice, 20).await;
    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    let at_kill = app.view(&alice, "my_migration", &[]).await.request.unwrap();
    assert_eq!(
        at_kill.state, "copying",
        "the killed worker still holds it until its heartbeat expires"
    );

    let _second = app.spawn_worker(2);
    let request = app.until_ended(&alice, 180).await;
    let log2 = std::fs::read_to_string(app.dir.path().join("worker-2.log")).unwrap_or_default();
    assert_eq!(request.state, "done", "{request:#?}\n{log2}");
    assert_same_mail(old.port, new.port, &request.report.unwrap()).await;
    assert!(
        log2.contains("queued again"),
        "the second worker recovered the request: {log2}"
    );
}

#[tokio::test]
async fn pause_stops_the_copy_resume_finishes_it_exactly_and_cancel_keeps_what_was_copied() {
    let Rig {
        old,
        new,
        sink,
        app,
    } = rig(None, &[("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "0.2")]).await;
    old.seed_sample("alice", 300, 5);
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let id = app.start_everything(&alice, "alice", "alice-old").await;
    app.until_under_way(&alice, 10).await;

    let paused = app.control(&alice, &id, "Pause").await;
    assert_eq!(paused.request.unwrap().state, "paused");
    // The worker notices within a heartbeat and stops: the progress stays where it was.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = app.progress_mark(&alice).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        app.progress_mark(&alice).await,
        before,
        "still copying while paused"
    );
    // Pausing twice is refused clearly.
    let (status, body) = app.control_call(&alice, &id, "Pause").await;
    assert_eq!(status, 409, "{body}");

    app.control(&alice, &id, "Resume").await;
    let done = app
        .until(&alice, 180, |v| {
            v.request.as_ref().is_some_and(|r| r.state == "done")
        })
        .await;
    assert_same_mail(old.port, new.port, &done.request.unwrap().report.unwrap()).await;
    sink.wait_for("Your mailbox has been copied", 20).await;

    // Bob starts and cancels: what was copied stays, and his password is forgotten.
    old.seed_sample("bob", 150, 6);
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let bob_id = app.start_everything(&bob, "bob", "bob-old").await;
    app.until_under_way(&bob, 10).await;
    let cancelled = app.control(&bob, &bob_id, "Cancel").await;
    assert_eq!(cancelled.request.unwrap().state, "cancelled");
    assert!(
        !cancelled.account.unwrap().usable,
        "the password is forgotten on cancel"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kept = new.messages_in("bob.baker@example.org", "INBOX");
    assert!(kept > 0, "what was copied before the cancel is kept");
}

#[tokio::test]
async fn refused_messages_make_the_request_need_attention_and_the_email_says_nothing_was_lost() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 40, 9);
    let big = format!(
        "Message-ID: <big@example.org>\r\nSubject: too big\r\n\r\n{}\r\n",
        "x".repeat(300_000)
    );
    old.save("alice", "INBOX", big.as_bytes());
    // The new server refuses messages over 200 kB.
    let Portal { new, sink, app } = portal_with(
        Backend::Sqlite,
        old.port,
        &[("DOVECOT_MAX_MAIL_SIZE", "200k")],
        &[
            ("FOUNTAIN__MIGRATION__NEW_SERVER__MAX_MESSAGE_MB", "0.2"),
            (
                "FOUNTAIN__MIGRATION__HELPDESK_EMAIL",
                "helpdesk@example.org",
            ),
        ],
    )
    .await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let scan = app
        .scanned(&alice)
        .await
        .scan
        .unwrap()
        .result
        .expect("scanned");
    // The scan warns before anything is copied.
    let inbox_scan = scan.folders.iter().find(|f| f.name == "INBOX").unwrap();
    assert!(
        inbox_scan
            .notes
            .iter()
            .any(|n| n.starts_with("1 message(s) are larger than the new server accepts")),
        "{inbox_scan:?}"
    );
    let all: Vec<String> = scan.folders.iter().map(|f| f.name.clone()).collect();
    let (status, body) = app.start(&alice, &all).await;
    assert_eq!(status, 200, "{body}");
    let ended = app
        .until(&alice, 120, |v| {
            v.request
                .as_ref()
                .is_some_and(|r| !matches!(r.state.as_str(), "queued" | "copying"))
        })
        .await;
    let request = ended.request.unwrap();
    assert_eq!(request.state, "needs_attention", "{request:#?}");
    assert_eq!(
        app.failure_class(request.id).await,
        Some(FailureClass::CorruptMessages)
    );
    // The helpdesk finds it in the triage queue, with its class and what to do next.
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let (status, body) = app.call(&hana, "helpdesk_triage", &[]).await;
    assert_eq!(status, 200, "{body}");
    let triage: app::dto::Triage = serde_json::from_str(&body).unwrap();
    let row = triage
        .rows
        .iter()
        .find(|r| r.request_id == Some(request.id))
        .unwrap_or_else(|| panic!("not in the triage queue: {triage:#?}"));
    assert_eq!(row.bucket, app::dto::TriageBucket::NeedsAttention);
    assert_eq!(row.class, Some(FailureClass::CorruptMessages));
    assert_eq!(row.email, "alice.archer@example.org");
    assert_eq!(triage.classes, vec![(FailureClass::CorruptMessages, 1)]);
    let page = hana
        .get(app.url("/helpdesk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "Needs a look",
        "alice.archer@example.org",
        "Corrupt messages",
        "Hand it to IT",
    ] {
        assert!(
            page.contains(shown),
            "the helpdesk page lacks {shown:?}: {page}"
        );
    }
    // The same queue as CSV, for a spreadsheet.
    let csv = hana
        .get(app.url("/helpdesk/triage.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let mut lines = csv.split("\r\n");
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("request,person,email,state,why"),
        "{csv}"
    );
    let line = lines.next().unwrap();
    for shown in [
        "Alice Archer",
        "alice.archer@example.org",
        "needs attention",
        "Corrupt messages",
    ] {
        assert!(line.contains(shown), "the CSV lacks {shown:?}: {csv}");
    }
    // Bob connected two days ago and never started: he waits for a nudge, and a bulk action
    // has no request of his to act on.
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    app.connect(&bob, "bob", "bob-old").await;
    {
        use sea_orm::ConnectionTrait;
        let db = app.db().await;
        let two_days = 2 * 86_400;
        db.execute_unprepared(&format!(
            "UPDATE old_accounts SET verified_at = verified_at - {two_days} WHERE login = 'bob'"
        ))
        .await
        .unwrap();
    }
    let (status, body) = app.call(&hana, "helpdesk_triage", &[]).await;
    assert_eq!(status, 200, "{body}");
    let triage: app::dto::Triage = serde_json::from_str(&body).unwrap();
    let waiting = triage
        .rows
        .iter()
        .find(|r| r.email == "bob.baker@example.org")
        .unwrap_or_else(|| panic!("bob is not waiting: {triage:#?}"));
    assert_eq!(waiting.request_id, None);
    assert_eq!(waiting.bucket, app::dto::TriageBucket::WaitingForPerson);
    assert!(waiting.next_step().contains("never started"), "{waiting:?}");
    let (status, body) = app
        .call(
            &hana,
            "act_on_selection",
            &[
                ("selection[bucket]", "waiting_for_person"),
                ("action", "Retry"),
                ("reason", "nudging everyone waiting"),
                ("expected", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let outcome: app::dto::BulkOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (outcome.done.len(), outcome.not_started),
        (0, 1),
        "{outcome:?}"
    );
    let report = request.report.unwrap();
    let inbox = report.folders.iter().find(|f| f.source == "INBOX").unwrap();
    assert_eq!(inbox.quarantined.len(), 1, "{inbox:?}");
    assert_eq!(
        inbox.copied + 1,
        inbox.source_messages,
        "everything else was copied"
    );
    assert!(request.last_error.unwrap().contains("INBOX: 1 message(s)"));
    // The password is kept: IT may retry once the limit is raised.
    assert!(ended.account.unwrap().usable);
    // IT has been told, as the person's email says.
    let told = sink
        .wait_for("Mailbox move needs attention: Alice Archer", 30)
        .await;
    assert_eq!(told["to"][0]["address"], "helpdesk@example.org");
    let told_text = told["text"].as_str().unwrap();
    assert!(told_text.contains("INBOX: 1 message(s)"), "{told_text}");
    assert!(
        told_text.contains(&format!("/helpdesk/requests/{}", request.id)),
        "{told_text}"
    );
    let email = sink.wait_for("Your mailbox move needs attention", 30).await;
    let text = email["text"].as_str().unwrap();
    assert!(
        text.contains("Nothing has been lost") && text.contains("INBOX: 1 message(s)"),
        "{text}"
    );
    let others = report.folders.iter().filter(|f| f.source != "INBOX");
    for f in others {
        assert_eq!(
            messages(old.port, &alice_old(), &f.source).await,
            messages(new.port, &alice_new(), &f.destination).await,
            "{}",
            f.source
        );
    }
}

#[tokio::test]
async fn a_portal_stopped_mid_copy_hands_the_request_back_at_once() {
    let Rig {
        old,
        new: _new,
        mut app,
        ..
    } = rig_process(&[("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "0.2")]).await;
    old.seed_sample("alice", 300, 4);
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let id = app.start_everything(&alice, "alice", "alice-old").await;
    app.until_under_way(&alice, 10).await;
    let status = app.terminate().await;
    assert!(status.success(), "{status:?}\n{}", app.log());
    // Not "copying" by a worker that is gone: queued, so the next worker resumes it without waiting
    // for the heartbeat to expire.
    let db = app.db().await;
    let row = server::db::entity::migration_request::Entity::find_by_id(id.parse::<i64>().unwrap())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "queued", "{}", app.log());
    assert!(row.worker.is_none());
    assert!(
        app.log().contains("requests handed back to the queue"),
        "{}",
        app.log()
    );
}

#[tokio::test]
async fn a_tls_failure_on_the_old_server_is_explained_and_nothing_is_kept() {
    // The old server speaks plain IMAP where Fountain is told to expect TLS.
    let old = Dovecot::start("old", None);
    let wrong = format!("imaps://127.0.0.1:{}", old.port);
    let Portal { app, .. } = portal_with(
        Backend::Sqlite,
        old.port,
        &[],
        &[("FOUNTAIN__MIGRATION__OLD_SERVER__URL", &wrong)],
    )
    .await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let (status, body) = app.connect_call(&alice, "alice", "alice-old").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("secure connection"), "{body}");
    assert!(app
        .view(&alice, "my_migration", &[])
        .await
        .account
        .is_none());
}

#[tokio::test]
async fn in_administrator_mode_no_password_is_asked_and_the_copy_runs() {
    // IT logs in on the old server as its master user; people are known there by local part.
    let old = Dovecot::start_for(
        "alice.archer:not-known-to-alice\n",
        "old",
        Some(("old-admin", "old-admin-pass")),
        &[],
    );
    old.seed_sample("alice.archer", 30, 8);
    let Portal { new, app, .. } = portal_with(
        Backend::Sqlite,
        old.port,
        &[],
        &[
            ("FOUNTAIN__MIGRATION__OLD_SERVER__AUTH", "master"),
            ("FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN", "old-admin"),
            (
                "FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN_PASSWORD",
                "old-admin-pass",
            ),
        ],
    )
    .await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let first = app.view(&alice, "my_migration", &[]).await;
    assert!(!first.asks_password);
    // The login is IT's: whatever the form says, alice connects her own mailbox, without a password.
    let (status, body) = app
        .call(&alice, "connect_old_account", &[("login", "bob.baker")])
        .await;
    assert_eq!(status, 200, "{body}");
    let connected: MigrationView = serde_json::from_str(&body).unwrap();
    let account = connected.account.unwrap();
    assert_eq!(account.login, "alice.archer");
    assert!(account.usable);
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    let done = app
        .until(&alice, 120, |v| {
            v.request.as_ref().is_some_and(|r| r.state == "done")
        })
        .await;
    let old_alice = server::engine::imap::Credentials::Master {
        user: "alice.archer".into(),
        master: "old-admin".into(),
        password: "old-admin-pass".into(),
    };
    for f in &done.request.unwrap().report.unwrap().folders {
        assert_eq!(
            messages(old.port, &old_alice, &f.source).await,
            messages(new.port, &alice_new(), &f.destination).await,
            "{}",
            f.source
        );
    }
}

#[tokio::test]
async fn a_folder_renamed_after_the_scan_is_never_reported_done() {
    let Rig {
        old,
        new: _new,
        app,
        ..
    } = rig(None, &[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let scan = app
        .scanned(&alice)
        .await
        .scan
        .unwrap()
        .result
        .expect("scanned");
    // Between the scan and the start, alice renames a folder in her old mail program.
    old.doveadm(&[
        "mailbox",
        "rename",
        "-u",
        "alice",
        "INBOX.Receipts",
        "INBOX.Bills",
    ]);
    let all: Vec<String> = scan.folders.iter().map(|f| f.name.clone()).collect();
    let (status, body) = app.start(&alice, &all).await;
    assert_eq!(status, 200, "{body}");
    let request = app.until_ended(&alice, 120).await;
    assert_eq!(request.state, "needs_attention", "{request:#?}");
    let problem = request.last_error.unwrap();
    assert!(
        problem.contains("INBOX.Receipts: no longer on the old server"),
        "{problem}"
    );
    assert_eq!(
        app.failure_class(request.id).await,
        Some(FailureClass::FolderGone)
    );
}

#[tokio::test]
async fn folders_named_in_any_script_are_copied_through_the_portal_byte_exact() {
    // Each of these names once made the copy panic (a byte slice inside a character), and the request
    // was claimed again forever.
    let old = Dovecot::start("old", None);
    let names = [
        "INBOX.Entwürfe",
        "INBOX.Корзина",
        "INBOX.Корзина.Старое",
        "INBOX.已发送",
        "INBOX.Éléments envoyés",
    ];
    for (i, name) in names.iter().enumerate() {
        for n in 0..3 {
            let message = format!(
                "Message-ID: <script-{i}-{n}@example.org>\r\nSubject: =?UTF-8?B?w4ls6W1lbnRz?= {n}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{name}: Grüße, привет, 你好 {n}\r\n"
            );
            old.save("alice", name, message.as_bytes());
        }
    }
    old.save(
        "alice",
        "INBOX",
        b"Message-ID: <inbox@example.org>\r\nSubject: hello\r\n\r\nhello\r\n",
    );
    // The binary: the test reads its log for a panic.
    let Portal { new, app, .. } =
        portal_as(Run::Process, Backend::Sqlite, old.port, &[], &[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let scan = app
        .scanned(&alice)
        .await
        .scan
        .unwrap()
        .result
        .expect("scanned");
    let picked: Vec<String> = scan.folders.iter().map(|f| f.name.clone()).collect();
    for name in names {
        assert!(picked.iter().any(|p| p == name), "{name} not in {picked:?}");
    }
    let (status, body) = app.start(&alice, &picked).await;
    assert_eq!(status, 200, "{body}");
    let request = app.until_ended(&alice, 90).await;
    assert_eq!(request.state, "done", "{request:#?}\n{}", app.log());
    let report = request.report.unwrap();
    for name in names {
        let folder = report.folders.iter().find(|f| f.source == name).unwrap();
        assert_eq!(folder.copied, 3, "{folder:?}");
        let copied = messages(new.port, &alice_new(), &folder.destination).await;
        assert_eq!(copied.len(), 3, "{name}");
        assert_eq!(
            messages(old.port, &alice_old(), name).await,
            copied,
            "{name} -> {}",
            folder.destination
        );
    }
    assert!(!app.log().contains("panicked"), "{}", app.log());
}

#[tokio::test]
async fn a_copy_that_crashes_on_every_run_ends_failed_and_people_are_told() {
    // The portal runs no workers: this test runs one in its own process, whose copy panics every time.
    // The servers must outlive the statement: `..` would drop them at once.
    let Rig {
        old: _old,
        new: _new,
        sink,
        app,
    } = rig(
        None,
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__MAX_ATTEMPTS", "3"),
            (
                "FOUNTAIN__MIGRATION__HELPDESK_EMAIL",
                "helpdesk@example.org",
            ),
        ],
    )
    .await;
    let worker = CrashingWorker::start(&app).await;

    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    let ended = app
        .until(&alice, 60, |v| {
            v.request.as_ref().is_some_and(|r| r.state == "failed")
        })
        .await;
    let request = ended.request.unwrap();
    assert_eq!(worker.runs(), 3, "claimed exactly max_attempts times");
    let error = request.last_error.unwrap();
    assert!(
        error.contains("internal problem") && error.contains("Nothing copied so far is lost"),
        "{error}"
    );
    assert!(
        !error.contains("a copy made to crash"),
        "internals reach people: {error}"
    );
    assert_eq!(
        app.failure_class(request.id).await,
        Some(FailureClass::Internal)
    );
    let told = sink
        .wait_for("Mailbox move needs attention: Alice Archer", 30)
        .await;
    assert_eq!(told["to"][0]["address"], "helpdesk@example.org");
    let told_text = told["text"].as_str().unwrap();
    assert!(
        told_text.contains("Class: Internal. Next step: Give IT the reference"),
        "{told_text}"
    );
    let email = sink.wait_for("Your mailbox move needs attention", 30).await;
    assert!(
        email["text"].as_str().unwrap().contains("internal problem"),
        "{email}"
    );
    // It stays failed: nobody claims it again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(worker.runs(), 3);
    worker.stop().await;
}

#[tokio::test]
async fn several_people_cannot_take_turns_guessing_one_old_mailbox() {
    let Rig {
        old: _old,
        new: _new,
        app,
        ..
    } = rig(None, &[]).await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    // Five refusals for alice's old login, spread over three people (each under their own limit),
    // typed in different ways.
    for (who, login) in [
        (&bob, "alice"),
        (&bob, "Alice"),
        (&hana, " alice "),
        (&hana, "ALICE"),
        (&ivan, "alice"),
    ] {
        let (status, body) = app.connect_call(who, login, "guess").await;
        assert_eq!(status, 400, "{body}");
    }
    // The sixth try at that mailbox waits, whoever makes it, even with the right password.
    let (status, body) = app.connect_call(&ivan, "alice", "alice-old").await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("Wait 15 minutes"), "{body}");
    // Another mailbox is not locked by it: bob's own old login still connects.
    let connected = app.connect(&bob, "bob", "bob-old").await;
    assert!(connected.account.is_some_and(|a| a.usable));
}

/// Who calls, in the authorization matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    NoSession,
    /// alice, who owns the request the object ids name.
    Owner,
    /// bob, another person.
    Other,
    /// hana (user and helpdesk).
    Helpdesk,
    /// ivan (user and IT).
    It,
    /// A session whose roles were all taken away.
    NoRole,
}

const CALLERS: [Caller; 6] = [
    Caller::NoSession,
    Caller::Other,
    Caller::Helpdesk,
    Caller::It,
    Caller::NoRole,
    // Last: the owner's own pause must come after every refused attempt.
    Caller::Owner,
];

#[tokio::test]
async fn the_authorization_matrix_holds_for_every_server_function_and_page() {
    use Caller::*;
    // No workers in the portal: alice's request stays queued, so her own actions stay possible.
    let Rig {
        old: _old,
        new: _new,
        sink: _sink,
        app,
    } = rig(None, &[("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false")]).await;
    let (no_role, _) = app.sign_in("bob", "bob-pass").await;
    app.db()
        .await
        .execute_unprepared("UPDATE sessions SET roles = ''")
        .await
        .unwrap();
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    // alice connects, scans (a worker of its own, stopped after) and starts a request.
    app.connect(&alice, "alice", "alice-old").await;
    let mut worker = app.spawn_worker(1);
    app.scanned(&alice).await;
    worker.kill().await.unwrap();
    let (status, body) = app.start(&alice, &["INBOX".to_owned()]).await;
    assert_eq!(status, 200, "{body}");
    let request = serde_json::from_str::<MigrationView>(&body)
        .unwrap()
        .request
        .unwrap()
        .id
        .to_string();
    let anonymous = app.client();
    let client = |c: Caller| match c {
        NoSession => &anonymous,
        Owner => &alice,
        Other => &bob,
        Helpdesk => &hana,
        It => &ivan,
        NoRole => &no_role,
    };

    // Every server function, with each caller's expected status. Object ids are alice's (and one
    // that does not exist, which must look exactly like someone else's).
    type Row<'a> = (&'a str, Vec<(&'a str, &'a str)>, [(Caller, u16); 6]);
    let rows: Vec<Row> = vec![
        (
            "whoami",
            vec![],
            [
                (NoSession, 200),
                (Owner, 200),
                (Other, 200),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 200),
            ],
        ),
        (
            "people",
            vec![("filter", "")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "helpdesk_triage",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "act_on_selection",
            vec![
                ("action", "Retry"),
                ("reason", "checking the matrix"),
                ("expected", "0"),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "request_detail",
            vec![("request_id", request.as_str())],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        // Past the role check, the empty reason is refused: nothing changes for the owner's turn.
        (
            "act_for_person",
            vec![
                ("request_id", request.as_str()),
                ("action", "Pause"),
                ("reason", ""),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 400),
                (It, 400),
                (NoRole, 403),
            ],
        ),
        (
            "add_note",
            vec![
                ("request_id", request.as_str()),
                ("text", "checked the matrix"),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "email_person",
            vec![
                ("request_id", "999999"),
                ("which", "ResendLast"),
                ("reason", "checking the matrix"),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 404),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "corrupt_mailboxes",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "decide_for_queue",
            vec![
                ("decision", "retry"),
                ("expected", "0"),
                ("reason", "checking the matrix"),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "waves",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "plan_wave",
            vec![("name", "no such wave")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "change_wave",
            vec![
                ("name", "no such wave"),
                ("concurrency", "2"),
                ("mode", "invite"),
                ("window_start", ""),
                ("window_end", ""),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "wave_messages",
            vec![("name", "no such wave")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "wave_dashboard",
            vec![("name", "no such wave")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "drive_wave",
            vec![("name", "no such wave"), ("command", "start")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "preview_repair",
            vec![("request_id", "999999"), ("id", "1")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "decide_quarantined",
            vec![
                ("request_id", "999999"),
                ("ids[0]", "1"),
                ("decision", "accept"),
                ("reason", "checking the matrix"),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "server_statuses",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "cutover_board",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "switch_delivery",
            vec![("wave", "no such wave")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "destination_board",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "set_destination",
            vec![("wave", "no such wave"), ("destination", "default")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "old_addresses",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        // Everyone with a mailbox sees their own old addresses, and decides only about those.
        (
            "my_old_addresses",
            vec![],
            [
                (NoSession, 401),
                (Owner, 200),
                (Other, 200),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "decide_old_address",
            vec![
                ("address", "someone@old.example.org"),
                ("decision", "confirmed"),
            ],
            [
                (NoSession, 401),
                (Owner, 404),
                (Other, 404),
                (Helpdesk, 404),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        // Past the role check, a connection limit of 0 is refused: the matrix changes no server.
        (
            "set_server_limits",
            vec![
                ("server", "old"),
                ("max_connections", "0"),
                ("reason", "checking the matrix"),
            ],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 400),
                (NoRole, 403),
            ],
        ),
        (
            "email_templates",
            vec![],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "preview_email",
            vec![("kind", "Done"), ("person", "")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "send_test_email",
            vec![("kind", "Started"), ("person", "")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "my_migration",
            vec![],
            [
                (NoSession, 401),
                (Owner, 200),
                (Other, 200),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "connect_old_account",
            vec![("login", "nobody"), ("password", "wrong")],
            [
                (NoSession, 401),
                (Owner, 400),
                (Other, 400),
                (Helpdesk, 400),
                (It, 400),
                (NoRole, 403),
            ],
        ),
        (
            "start_migration",
            vec![("folders[0]", "INBOX")],
            [
                (NoSession, 401),
                (Owner, 200),
                (Other, 400),
                (Helpdesk, 400),
                (It, 400),
                (NoRole, 403),
            ],
        ),
        // After start_migration: a new scan replaces the one the start was checked against.
        (
            "start_scan",
            vec![],
            [
                (NoSession, 401),
                (Owner, 200),
                (Other, 400),
                (Helpdesk, 400),
                (It, 400),
                (NoRole, 403),
            ],
        ),
        (
            "control_request",
            vec![("request_id", "999999"), ("action", "Pause")],
            [
                (NoSession, 401),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 403),
                (NoRole, 403),
            ],
        ),
        (
            "control_request",
            vec![("request_id", request.as_str()), ("action", "Pause")],
            [
                (NoSession, 401),
                (Owner, 200),
                (Other, 403),
                (Helpdesk, 403),
                (It, 403),
                (NoRole, 403),
            ],
        ),
    ];
    // A new server function without a row fails here.
    let tested: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|(name, ..)| format!("/api/{name}"))
        .collect();
    let existing: std::collections::BTreeSet<String> = leptos::server_fn::actix::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    assert!(
        !existing.is_empty(),
        "the server functions are registered in this binary"
    );
    assert_eq!(
        tested, existing,
        "every server function needs rows in the matrix"
    );

    let mut wrong = Vec::new();
    for (name, form, expected) in &rows {
        for caller in CALLERS {
            let want = expected.iter().find(|(c, _)| *c == caller).unwrap().1;
            let (got, body) = app.call(client(caller), name, form).await;
            if got != want {
                wrong.push(format!(
                    "{name} {form:?} as {caller:?}: {got}, expected {want}: {body}"
                ));
            }
        }
    }

    let request_page = format!("/helpdesk/requests/{request}");
    let timeline_csv = format!("/helpdesk/requests/{request}/timeline.csv");
    let report_csv = format!("/helpdesk/requests/{request}/report.csv");
    let quarantine_csv = format!("/helpdesk/requests/{request}/quarantine.csv");
    let pages: [(&str, [(Caller, u16); 6]); 19] = [
        (
            "/it/requests/999999/quarantine/1.eml",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "/me/left-behind/999999.eml",
            [
                (NoSession, 302),
                (Owner, 404),
                (Other, 404),
                (Helpdesk, 404),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "/helpdesk/triage.csv",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/it/corrupt.csv",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/it/server-limits.csv",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/it/waves/report.csv?wave=no%20such%20wave",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "/it/waves/report.html?wave=no%20such%20wave",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "/it/people.csv",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            timeline_csv.as_str(),
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            report_csv.as_str(),
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            quarantine_csv.as_str(),
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/helpdesk/requests/999999/report.csv",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 404),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "/helpdesk/requests/999999/timeline.csv",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 404),
                (It, 404),
                (NoRole, 403),
            ],
        ),
        (
            "/",
            [
                (NoSession, 200),
                (Owner, 200),
                (Other, 200),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 200),
            ],
        ),
        (
            "/me",
            [
                (NoSession, 302),
                (Owner, 200),
                (Other, 200),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/helpdesk",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            request_page.as_str(),
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 200),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/it",
            [
                (NoSession, 302),
                (Owner, 403),
                (Other, 403),
                (Helpdesk, 403),
                (It, 200),
                (NoRole, 403),
            ],
        ),
        (
            "/no-such-page",
            [
                (NoSession, 404),
                (Owner, 404),
                (Other, 404),
                (Helpdesk, 404),
                (It, 404),
                (NoRole, 404),
            ],
        ),
    ];
    for (path, expected) in pages {
        for caller in CALLERS {
            let want = expected.iter().find(|(c, _)| *c == caller).unwrap().1;
            let got = client(caller)
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if got != want {
                wrong.push(format!("GET {path} as {caller:?}: {got}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
