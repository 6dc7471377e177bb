//! Division IT's waves from the command line, on both databases: a directory export imported whole
//! (non-ASCII names and notes, a byte-order mark, mixed case), a file with bad lines refused with each
//! line and what is wrong and nothing saved (not even the wave it would have made), a person already in another active wave refused, and
//! 50,000 people in one file.
use std::process::Output;

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
