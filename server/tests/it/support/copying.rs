//! Running `fountain copy` from the tests and reading its JSON report.
use std::process::Command;

/// Runs `fountain copy`; returns the exit code, the JSON report and stderr.
pub fn fountain_copy(
    args: &[String],
    source_pw: &str,
    dest_pw: &str,
) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fountain"))
        .arg("copy")
        .args(args)
        .arg("--json")
        .env_remove("RUST_LOG")
        .env("FOUNTAIN_SOURCE_PASSWORD", source_pw)
        .env("FOUNTAIN_DEST_PASSWORD", dest_pw)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), report, stderr)
}

/// `--from`, `--to`, `--dest-auth`, `--journal` for alice on `from` into `to_user` on `to`.
pub fn copy_args(
    from: u16,
    to_user: &str,
    to: u16,
    dest_auth: &str,
    journal: &std::path::Path,
) -> Vec<String> {
    vec![
        "--from".into(),
        format!("imap://alice@127.0.0.1:{from}"),
        "--to".into(),
        format!("imap://{to_user}@127.0.0.1:{to}"),
        "--dest-auth".into(),
        dest_auth.into(),
        "--journal".into(),
        journal.display().to_string(),
    ]
}

pub fn folder<'a>(report: &'a serde_json::Value, source: &str) -> &'a serde_json::Value {
    report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["source"] == source)
        .unwrap_or_else(|| panic!("{source} not in {report}"))
}

pub fn total(report: &serde_json::Value, key: &str) -> u64 {
    report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[key].as_u64().unwrap())
        .sum()
}

/// [`fountain_copy`] off the async runtime, for tests that run servers or proxies on it meanwhile.
pub async fn copy_in_background(
    args: Vec<String>,
    source_pw: &str,
    dest_pw: &str,
) -> (i32, serde_json::Value, String) {
    let (source_pw, dest_pw) = (source_pw.to_owned(), dest_pw.to_owned());
    tokio::task::spawn_blocking(move || fountain_copy(&args, &source_pw, &dest_pw))
        .await
        .unwrap()
}

/// Every message of a folder (named in Unicode, as reports name them) as (body, flags, INTERNALDATE),
/// sorted: what "the same mail" means.
pub async fn messages(
    port: u16,
    credentials: &server::engine::imap::Credentials,
    folder: &str,
) -> Vec<(Vec<u8>, Vec<String>, Option<String>)> {
    let wire = server::engine::plan::mutf7::encode(folder);
    messages_wire(port, credentials, &wire).await
}

/// [`messages`] of a folder named as on the wire (modified UTF-7).
async fn messages_wire(
    port: u16,
    credentials: &server::engine::imap::Credentials,
    folder: &str,
) -> Vec<(Vec<u8>, Vec<String>, Option<String>)> {
    use server::engine::imap::Source;
    let mut s = Source::connect(
        &super::servers::local_endpoint(port),
        credentials,
        Default::default(),
    )
    .await
    .unwrap();
    let status = s.examine(folder).await.unwrap();
    let mut all: Vec<_> = if status.messages == 0 {
        Vec::new()
    } else {
        s.fetch("1:*")
            .await
            .unwrap()
            .into_iter()
            .map(|m| {
                let mut flags: Vec<String> =
                    m.flags.into_iter().filter(|f| f != "\\Recent").collect();
                flags.sort();
                (m.body, flags, m.internal_date)
            })
            .collect()
    };
    all.sort();
    all
}

/// Every body in a folder named as on the wire, sorted (order on the destination is not the point).
pub async fn bodies(
    port: u16,
    credentials: &server::engine::imap::Credentials,
    folder: &str,
) -> Vec<Vec<u8>> {
    messages_wire(port, credentials, folder)
        .await
        .into_iter()
        .map(|(body, _, _)| body)
        .collect()
}

/// The engine's copy of `who`'s mailbox from the old server at `old` (their own login) into the new
/// one at `new` (the rig's admin as master user), with plain defaults: a test sets what it is about.
pub fn engine_job(old: u16, new: u16, who: &str, password: &str) -> server::engine::copy::CopyJob {
    use server::engine::copy::{CopyJob, DestinationProfile, Side, Transcripts};
    use server::engine::imap::transcript::Transcript;
    use server::engine::imap::Credentials;
    CopyJob {
        source: Side {
            endpoint: super::servers::local_endpoint(old),
            credentials: Credentials::Login {
                user: who.into(),
                password: password.into(),
            },
            renew: None,
        },
        destination: Side {
            endpoint: super::servers::local_endpoint(new),
            credentials: Credentials::Master {
                user: who.into(),
                master: "admin".into(),
                password: "admin-pass".into(),
            },
            renew: None,
        },
        include: Vec::new(),
        exclude: Vec::new(),
        limits: server::engine::plan::chunks::ChunkLimits {
            max_bytes: 1 << 20,
            max_messages: 1000,
        },
        dry_run: false,
        retries: 2,
        backoff: std::time::Duration::from_millis(100),
        parallel: 1,
        dest_profile: DestinationProfile::Generic,
        throttle: server::engine::throttle::Throttle::new(Default::default()),
        max_message_bytes: None,
        quarantine: Default::default(),
        spool_dir: std::env::temp_dir(),
        transcripts: Transcripts {
            source: Transcript::counting(),
            destination: Transcript::counting(),
        },
    }
}
