//! The binary refuses a bad configuration with a message that names the key.
use std::process::Command;

fn run_with(config: &str, env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fountain.toml");
    std::fs::write(&path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fountain"))
        .args(["--config", path.to_str().unwrap(), "check"])
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

const GOOD: &str =
    "[auth]\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"fountain\"\nclient_secret = \"s\"\n";

#[test]
fn good_configuration_checks_out_and_creates_the_sqlite_database() {
    let (ok, out) = run_with(GOOD, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("configuration and database OK"), "{out}");
}

#[test]
fn unknown_key_is_named() {
    let (ok, out) = run_with(&format!("{GOOD}[database]\nurll = \"x\"\n"), &[]);
    assert!(!ok);
    assert!(out.contains("urll"), "{out}");
}

#[test]
fn bad_environment_override_is_named() {
    let (ok, out) = run_with(GOOD, &[("FOUNTAIN__AUTH__SESSION_HOURS", "forever")]);
    assert!(!ok);
    assert!(
        out.contains("FOUNTAIN__AUTH__SESSION_HOURS") && out.contains("session_hours"),
        "{out}"
    );
}

#[test]
fn unreachable_database_is_explained() {
    let (ok, out) = run_with(
        GOOD,
        &[("DATABASE_URL", "postgres://nobody:pw@127.0.0.1:9/none")],
    );
    assert!(!ok);
    assert!(
        out.contains("cannot open the database") && out.contains("***"),
        "{out}"
    );
    assert!(!out.contains(":pw@"), "password leaked: {out}");
}
