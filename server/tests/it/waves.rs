//! Division IT's waves from the command line, on both databases: a directory export imported whole
//! (non-ASCII names and notes, a byte-order mark, mixed case), a file with bad lines refused with each
//! line and what is wrong and nothing saved (not even the wave it would have made), a person already in another active wave refused, and
//! 50,000 people in one file.
use std::process::Output;

use crate::support::browser::{chromium, css, shot, sign_in_as, text_until};
use crate::support::{Backend, TestApp};

/// `fountain waves ARGS…` with the portal's configuration.
pub(crate) fn fountain(app: &TestApp, args: &[&str]) -> Output {
    command(app, &[&["waves"], args].concat())
}

/// `fountain ARGS…` (any command) with the portal's configuration.
pub(crate) fn command(app: &TestApp, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_fountain"))
        .arg("--config")
        .arg(app.config_path())
        .args(args)
        .env_remove("DATABASE_URL")
        .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

pub(crate) fn show(app: &TestApp, wave: &str) -> serde_json::Value {
    let out = fountain(app, &["show", wave, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// IT's administrator on an old Dovecot (a master user): Fountain logs in for people with it.
pub(crate) const OLD_ADMIN: (&str, &str) = ("old-admin", "old-admin-pass");

/// A portal whose old server is `old`, where Fountain logs in for people as [`OLD_ADMIN`].
async fn master_portal(old: &crate::support::servers::Dovecot) -> crate::support::flow::Portal {
    master_portal_with(old, &[]).await
}

/// [`master_portal`] with more settings.
pub(crate) async fn master_portal_with(
    old: &crate::support::servers::Dovecot,
    extra: &[(&str, &str)],
) -> crate::support::flow::Portal {
    let mut env = vec![
        ("FOUNTAIN__MIGRATION__OLD_SERVER__AUTH", "master"),
        ("FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN", OLD_ADMIN.0),
        (
            "FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN_PASSWORD",
            OLD_ADMIN.1,
        ),
    ];
    env.extend_from_slice(extra);
    crate::support::flow::portal(old.port, &env).await
}

async fn imports_whole_or_not_at_all(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("finance.csv");
    std::fs::write(
        &good,
        "\u{feff}Email,Note,old_login\r\nAnn.Archer@Example.org,\"Finanzen, 2. Stock\",aarcher\r\njosé.garcía@example.org,Zürich,\r\n",
    )
    .unwrap();
    let out = fountain(
        &app,
        &[
            "import",
            good.to_str().unwrap(),
            "--wave",
            "Finance – März",
            "--by",
            "ivan",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 added"),
        "{out:?}"
    );
    let shown = show(&app, "Finance – März");
    assert_eq!(shown["wave"]["members"], 2, "{shown}");
    assert_eq!(shown["wave"]["state"], "planned");
    let people = shown["people"].as_array().unwrap();
    assert_eq!(people[0]["email"], "ann.archer@example.org");
    assert_eq!(people[0]["note"], "Finanzen, 2. Stock");
    assert_eq!(people[0]["old_login"], "aarcher");
    assert_eq!(people[1]["email"], "josé.garcía@example.org");

    // The same file again adds nobody twice.
    let out = fountain(
        &app,
        &[
            "import",
            good.to_str().unwrap(),
            "--wave",
            "Finance – März",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (again["added"].as_u64(), again["already_in"].as_u64()),
        (Some(0), Some(2))
    );

    // By hand, with the same checks: a person once, in one active wave at a time.
    let out = fountain(
        &app,
        &[
            "add",
            "Finance – März",
            "bob@example.org",
            "--note",
            "Empfang",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = fountain(&app, &["add", "Finance – März", "ANN.archer@example.org"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("already"),
        "{out:?}"
    );
    let out = fountain(&app, &["add", "Audit", "ann.archer@example.org"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("already in the active wave “Finance – März”"),
        "{out:?}"
    );
    let out = fountain(&app, &["add", "Audit", "not an address"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(show(&app, "Finance – März")["wave"]["members"], 3);
    let out = fountain(&app, &["remove", "Finance – März", "bob@example.org"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = fountain(&app, &["remove", "Finance – März", "bob@example.org"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(show(&app, "Finance – März")["wave"]["members"], 2);

    // Bad lines: each reported with its line; nobody of the file is added, not even the good ones.
    let bad = dir.path().join("legal.csv");
    std::fs::write(
        &bad,
        "email,note\nbob@example.org,fine\nnot-an-address,\nANN.ARCHER@example.org,in Finance already\nbob@example.org,twice\n",
    )
    .unwrap();
    let out = fountain(&app, &["import", bad.to_str().unwrap(), "--wave", "Legal"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    let at = |line: u32| format!("legal.csv:{line}: ");
    assert!(
        said.contains(&(at(3) + "\"not-an-address\" is not an email address")),
        "{said}"
    );
    assert!(
        said.contains(
            &(at(4) + "ann.archer@example.org is already in the active wave \"Finance – März\"")
        ),
        "{said}"
    );
    assert!(
        said.contains(&(at(5) + "bob@example.org is already on line 2")),
        "{said}"
    );
    assert!(said.contains("nobody was added"), "{said}");
    // Not even the wave the import would have made.
    let out = fountain(&app, &["show", "Legal"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no wave named “Legal”"),
        "{out:?}"
    );
    let out = fountain(
        &app,
        &["import", bad.to_str().unwrap(), "--wave", "Legal", "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let refused: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(refused["refused"], 3, "{refused}");
    assert_eq!(refused["problems"][0]["line"], 3);

    // 50,000 people stream through in one transaction.
    let big = dir.path().join("everyone.csv");
    let mut text = String::from("email,note\n");
    for i in 0..50_000 {
        text.push_str(&format!("person{i}@example.org,Abteilung {}\n", i % 40));
    }
    std::fs::write(&big, text).unwrap();
    let started = std::time::Instant::now();
    let out = fountain(
        &app,
        &["import", big.to_str().unwrap(), "--wave", "Everyone"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    eprintln!(
        "imported 50,000 people in {:?} ({backend:?})",
        started.elapsed()
    );
    let list = fountain(&app, &["list", "--json"]);
    let waves: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let everyone = waves
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Everyone")
        .unwrap();
    assert_eq!(everyone["members"], 50_000);
}

#[tokio::test]
async fn waves_import_whole_or_not_at_all_on_sqlite() {
    imports_whole_or_not_at_all(Backend::Sqlite).await;
}

#[tokio::test]
async fn waves_import_whole_or_not_at_all_on_postgres() {
    imports_whole_or_not_at_all(Backend::Postgres).await;
}

/// A wave's plan from what Fountain knows: bob's copy is done (the one measured copy on the old
/// server), alice has scanned (her size), carol has never signed in (not sized). The plan holds alice
/// alone, at the measured rate; the window is set in UTC, checked, and the plan is read against it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_is_planned_from_scans_and_measured_copies() {
    let old = crate::support::servers::Dovecot::start("old", None);
    old.seed_sample("bob", 30, 3);
    old.seed_sample("alice", 60, 5);
    let crate::support::flow::Portal {
        app,
        new: _new,
        sink: _,
    } = crate::support::flow::portal(old.port, &[]).await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    app.connect(&bob, "bob", "bob-old").await;
    let (status, body) = app.scan_and_start_everything(&bob).await;
    assert_eq!(status, 200, "{body}");
    let done = app.until_ended(&bob, 90).await;
    assert_eq!(done.state, app::dto::RequestState::Done, "{done:?}");
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let scan = app
        .scanned(&alice)
        .await
        .scan
        .unwrap()
        .result
        .expect("scanned");
    let alice_bytes: u64 = scan
        .folders
        .iter()
        .filter(|f| f.selected_by_default)
        .map(|f| f.bytes)
        .sum();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pilot.csv");
    std::fs::write(
        &file,
        "email\nbob.baker@example.org\nalice.archer@example.org\ncarol.cole@example.org\n",
    )
    .unwrap();
    let out = fountain(&app, &["import", file.to_str().unwrap(), "--wave", "Pilot"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let out = fountain(&app, &["plan", "Pilot", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["people"].as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(plan["people"][0]["email"], "alice.archer@example.org");
    assert_eq!(plan["people"][0]["bytes"].as_u64(), Some(alice_bytes));
    assert_eq!(plan["people"][0]["start_p50_secs"], 0.0);
    assert_eq!(
        plan["not_sized"],
        serde_json::json!(["carol.cole@example.org"])
    );
    assert_eq!(
        plan["already_done"],
        serde_json::json!(["bob.baker@example.org"])
    );
    assert_eq!(plan["measured_copies"], 1, "{plan}");
    let rate = plan["rate_p50"].as_f64().unwrap();
    assert!(
        rate > 0.0 && rate != 2_000_000.0,
        "measured, not assumed: {plan}"
    );
    let finish = plan["finish_p50_secs"].as_f64().unwrap();
    assert!((finish - alice_bytes as f64 / rate).abs() < 1e-6, "{plan}");

    // Settings: refused with why and nothing changed, or saved.
    let out = fountain(&app, &["set", "Pilot", "--concurrency", "0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 to 64 copies at once, not 0"),
        "{out:?}"
    );
    let out = fountain(&app, &["set", "Pilot", "--window-start", "next week"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2026-12-05 18:00"),
        "{out:?}"
    );
    let out = fountain(
        &app,
        &[
            "set",
            "Pilot",
            "--concurrency",
            "3",
            "--window-start",
            "2026-12-05 18:00",
            "--window-end",
            "2026-12-06 06:00",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = fountain(&app, &["set", "Pilot", "--window-end", "2026-12-05 17:00"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ends before it starts"),
        "{out:?}"
    );
    let shown = show(&app, "Pilot");
    assert_eq!(shown["wave"]["concurrency"], 3, "{shown}");
    assert_eq!(shown["wave"]["window_start"], 1_796_493_600_i64, "{shown}");
    assert_eq!(shown["wave"]["window_end"], 1_796_536_800_i64, "{shown}");

    // In words, against the window: alice starts when it opens.
    let out = fountain(&app, &["plan", "Pilot"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("alice.archer@example.org") && said.contains("starts 2026-12-05 18:00"),
        "{said}"
    );
    assert!(
        said.contains("measured over 1 copy on the old server"),
        "{said}"
    );
    assert!(said.contains("fits its window"), "{said}");
    assert!(
        said.contains("not sized yet (no finished scan), not planned: carol.cole@example.org"),
        "{said}"
    );

    // The results, person by person: bob's copy as his report says, alice not started, carol not
    // signed in; the same as CSV from the CLI and from the portal (IT only).
    let out = fountain(&app, &["report", "Pilot", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let state_of = |email: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == email)
            .unwrap()
            .clone()
    };
    let bob_row = state_of("bob.baker@example.org");
    let bob_report = done.report.as_ref().expect("bob's report");
    let bob_messages: u64 = bob_report.folders.iter().map(|f| f.source_messages).sum();
    assert_eq!(bob_row["state"], "done", "{bob_row}");
    assert_eq!(bob_row["source_messages"].as_u64(), Some(bob_messages));
    assert_eq!(bob_row["destination_messages"].as_u64(), Some(bob_messages));
    assert_eq!(bob_row["quarantined"], 0);
    assert_eq!(state_of("alice.archer@example.org")["state"], "not started");
    assert_eq!(state_of("carol.cole@example.org")["state"], "not signed in");
    let cli_csv = fountain(&app, &["report", "Pilot", "--csv"]).stdout;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let got = ivan
        .get(app.url("/it/waves/report.csv?wave=Pilot"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    let web_csv = got.bytes().await.unwrap();
    assert_eq!(web_csv.as_ref(), cli_csv.as_slice());
    assert!(String::from_utf8_lossy(&cli_csv).starts_with("email,state,folders,"));
    let person_gets = bob
        .get(app.url("/it/waves/report.csv?wave=Pilot"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        person_gets.status(),
        403,
        "a person may not read a wave's results"
    );

    // The portal gives IT the same plan (and nobody else).
    let (status, body) = app.call(&ivan, "plan_wave", &[("name", "Pilot")]).await;
    assert_eq!(status, 200, "{body}");
    let portal: app::dto::WavePlan = serde_json::from_str(&body).unwrap();
    let cli: app::dto::WavePlan =
        serde_json::from_slice(&fountain(&app, &["plan", "Pilot", "--json"]).stdout).unwrap();
    assert_eq!(portal, cli);
    let (status, _) = app.call(&ivan, "plan_wave", &[("name", "Nope")]).await;
    assert_eq!(status, 404);

    // And in Chromium: the list, then the plan drawn as SVG, one bar for alice on the first slot.
    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/it", ("ivan", "ivan-pass"), "#it").await;
    let row = text_until(c, "#waves", 30, |t| t.contains("Pilot")).await;
    assert!(
        row.contains("3 (2 sized,") && row.contains("2026-12-05 18:00 – 2026-12-06 06:00"),
        "{row}"
    );
    let button = text_until(c, "#wave-0", 10, |t| t.contains("Pilot")).await;
    assert!(button.contains("planned"), "{button}");
    css(c, "#wave-0-plan").await.click().await.unwrap();
    let rate = text_until(c, "#wave-plan-rate", 30, |t| !t.is_empty()).await;
    assert!(
        rate.contains("measured over 1 copy on the old server"),
        "{rate}"
    );
    let ends = text_until(c, "#wave-plan-ends", 10, |t| !t.is_empty()).await;
    assert!(
        ends.contains("It fits its window even when slow."),
        "{ends}"
    );
    let bars = c
        .find_all(fantoccini::Locator::Css("#wave-plan-chart rect.bar"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1);
    let order = text_until(c, "#wave-plan-order", 10, |t| !t.is_empty()).await;
    assert!(order.starts_with("1. alice.archer@example.org"), "{order}");
    let not_sized = text_until(c, "#wave-plan-unsized", 10, |t| !t.is_empty()).await;
    assert!(not_sized.contains("carol.cole@example.org"), "{not_sized}");
    shot(c, "waves-plan").await;

    // An IT-run wave needs Fountain to log in for people, which this portal cannot: refused from
    // the command line and from the page, nothing changed.
    let out = fountain(&app, &["set", "Pilot", "--mode", "it-run"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("IT-run wave needs Fountain to log in"),
        "{out:?}"
    );
    let form = [
        ("name", "Pilot"),
        ("concurrency", "2"),
        ("mode", "it_run"),
        ("window_start", "2026-12-05 18:00"),
        ("window_end", "2026-12-06 06:00"),
    ];
    let (status, body) = app.call(&ivan, "change_wave", &form).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("IT-run wave needs Fountain to log in"),
        "{body}"
    );
    assert_eq!(show(&app, "Pilot")["wave"]["mode"], "invite");
    let form = [("name", "Pilot"), ("command", "start")];
    // In Chromium: start, then pause, then resume, each shown as the wave's state.
    c.refresh().await.unwrap();
    for (button, state) in [
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
    ] {
        css(c, &format!("#wave-0-{button}"))
            .await
            .click()
            .await
            .unwrap();
        let row = text_until(c, "#wave-0", 30, |t| t.contains(state)).await;
        assert!(row.contains(state), "{button}: {row}");
        assert_eq!(show(&app, "Pilot")["wave"]["state"], state, "{button}");
    }
    shot(c, "waves-running").await;
    // The running wave's dashboard: bob's mailbox done of the sized ones, one bar per person, the
    // plots drawn by the server.
    css(c, "#wave-0-dashboard").await.click().await.unwrap();
    let states = text_until(c, "#wave-dashboard-states", 30, |t| t.contains("done")).await;
    assert!(
        states.contains("1 done") && states.contains("2 not started"),
        "{states}"
    );
    let bytes = text_until(c, "#wave-dashboard-bytes", 10, |t| !t.is_empty()).await;
    assert!(
        bytes.contains("copied") && bytes.contains("1 not sized yet"),
        "{bytes}"
    );
    let people = c
        .find_all(fantoccini::Locator::Css("#wave-people-chart g.person"))
        .await
        .unwrap();
    assert_eq!(people.len(), 3);
    for chart in [
        "#wave-bytes-chart",
        "#wave-burndown-chart",
        "#wave-throughput-chart",
    ] {
        css(c, chart).await;
    }
    let report = css(c, "#wave-dashboard-report").await;
    assert_eq!(
        report.attr("href").await.unwrap().as_deref(),
        Some("/it/waves/report.html?wave=Pilot")
    );
    shot(c, "waves-dashboard").await;
    let (status, body) = app.call(&ivan, "drive_wave", &form).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already running"), "{body}");
}

/// Requests of each wave now with the workers (queued or copying), by wave name.
async fn with_workers(
    db: &sea_orm::DatabaseConnection,
) -> std::collections::HashMap<String, usize> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT w.name AS name, COUNT(r.id) AS n FROM migration_requests r JOIN waves w ON w.id = r.wave_id \
             WHERE r.state IN ('queued', 'copying') GROUP BY w.name",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "name").unwrap(),
                r.try_get::<i64>("", "n").unwrap() as usize,
            )
        })
        .collect()
}

/// The people of a wave in the order its schedule first released them.
async fn released_in_order(db: &sea_orm::DatabaseConnection, wave: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT u.email AS email, MIN(e.id) AS first FROM request_events e \
                 JOIN migration_requests r ON r.id = e.request_id JOIN users u ON u.id = r.user_id \
                 WHERE e.actor_kind = 'wave' AND e.actor = '{wave}' AND e.to_state = 'queued' \
                 GROUP BY u.email ORDER BY first"
            ),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "email").unwrap())
        .collect()
}

/// Two invitation waves run at once on an old server that takes three connections: each wave keeps
/// to its two copies at once, both together to the server's three (the proxy counts them), copies
/// start largest first, the window's end stops Night's copies mid-way and a new window resumes them
/// where they were (every message once on the new server), and each wave ends when its people are
/// done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_waves_keep_to_their_slots_the_servers_budget_and_the_window() {
    use crate::support::flow::{assert_same_mail_of, new_mailbox, portal, Portal};
    use crate::support::proxy::FaultyProxy;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    // (old login, email, messages): Night is alice, bob and dan; Day is carol and erin.
    let people = [
        ("alice", "alice.archer@example.org", 70),
        ("bob", "bob.baker@example.org", 45),
        ("dan", "dan.duarte@example.org", 100),
        ("carol", "carol.cole@example.org", 40),
        ("erin", "erin.east@example.org", 30),
    ];
    let users: String = people
        .iter()
        .map(|(login, ..)| format!("{login}:{login}-old\n"))
        .collect();
    let old = crate::support::servers::Dovecot::start_for(&users, "old", None, &[]);
    for (seed, (login, _, messages)) in people.iter().enumerate() {
        old.seed_sample(login, *messages, seed as u32 + 1);
    }
    let proxy = FaultyProxy::passthrough_on([127, 0, 0, 1].into(), old.port).await;
    let Portal { app, new, sink: _ } = portal(
        proxy.port,
        &[
            ("FOUNTAIN__MIGRATION__MAX_CONNECTIONS_PER_SERVER", "3"),
            ("FOUNTAIN__MIGRATION__PARALLEL_FOLDERS", "1"),
            ("FOUNTAIN__MIGRATION__CONCURRENT_REQUESTS", "8"),
            ("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "1"),
        ],
    )
    .await;
    let db = server::db::connect(&app.db_url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (wave, csv) in [
        (
            "Night",
            "email\nalice.archer@example.org\nbob.baker@example.org\ndan.duarte@example.org\n",
        ),
        (
            "Day",
            "email\ncarol.cole@example.org\nerin.east@example.org\n",
        ),
    ] {
        let file = dir.path().join(format!("{wave}.csv"));
        std::fs::write(&file, csv).unwrap();
        let out = fountain(&app, &["import", file.to_str().unwrap(), "--wave", wave]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let out = fountain(&app, &["pause", "Night"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has not started: start it instead"),
        "{out:?}"
    );

    // Everyone asks on their own; being in a wave, each request waits for the wave's turn.
    let mut clients = Vec::new();
    for (login, email, _) in &people {
        let (client, _) = app.sign_in(login, &format!("{login}-pass")).await;
        app.connect(&client, login, &format!("{login}-old")).await;
        let (status, body) = app.scan_and_start_everything(&client).await;
        assert_eq!(status, 200, "{email}: {body}");
        clients.push((login, email, client));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (_, email, client) in &clients {
        let r = app.view(client, "my_migration", &[]).await.request.unwrap();
        assert_eq!(
            r.state,
            app::dto::RequestState::Scheduled,
            "{email}: a planned wave holds"
        );
    }

    // Night's window closes in a few seconds; Day has none.
    let in_secs = |secs: i64| app::format::format_unix_seconds(server::db::now() + secs);
    let (opened, closes) = (in_secs(-60), in_secs(6));
    let out = fountain(
        &app,
        &[
            "set",
            "Night",
            "--window-start",
            &opened,
            "--window-end",
            &closes,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    proxy.peak.store(0, Ordering::SeqCst);
    for wave in ["Night", "Day"] {
        let out = fountain(&app, &["start", wave, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let said: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(said["state"], "running", "{said}");
    }
    let out = fountain(&app, &["start", "Night"]);
    assert_eq!(out.status.code(), Some(2), "started once: {out:?}");

    // Watch until Night's window has closed and its copies are back to waiting.
    let closes_at = app::format::parse_utc(&closes).unwrap();
    let (mut most, mut most_together) = (std::collections::HashMap::new(), 0);
    let mut watch = |now: &std::collections::HashMap<String, usize>| {
        for (wave, n) in now {
            let seen = most.entry(wave.clone()).or_insert(0);
            *seen = (*seen).max(*n);
        }
        most_together = most_together.max(now.values().sum::<usize>());
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = with_workers(&db).await;
        watch(&now);
        if server::db::now() > closes_at + 2 && now.get("Night").copied().unwrap_or(0) == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Night's copies never stopped: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let night = released_in_order(&db, "Night").await;
    assert_eq!(
        night[..2],
        ["dan.duarte@example.org", "alice.archer@example.org"],
        "largest first: {night:?}"
    );
    // The window closed with Night's copies mid-way: they wait, with what they copied kept.
    let held: Vec<app::dto::RequestView> = {
        let mut held = Vec::new();
        for (_, email, client) in &clients[..3] {
            let r = app.view(client, "my_migration", &[]).await.request.unwrap();
            assert_ne!(r.state, app::dto::RequestState::Copying, "{email}");
            if r.state == app::dto::RequestState::Scheduled {
                held.push(r);
            }
        }
        held
    };
    assert!(
        !held.is_empty(),
        "the window's end stopped nobody: copies finished too fast"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        with_workers(&db).await.get("Night"),
        None,
        "nothing starts outside the window"
    );

    // A new window, open-ended: Night goes on from where it stopped.
    let out = fountain(&app, &["set", "Night", "--window-end", "none"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let now = with_workers(&db).await;
        watch(&now);
        let states: Vec<String> = show(&app, "Night")["wave"]["state"]
            .as_str()
            .into_iter()
            .chain(show(&app, "Day")["wave"]["state"].as_str())
            .map(str::to_owned)
            .collect();
        if states == ["finished", "finished"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the waves never finished: {states:?} {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        most.get("Night"),
        Some(&2),
        "Night ran two at once, never more: {most:?}"
    );
    assert_eq!(
        most.get("Day"),
        Some(&2),
        "Day ran two at once, never more: {most:?}"
    );
    assert!(
        most_together >= 4,
        "both waves wanted more than the server takes: {most_together}"
    );
    let peak = proxy.peak.load(Ordering::SeqCst);
    assert!(
        peak <= 3,
        "the old server saw {peak} connections at once; it takes 3"
    );

    // Every message once on the new server, the stopped copies too.
    for (login, email, client) in &clients {
        let done = app.until_ended(client, 10).await;
        assert_eq!(
            done.state,
            app::dto::RequestState::Done,
            "{email}: {done:?}"
        );
        let old_side = server::engine::imap::Credentials::Login {
            user: login.to_string(),
            password: format!("{login}-old"),
        };
        assert_same_mail_of(
            old.port,
            &old_side,
            new.port,
            &new_mailbox(email),
            done.report.as_ref().unwrap(),
        )
        .await;
    }
    let out = fountain(&app, &["resume", "Night"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a finished wave stays finished: {out:?}"
    );
}

/// An IT-run wave on an old server where IT's administrator logs in for people: Fountain records
/// each one's old login (derived, or the CSV's), scans them (the pre-flight size lands on the wave),
/// asks for the folders a scan ticks by default and copies them in the wave's turn, for people who
/// have never signed in; the wave ends when all are done, and carol's first sign-in finds her
/// migration done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_it_run_wave_scans_and_copies_for_people_who_never_signed_in() {
    use crate::support::flow::{assert_same_mail_of, new_mailbox, Portal};
    use server::engine::imap::Credentials;
    use std::time::{Duration, Instant};
    let old = crate::support::servers::Dovecot::start_for(
        "carol.cole:x\ndan.duarte:x\nerin:x\n",
        "old",
        Some(OLD_ADMIN),
        &[],
    );
    for (seed, login) in ["carol.cole", "dan.duarte", "erin"].iter().enumerate() {
        old.seed_sample(login, 25 + 10 * seed as u32, seed as u32 + 20);
    }
    let Portal { app, new, sink } = master_portal(&old).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("it-run.csv");
    std::fs::write(
        &file,
        "email,old_login\ncarol.cole@example.org,\ndan.duarte@example.org,\nerin.east@example.org,erin\n",
    )
    .unwrap();
    let out = fountain(&app, &["import", file.to_str().unwrap(), "--wave", "Lab"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = fountain(
        &app,
        &["set", "Lab", "--mode", "it-run", "--concurrency", "2"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = fountain(&app, &["start", "Lab"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // IT follows the dashboard while the wave runs: what is copied only grows.
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let mut seen: Vec<app::dto::WaveDashboard> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    let shown = loop {
        let (status, body) = app.call(&ivan, "wave_dashboard", &[("name", "Lab")]).await;
        assert_eq!(status, 200, "{body}");
        seen.push(serde_json::from_str(&body).unwrap());
        let shown = show(&app, "Lab");
        if shown["wave"]["state"] == "finished" {
            break shown;
        }
        assert!(
            Instant::now() < deadline,
            "the wave never finished: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // The pre-flight scan sized everyone.
    for person in shown["people"].as_array().unwrap() {
        assert!(person["bytes"].as_u64().is_some_and(|b| b > 0), "{shown}");
    }
    let out = fountain(&app, &["report", "Lab", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for row in rows.as_array().unwrap() {
        assert_eq!(row["state"], "done", "{rows}");
    }
    // Every message of each copy is on the new server, once.
    let db = server::db::connect(&app.db_url).await.unwrap();
    for (login, email) in [
        ("carol.cole", "carol.cole@example.org"),
        ("dan.duarte", "dan.duarte@example.org"),
        ("erin", "erin.east@example.org"),
    ] {
        let report = report_of(&db, email).await;
        let old_side = Credentials::Master {
            user: login.into(),
            master: OLD_ADMIN.0.into(),
            password: OLD_ADMIN.1.into(),
        };
        assert_same_mail_of(old.port, &old_side, new.port, &new_mailbox(email), &report).await;
    }
    for pair in seen.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        for p in &after.people {
            let earlier = before.people.iter().find(|q| q.email == p.email).unwrap();
            assert!(
                p.bytes_done >= earlier.bytes_done || earlier.bytes_total != p.bytes_total,
                "{}: {} bytes done, then {}",
                p.email,
                earlier.bytes_done,
                p.bytes_done
            );
        }
    }
    // Once finished (and sampled one last time), everything sized is on the new server, each
    // mailbox's size is what its copy found on the old server, and the plots have a history.
    let deadline = Instant::now() + Duration::from_secs(30);
    let board = loop {
        let (status, body) = app.call(&ivan, "wave_dashboard", &[("name", "Lab")]).await;
        assert_eq!(status, 200, "{body}");
        let board: app::dto::WaveDashboard = serde_json::from_str(&body).unwrap();
        if board
            .samples
            .last()
            .is_some_and(|s| s.bytes_done == board.bytes_total)
        {
            break board;
        }
        assert!(
            Instant::now() < deadline,
            "no last sample: {:?}",
            board.samples
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(board.state, app::dto::WaveState::Finished);
    assert_eq!(
        board.by_state,
        [(app::dto::Standing::Request(app::dto::RequestState::Done), 3)]
    );
    assert_eq!((board.finish_p50, board.finish_p90), (None, None));
    assert!(board.samples.len() >= 2, "{:?}", board.samples);
    let mut total = 0;
    for p in &board.people {
        let report = report_of(&db, &p.email).await;
        let copied: u64 = report.folders.iter().map(|f| f.source_bytes).sum();
        assert_eq!(p.bytes_total, Some(copied), "{}", p.email);
        assert_eq!(p.bytes_done, copied, "{}", p.email);
        total += copied;
    }
    assert_eq!((board.bytes_done, board.bytes_total), (total, total));
    // The printable report: the same figures, its plots, everyone.
    let page = ivan
        .get(app.url("/it/waves/report.html?wave=Lab"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for needle in [
        "id=\"wave-bytes-chart\"",
        "id=\"wave-burndown-chart\"",
        "id=\"wave-people-chart\"",
        "carol.cole@example.org",
        "dan.duarte@example.org",
        "erin.east@example.org",
        "3 done",
    ] {
        assert!(page.contains(needle), "{needle} missing from the report");
    }

    // Carol signs in for the first time: the account made for the wave is hers, migration done.
    let (carol, _) = app.sign_in("carol", "carol-pass").await;
    let seen = app.view(&carol, "my_migration", &[]).await;
    let request = seen.request.expect("carol's migration");
    assert_eq!(request.state, app::dto::RequestState::Done, "{request:?}");
    // She was told when her copy started and when it was done.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let to_carol = sink
            .emails()
            .await
            .into_iter()
            .filter(|m| m["to"].to_string().contains("carol.cole@example.org"))
            .count();
        if to_carol >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "carol got {to_carol} email(s)");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The last report of the request of `email`, as stored.
pub(crate) async fn report_of(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> app::dto::MigrationReport {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT r.report AS report FROM migration_requests r JOIN users u ON u.id = r.user_id \
                 WHERE u.email = '{email}' ORDER BY r.id DESC LIMIT 1"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    let json: String = row.try_get("", "report").unwrap();
    let stored: server::db::stored::Report = server::db::stored::read(&json).unwrap();
    app::dto::MigrationReport::from(stored)
}

/// The state and last error of the person's latest request, if they have one.
pub(crate) async fn request_of(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> Option<(String, Option<String>)> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let sql = "SELECT r.state AS state, r.last_error AS last_error FROM migration_requests r \
               JOIN users u ON u.id = r.user_id WHERE lower(u.email) = $1 ORDER BY r.id DESC LIMIT 1";
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => sql.replace("$1", "?"),
        _ => sql.to_owned(),
    };
    let row = db
        .query_one(Statement::from_sql_and_values(backend, sql, [email.into()]))
        .await
        .unwrap()?;
    Some((
        row.try_get("", "state").unwrap(),
        row.try_get("", "last_error").unwrap(),
    ))
}

/// An invitation wave tells its people: the dry run lists who gets what and when before it starts;
/// once started, everyone who has not started gets the invitation and, the day before the window
/// opens, a reminder — alice, who started on her own, gets neither; after the portal stops and a
/// worker takes over, nobody gets any of them twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_wave_invites_and_reminds_those_not_started_once() {
    use crate::support::flow::{portal_as, Portal, Run};
    use app::dto::{Delivery, WaveEmail, WaveMessages};
    use std::time::{Duration, Instant};
    let old = crate::support::servers::Dovecot::start_for(
        "alice:alice-old\nbob:bob-old\ncarol:carol-old\n",
        "old",
        None,
        &[],
    );
    old.seed_sample("alice", 5, 1);
    let Portal {
        mut app,
        new: _new,
        sink,
    } = portal_as(
        Run::Process,
        Backend::Sqlite,
        old.port,
        &[],
        &[("FOUNTAIN__MIGRATION__WAVE_REMINDER_DAYS", "[1]")],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("autumn.csv");
    std::fs::write(
        &file,
        "email\nalice.archer@example.org\nbob.baker@example.org\ncarol.cole@example.org\n",
    )
    .unwrap();
    let out = fountain(
        &app,
        &["import", file.to_str().unwrap(), "--wave", "Autumn"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Alice starts on her own.
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    // The window opens a day and half a minute from now: the day-before reminder is due soon after
    // the start.
    let opens = server::db::now() + 86_400 + 30;
    let out = fountain(
        &app,
        &[
            "set",
            "Autumn",
            "--window-start",
            &app::format::format_unix_seconds(opens),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let messages = |app: &TestApp| -> WaveMessages {
        let out = fountain(app, &["messages", "Autumn", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let dry = messages(&app);
    assert!(dry.as_if_started_now);
    let planned: Vec<(&str, WaveEmail)> = dry
        .messages
        .iter()
        .map(|m| (m.email.as_str(), m.what))
        .collect();
    for who in ["bob.baker@example.org", "carol.cole@example.org"] {
        for what in [
            WaveEmail::Invitation,
            WaveEmail::ReminderDaysBefore(1),
            WaveEmail::ReminderWindowOpens,
        ] {
            assert!(planned.contains(&(who, what)), "{who} {what:?}: {dry:?}");
        }
    }
    assert!(
        !planned.iter().any(|(who, _)| who.starts_with("alice")),
        "alice started: {dry:?}"
    );
    assert!(dry.messages.iter().all(|m| m.delivery == Delivery::Later));
    assert!(sink
        .emails()
        .await
        .iter()
        .all(|m| !m["subject"].as_str().unwrap_or_default().contains("Autumn")));

    let out = fountain(&app, &["start", "Autumn"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let invited = sink
        .wait_for_n("Your mailbox moves to the new server: Autumn", 2, 60)
        .await;
    let reminded = sink
        .wait_for_n("Reminder: move your mailbox (Autumn, tomorrow)", 2, 90)
        .await;
    for sent in [&invited, &reminded] {
        let to: Vec<String> = sent.iter().map(|m| m["to"].to_string()).collect();
        assert!(
            to.iter().any(|t| t.contains("bob.baker@example.org")),
            "{to:?}"
        );
        assert!(
            to.iter().any(|t| t.contains("carol.cole@example.org")),
            "{to:?}"
        );
    }

    // The portal stops; two workers take over and decide again, round after round, side by side.
    app.terminate().await;
    let mut workers = [app.spawn_worker(1), app.spawn_worker(2)];
    for n in [1, 2] {
        let log = app.config_path().with_file_name(format!("worker-{n}.log"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("worker started")
        {
            assert!(Instant::now() < deadline, "worker {n} did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Several rounds each, deciding the wave's emails again.
    tokio::time::sleep(Duration::from_secs(12)).await;
    for worker in &mut workers {
        assert!(
            worker.try_wait().unwrap().is_none(),
            "the worker ran its rounds"
        );
        let _ = worker.kill().await;
    }
    let mut seen = std::collections::HashMap::new();
    for m in sink.emails().await {
        let subject = m["subject"].as_str().unwrap_or_default().to_owned();
        if subject.contains("Autumn") {
            *seen.entry((m["to"].to_string(), subject)).or_insert(0) += 1;
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "sent twice: {seen:?}");
    let after = messages(&app);
    assert!(!after.as_if_started_now);
    let sent = after
        .messages
        .iter()
        .filter(|m| m.delivery == Delivery::Sent)
        .count();
    assert_eq!(sent, 4, "{after:?}");
    assert!(after
        .messages
        .iter()
        .any(|m| m.what == WaveEmail::ReminderWindowOpens && m.delivery == Delivery::Later));
}

/// A multipart form as a browser posts it: the wave's name and one file.
fn import_form(wave: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----fountain-test-boundary-7d1c";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"wave\"\r\n\r\n{wave}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The IT page's import takes a wave whole for IT only: a person, someone signed out and a post from
/// another site are refused and nothing is made; a file that is not UTF-8 is refused with what to do;
/// a good one is taken and says how many.
#[tokio::test]
async fn only_it_imports_a_wave_from_the_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let post = |client: &reqwest::Client, file: &[u8], origin: &str| {
        let (content_type, body) = import_form("Pilot", file);
        client
            .post(app.url("/it/waves/import"))
            .header("content-type", content_type)
            .header("origin", origin.to_owned())
            .body(body)
            .send()
    };
    let good = b"email\nann@example.org\nben@example.org\n";
    let own = app.address.clone();
    assert_eq!(post(&bob, good, &own).await.unwrap().status(), 403);
    assert_eq!(post(&app.client(), good, &own).await.unwrap().status(), 401);
    let hostile = post(&ivan, good, "https://evil.example").await.unwrap();
    assert_eq!(hostile.status(), 403);
    assert_eq!(
        fountain(&app, &["show", "Pilot"]).status.code(),
        Some(2),
        "nothing made"
    );

    let latin1 = post(&ivan, b"email\nj\xfcrgen@example.org\n", &own)
        .await
        .unwrap();
    assert_eq!(latin1.status(), 422);
    let page = latin1.text().await.unwrap();
    assert!(page.contains("Line 2:") && page.contains("UTF-8"), "{page}");
    assert_eq!(
        fountain(&app, &["show", "Pilot"]).status.code(),
        Some(2),
        "nothing made"
    );

    let taken = post(&ivan, good, &own).await.unwrap();
    assert_eq!(taken.status(), 200);
    let page = taken.text().await.unwrap();
    assert!(
        page.contains("2 people added to the wave “Pilot”"),
        "{page}"
    );
    assert_eq!(show(&app, "Pilot")["people"].as_array().unwrap().len(), 2);
}

/// An invite wave where IT's administrator can log in for people: Fountain sizes everyone with a
/// pre-flight scan once the wave runs (before its window), so the plan has every size, and asks for
/// no copy — that is for each person to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_wave_is_sized_before_its_window_and_copies_nobody() {
    use crate::support::flow::Portal;
    use std::time::{Duration, Instant};
    let old = crate::support::servers::Dovecot::start_for(
        "carol.cole:x\ndan.duarte:x\n",
        "old",
        Some(OLD_ADMIN),
        &[],
    );
    old.seed_sample("carol.cole", 12, 7);
    old.seed_sample("dan.duarte", 30, 8);
    let Portal {
        app,
        new: _new,
        sink: _sink,
    } = master_portal(&old).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invite.csv");
    std::fs::write(
        &file,
        "email\ncarol.cole@example.org\ndan.duarte@example.org\n",
    )
    .unwrap();
    let out = fountain(
        &app,
        &["import", file.to_str().unwrap(), "--wave", "Spring"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let opens = app::format::format_unix_seconds(server::db::now() + 86_400);
    let out = fountain(&app, &["set", "Spring", "--window-start", &opens]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = fountain(&app, &["start", "Spring"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let plan = loop {
        let out = fountain(&app, &["plan", "Spring", "--json"]);
        let plan: app::dto::WavePlan = serde_json::from_slice(&out.stdout).unwrap();
        if plan.not_sized.is_empty() {
            break plan;
        }
        assert!(Instant::now() < deadline, "never sized: {plan:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let order: Vec<&str> = plan.people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(order, ["dan.duarte@example.org", "carol.cole@example.org"]);
    assert!(plan.people.iter().all(|p| p.bytes > 0), "{plan:?}");
    // A few more rounds: still nobody's copy asked for.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let out = fountain(&app, &["report", "Spring", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for row in rows.as_array().unwrap() {
        assert_eq!(row["state"], "not started", "{rows}");
    }
}
