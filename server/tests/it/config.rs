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
fn check_names_each_part_that_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fountain.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let (ok, out) = run_with(GOOD, &[("DATABASE_URL", url.as_str())]);
    // Nobody answers at the provider's address: that line fails, and says where it looked.
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL  identity provider http://127.0.0.1:9")
            && out.contains(".well-known/openid-configuration"),
        "{out}"
    );
    assert!(out.contains("does not exist yet"), "{out}");
    assert!(out.contains("ok    SMTP: not configured"), "{out}");
    assert!(!db.exists(), "check created the database");
    // `fountain migrate` creates it; check then finds it current, still without writing.
    let migrated = Command::new(env!("CARGO_BIN_EXE_fountain"))
        .args(["migrate"])
        .env("FOUNTAIN__AUTH__ISSUER", "http://127.0.0.1:9")
        .env("FOUNTAIN__AUTH__CLIENT_ID", "fountain")
        .env("FOUNTAIN__AUTH__CLIENT_SECRET", "s")
        .env("DATABASE_URL", &url)
        .env_remove("FOUNTAIN_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&migrated.stdout);
    assert!(
        migrated.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(
        said.contains("is up to date") && !said.contains("(0 migration"),
        "{said}"
    );
    let modified = std::fs::metadata(&db).unwrap().modified().unwrap();
    let (_, out) = run_with(GOOD, &[("DATABASE_URL", url.as_str())]);
    assert!(
        out.contains("ok    database") && out.contains("schema up to date"),
        "{out}"
    );
    assert_eq!(
        std::fs::metadata(&db).unwrap().modified().unwrap(),
        modified
    );
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
