//! The load guard on real servers: the new server turns sluggish in the middle of a wave (every reply
//! delayed, through the fault proxy); the guard sees its APPENDs take many times their best and stops
//! new copies on it (the servers page says so and why): a slot set free meanwhile stays free, the
//! copies under way go on more slowly; once the server answers quickly again, copies start again,
//! and every mailbox ends whole. A server whose own health check (a command, a URL) says it is unwell
//! gets no new copy until it is well again.
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use server::engine::imap::Credentials;
use server::jobs::state::Event;
use server::jobs::timeline::Actor;

use crate::support::flow::{assert_same_mail_of, new_mailbox, portal_via_proxy, Portal};
use crate::support::servers::Dovecot;
use crate::waves::{fountain, show, OLD_ADMIN};

const PEOPLE: [(&str, &str); 3] = [
    ("carol.cole", "carol.cole@example.org"),
    ("dan.duarte", "dan.duarte@example.org"),
    ("erin", "erin.east@example.org"),
];

/// Requests a worker has taken at least once.
async fn claimed(db: &sea_orm::DatabaseConnection) -> i64 {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM migration_requests WHERE attempts > 0",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

/// One of the requests being copied.
async fn copying_one(db: &sea_orm::DatabaseConnection) -> app::dto::RequestId {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM migration_requests WHERE state = 'copying' ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("a copy under way");
    app::dto::RequestId(row.try_get("", "id").unwrap())
}

/// What the servers page says of the new server's load guard.
async fn guard(app: &crate::support::TestApp, ivan: &reqwest::Client) -> Option<String> {
    let (status, body) = app.call(ivan, "server_statuses", &[]).await;
    assert_eq!(status, 200, "{body}");
    let servers: Vec<app::dto::ServerStatus> = serde_json::from_str(&body).unwrap();
    let new = servers
        .into_iter()
        .find(|s| s.role == app::dto::ServerRole::New)
        .unwrap();
    new.live.guard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_straining_new_server_gets_no_new_copies_until_it_recovers() {
    let old = Dovecot::start_for(
        "carol.cole:x\ndan.duarte:x\nerin:x\n",
        "old",
        Some(OLD_ADMIN),
        &[],
    );
    // Two big mailboxes go first (largest first), the small one waits for a slot.
    for (seed, (login, _)) in PEOPLE.iter().enumerate() {
        let messages = if *login == "erin" { 10 } else { 120 };
        old.seed_sample(login, messages, seed as u32 + 40);
    }
    let (
        Portal {
            app,
            new,
            sink: _sink,
        },
        proxy,
    ) = portal_via_proxy(
        old.port,
        &[
            ("FOUNTAIN__MIGRATION__OLD_SERVER__AUTH", "master"),
            ("FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN", OLD_ADMIN.0),
            (
                "FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN_PASSWORD",
                OLD_ADMIN.1,
            ),
            // Two copies at a time, one folder each: the third waits for a free slot.
            ("FOUNTAIN__MIGRATION__CONCURRENT_REQUESTS", "2"),
            ("FOUNTAIN__MIGRATION__PARALLEL_FOLDERS", "1"),
            ("FOUNTAIN__MIGRATION__OLD_SERVER__TIMEOUT_SECS", "30"),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__TIMEOUT_SECS", "30"),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.csv");
    let lines: String = PEOPLE
        .iter()
        .map(|(login, email)| format!("{email},{login}\n"))
        .collect();
    std::fs::write(&file, format!("email,old_login\n{lines}")).unwrap();
    for args in [
        vec!["import", file.to_str().unwrap(), "--wave", "Lab"],
        vec!["set", "Lab", "--mode", "it-run", "--concurrency", "3"],
        vec!["start", "Lab"],
    ] {
        let out = fountain(&app, &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
    let db = server::db::connect(&app.db_url).await.unwrap();
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;

    // Two copies are under way: the new server turns sluggish.
    let deadline = Instant::now() + Duration::from_secs(120);
    while claimed(&db).await < 2 {
        assert!(Instant::now() < deadline, "the copies did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(guard(&app, &ivan).await, None);
    proxy.lag(Duration::from_millis(400));
    let deadline = Instant::now() + Duration::from_secs(120);
    let why = loop {
        if let Some(why) = guard(&app, &ivan).await {
            break why;
        }
        assert!(Instant::now() < deadline, "the guard never tripped");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(why.contains("slower than its best"), "{why}");
    // While it holds, a slot set free is not filled: one copy is paused, the third person waits.
    assert_eq!(
        claimed(&db).await,
        2,
        "the third copy started before the server turned sluggish"
    );
    let paused = copying_one(&db).await;
    let queue = server::jobs::queue::Queue { db: &db };
    queue
        .apply(paused, Event::Pause, Actor::Fountain, None)
        .await
        .unwrap();
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(8) && guard(&app, &ivan).await.is_some() {
        assert_eq!(
            claimed(&db).await,
            2,
            "a copy started on a straining server"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        watch.elapsed() >= Duration::from_secs(4),
        "the guard let go after {:?}, too soon to tell",
        watch.elapsed()
    );

    // The server recovers: the guard lets copies in again, and the wave ends with every mailbox whole.
    proxy.lag(Duration::ZERO);
    queue
        .apply(paused, Event::Resume, Actor::Fountain, None)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    while show(&app, "Lab")["wave"]["state"] != "finished" {
        assert!(
            Instant::now() < deadline,
            "the wave never finished after the server recovered"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(guard(&app, &ivan).await, None);
    let out = fountain(&app, &["report", "Lab", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for row in rows.as_array().unwrap() {
        assert_eq!(row["state"], "done", "{rows}");
    }
    for (login, email) in PEOPLE {
        let report = crate::waves::report_of(&db, email).await;
        let old_side = Credentials::Master {
            user: login.into(),
            master: OLD_ADMIN.0.into(),
            password: OLD_ADMIN.1.into(),
        };
        assert_same_mail_of(old.port, &old_side, new.port, &new_mailbox(email), &report).await;
    }
}

/// A real HTTP server over `dir` (python's), for a health URL; stopped when dropped.
struct HttpFolder {
    port: u16,
    child: std::process::Child,
}

impl HttpFolder {
    async fn serve(dir: &std::path::Path) -> HttpFolder {
        let port = crate::support::free_port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the HTTP server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        HttpFolder { port, child }
    }
}

impl Drop for HttpFolder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (at most `secs`) until the servers page's word on the new server's guard satisfies `ok`.
async fn guard_until(
    app: &crate::support::TestApp,
    ivan: &reqwest::Client,
    secs: u64,
    ok: impl Fn(&Option<String>) -> bool,
) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let now = guard(app, ivan).await;
        if ok(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "the guard stayed {now:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_own_health_check_fails_gets_no_new_copies_until_it_is_well() {
    let old = Dovecot::start_for("carol.cole:x\n", "old", Some(OLD_ADMIN), &[]);
    old.seed_sample("carol.cole", 20, 51);
    let dir = tempfile::tempdir().unwrap();
    // The new server's monitoring, as IT wires it: a command (here: a file says it is busy) …
    let busy = dir.path().join("busy");
    std::fs::write(&busy, "Indexierung im Rückstand: 41 000 Nachrichten\n").unwrap();
    let command = format!(
        "if [ -e '{0}' ]; then cat '{0}'; exit 2; fi",
        busy.display()
    );
    // … and a URL (answers 200 while the file `ok` is there, 404 once it is not).
    let web = dir.path().join("web");
    std::fs::create_dir(&web).unwrap();
    std::fs::write(web.join("ok"), "ok").unwrap();
    let http = HttpFolder::serve(&web).await;
    let url = format!("http://127.0.0.1:{}/ok", http.port);
    let Portal {
        app,
        new,
        sink: _sink,
    } = crate::waves::master_portal_with(
        &old,
        &[
            ("FOUNTAIN__MIGRATION__NEW_SERVER__HEALTH_COMMAND", &command),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__HEALTH_URL", &url),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__HEALTH_EVERY_SECS", "1"),
        ],
    )
    .await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let why = guard_until(&app, &ivan, 30, Option::is_some).await.unwrap();
    assert!(
        why.contains("Indexierung im Rückstand: 41 000 Nachrichten") && why.contains("exited 2"),
        "{why}"
    );

    // A wave starts while the server says it is busy: nothing is copied to it.
    let file = dir.path().join("lab.csv");
    std::fs::write(
        &file,
        "email,old_login\ncarol.cole@example.org,carol.cole\n",
    )
    .unwrap();
    for args in [
        vec!["import", file.to_str().unwrap(), "--wave", "Lab"],
        vec!["set", "Lab", "--mode", "it-run"],
        vec!["start", "Lab"],
    ] {
        let out = fountain(&app, &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
    let db = server::db::connect(&app.db_url).await.unwrap();
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(6) {
        assert_eq!(claimed(&db).await, 0, "a copy started on a busy server");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Well again: the copy runs and the wave ends whole.
    std::fs::remove_file(&busy).unwrap();
    guard_until(&app, &ivan, 30, Option::is_none).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while show(&app, "Lab")["wave"]["state"] != "finished" {
        assert!(Instant::now() < deadline, "the wave never finished");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let email = "carol.cole@example.org";
    let report = crate::waves::report_of(&db, email).await;
    let old_side = Credentials::Master {
        user: "carol.cole".into(),
        master: OLD_ADMIN.0.into(),
        password: OLD_ADMIN.1.into(),
    };
    assert_same_mail_of(old.port, &old_side, new.port, &new_mailbox(email), &report).await;

    // The URL stops answering 2xx: the guard says so; back to 200, it lets go.
    std::fs::remove_file(web.join("ok")).unwrap();
    let why = guard_until(&app, &ivan, 30, Option::is_some).await.unwrap();
    assert!(why.contains("health URL answered 404"), "{why}");
    std::fs::write(web.join("ok"), "ok").unwrap();
    guard_until(&app, &ivan, 30, Option::is_none).await;
}
