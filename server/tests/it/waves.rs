//! Division IT's waves from the command line, on both databases: a directory export imported whole
//! (non-ASCII names and notes, a byte-order mark, mixed case), a file with bad lines refused with each
//! line and what is wrong and nothing saved (not even the wave it would have made), a person already in another active wave refused, and
//! 50,000 people in one file.
use std::process::Output;

use crate::support::browser::{chromium, css, shot, sign_in_as, text_until};
use crate::support::{Backend, TestApp};

fn fountain(app: &TestApp, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_fountain"))
        .arg("--config")
        .arg(app.config_path())
        .arg("waves")
        .args(args)
        .env_remove("DATABASE_URL")
        .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap()
}

fn show(app: &TestApp, wave: &str) -> serde_json::Value {
    let out = fountain(app, &["show", wave, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
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
}
