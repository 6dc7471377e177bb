//! Division IT changes a server's limits while Fountain runs, against real servers: the old Dovecot
//! behind a proxy that counts connections, and a separate `fountain worker` process that learns of
//! the change through the database. A paused server gets no new scan; a lowered connection limit
//! holds from the next connection; every change is in the servers' audit log with who and why.
use std::sync::atomic::Ordering;
use std::time::Duration;

use app::dto::{RequestState, ScanState, ServerRole, ServerStatus};

use crate::support::flow::{assert_same_mail, portal, Portal};
use crate::support::proxy::FaultyProxy;
use crate::support::servers::Dovecot;
use crate::support::TestApp;

async fn statuses(app: &TestApp, client: &reqwest::Client) -> Vec<ServerStatus> {
    let (status, body) = app.call(client, "server_statuses", &[]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn old(servers: &[ServerStatus]) -> &ServerStatus {
    servers.iter().find(|s| s.role == ServerRole::Old).unwrap()
}

async fn set_old(
    app: &TestApp,
    client: &reqwest::Client,
    connections: &str,
    paused: bool,
    reason: &str,
) -> (u16, String) {
    let mut form = vec![
        ("server", "old"),
        ("max_connections", connections),
        ("max_mb_per_sec", ""),
        ("reason", reason),
    ];
    if paused {
        form.push(("claims_paused", "true"));
    }
    app.call(client, "set_server_limits", &form).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_server_starts_nothing_and_a_lowered_limit_holds_from_the_next_connection() {
    let old_server = Dovecot::start("old", None);
    old_server.seed_sample("alice", 40, 7);
    old_server.seed_sample("bob", 40, 8);
    let proxy = FaultyProxy::passthrough_on([127, 0, 0, 1].into(), old_server.port).await;
    let Portal { new, sink: _, app } = portal(
        proxy.port,
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__PARALLEL_FOLDERS", "4"),
            ("FOUNTAIN__MIGRATION__MAX_CONNECTIONS_PER_SERVER", "4"),
            ("FOUNTAIN__MIGRATION__CONCURRENT_REQUESTS", "1"),
        ],
    )
    .await;
    // The copies run in another process: what IT changes reaches it through the database.
    let _worker = app.spawn_worker(1);
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let before = statuses(&app, &ivan).await;
    let configured = old(&before);
    assert_eq!(configured.configured.max_connections, 4);
    assert_eq!(configured.in_force, configured.configured);
    assert!(configured.changes.is_empty());
    assert!(
        configured.address.ends_with(&format!(":{}", proxy.port)),
        "{}",
        configured.address
    );

    // Wrong values are refused with what to type, and nothing is recorded.
    for (connections, rate, reason, says) in [
        ("0", "", "a reason", "whole number from 1"),
        ("2", "-1", "a reason", "MB per second must be"),
        ("2", "NaN", "a reason", "MB per second must be"),
        ("9999", "", "a reason", "whole number from 1"),
        ("2", "", " ", "Say why"),
    ] {
        let form = [
            ("server", "old"),
            ("max_connections", connections),
            ("max_mb_per_sec", rate),
            ("reason", reason),
        ];
        let (status, body) = app.call(&ivan, "set_server_limits", &form).await;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert!(body.contains(says), "{form:?}: {body}");
    }
    let (status, body) = app
        .call(
            &ivan,
            "set_server_limits",
            &[
                ("server", "elsewhere"),
                ("max_connections", "2"),
                ("reason", "a reason"),
            ],
        )
        .await;
    assert!(status >= 400, "an unknown server is refused: {body}");
    assert!(old(&statuses(&app, &ivan).await).changes.is_empty());

    // At the configured limits, bob's folders are copied on several connections at once.
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    app.connect(&bob, "bob", "bob-old").await;
    let (status, body) = app.scan_and_start_everything(&bob).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.until_ended(&bob, 120).await.state, RequestState::Done);
    let peak = proxy.peak.load(Ordering::SeqCst);
    assert!(
        peak >= 2,
        "four folders in parallel used {peak} connection(s)"
    );

    // IT pauses the old server: alice's scan waits, and nobody connects to it for her.
    let (status, body) = set_old(&app, &ivan, "1", true, "Backup of the old server tonight").await;
    assert_eq!(status, 200, "{body}");
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let connections = proxy.accepted.load(Ordering::SeqCst);
    app.view(&alice, "start_scan", &[]).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let waiting = app.view(&alice, "my_migration", &[]).await.scan.unwrap();
    assert_eq!(waiting.state, ScanState::Queued, "{waiting:?}");
    assert_eq!(
        proxy.accepted.load(Ordering::SeqCst),
        connections,
        "a paused server gets no new connection"
    );

    // Open again with one connection at a time: the scan and the whole copy keep to it.
    proxy.peak.store(0, Ordering::SeqCst);
    let (status, body) = set_old(&app, &ivan, "1", false, "Backup done; it melts above one").await;
    assert_eq!(status, 200, "{body}");
    let scanned = app
        .until(&alice, 60, |v| {
            v.scan
                .as_ref()
                .is_some_and(|s| s.result.is_some() || s.error.is_some())
        })
        .await;
    let folders: Vec<String> = scanned
        .scan
        .unwrap()
        .result
        .expect("scanned")
        .folders
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert!(folders.len() >= 4, "{folders:?}");
    let (status, body) = app.start(&alice, &folders).await;
    assert_eq!(status, 200, "{body}");
    let done = app.until_ended(&alice, 120).await;
    assert_eq!(done.state, RequestState::Done, "{done:?}");
    assert_eq!(
        proxy.peak.load(Ordering::SeqCst),
        1,
        "never more than the one connection IT allowed"
    );
    assert_same_mail(old_server.port, new.port, done.report.as_ref().unwrap()).await;

    // Both changes are in the audit log, newest first, and the last is in force.
    let after = statuses(&app, &ivan).await;
    let now = old(&after);
    assert_eq!(now.in_force.max_connections, 1);
    assert!(!now.in_force.claims_paused);
    assert_eq!(now.configured.max_connections, 4, "the file is unchanged");
    let log: Vec<(&str, &str, bool)> = now
        .changes
        .iter()
        .map(|c| (c.by.as_str(), c.reason.as_str(), c.limits.claims_paused))
        .collect();
    assert_eq!(
        log,
        [
            (
                "ivan.ito@example.org",
                "Backup done; it melts above one",
                false
            ),
            (
                "ivan.ito@example.org",
                "Backup of the old server tonight",
                true
            ),
        ]
    );
    let new_server = after.iter().find(|s| s.role == ServerRole::New).unwrap();
    assert!(new_server.changes.is_empty(), "only the old server changed");
    assert_eq!(new_server.in_force.max_connections, 4);
}

/// Where the old and new servers are one server, each copy holds two connections to it: IT cannot
/// allow fewer, and says why.
#[tokio::test]
async fn one_server_on_both_sides_needs_two_connections() {
    let both = Dovecot::start("new", Some(crate::support::flow::MASTER));
    let url = format!("imap://127.0.0.1:{}", both.port);
    let app = TestApp::spawn_with(
        crate::support::Backend::Sqlite,
        &[
            ("FOUNTAIN__MIGRATION__OLD_SERVER__URL", url.as_str()),
            ("FOUNTAIN__MIGRATION__OLD_SERVER__LOGIN", "{localpart}"),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__URL", url.as_str()),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__AUTH", "master"),
            (
                "FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN",
                crate::support::flow::MASTER.0,
            ),
            (
                "FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN_PASSWORD",
                crate::support::flow::MASTER.1,
            ),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__LOGIN", "{email}"),
            (
                "FOUNTAIN__MIGRATION__SECRETS_KEY",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
        ],
    )
    .await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let (status, body) = set_old(&app, &ivan, "1", false, "trying one connection").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("at least 2"), "{body}");
    let (status, body) = set_old(&app, &ivan, "2", false, "two it is").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        old(&serde_json::from_str::<Vec<ServerStatus>>(&body).unwrap())
            .in_force
            .max_connections,
        2
    );
}
