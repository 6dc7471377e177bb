//! `fountain copy`: one mailbox from an old IMAP server to a new one, journalled and resumable.
//! Exit codes: 0 done, 2 needs attention (messages quarantined, nothing lost), 1 failed.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;

use crate::engine::copy::{
    copy_mailbox, CopyJob, DestinationProfile, Outcome, Progress, Report, Side, Transcripts,
};
use crate::engine::imap::{Credentials, Endpoint, Fingerprint, Trust};
use crate::engine::plan::chunks::ChunkLimits;
use crate::engine::plan::select::Pattern;
use crate::engine::throttle::{Limits, Throttle};

use super::progress::ProgressView;

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Source mailbox: `imaps://user@host:993` (TLS) or `imap://user@host:143` (STARTTLS; plain text
    /// only to a loopback address).
    #[arg(long)]
    pub from: String,
    /// Destination mailbox, in the same form.
    #[arg(long)]
    pub to: String,
    /// PEM file of the CA that signed the source server's certificate (default: the Mozilla roots).
    #[arg(long)]
    pub source_ca_file: Option<PathBuf>,
    /// PEM file of the CA that signed the destination server's certificate.
    #[arg(long)]
    pub dest_ca_file: Option<PathBuf>,
    /// Trust exactly this source certificate (its SHA-256 fingerprint, `AB:CD:…`), self-signed or
    /// not; repeatable. A certificate in --source-ca-file is trusted the same way.
    #[arg(long = "source-cert-sha256")]
    pub source_pins: Vec<String>,
    /// Trust exactly this destination certificate (SHA-256 fingerprint); repeatable.
    #[arg(long = "dest-cert-sha256")]
    pub dest_pins: Vec<String>,
    /// Copy only folders matching this pattern (`*` any, `%` any but the separator); repeatable.
    #[arg(long = "folder")]
    pub folders: Vec<String>,
    /// Leave out folders matching this pattern; repeatable; wins over --folder.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// How to log in at the source: `login`, `xoauth2` (the "password" is then an OAuth2 bearer token),
    /// `proxy:ADMIN` (SASL PLAIN authzid) or `master:ADMIN`.
    #[arg(long, default_value = "login")]
    pub source_auth: String,
    /// How to log in at the destination (same forms as --source-auth).
    #[arg(long, default_value = "login")]
    pub dest_auth: String,
    /// Source password (or the admin's, for proxy/master) in a file; else $FOUNTAIN_SOURCE_PASSWORD.
    #[arg(long)]
    pub source_password_file: Option<PathBuf>,
    /// Destination password in a file; else $FOUNTAIN_DEST_PASSWORD.
    #[arg(long)]
    pub dest_password_file: Option<PathBuf>,
    /// The journal (a SQLite file): what is already copied. Keep it to resume or re-run.
    #[arg(long, default_value = "fountain-journal.db")]
    pub journal: PathBuf,
    /// Plan and count only.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Deadline for every network operation, in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// How often to reconnect and resume after a dropped connection or a timeout.
    #[arg(long, default_value_t = 8)]
    pub retries: u32,
    /// Upper bound of one FETCH, in MiB. One chunk is read while the one before is written, so memory
    /// stays around twice this per folder in parallel.
    #[arg(long, default_value_t = 16)]
    pub chunk_mib: u64,
    /// Folders copied at once, each over its own pair of connections.
    #[arg(long, default_value_t = 2)]
    pub parallel: usize,
    /// Connections open at once to each server. Within it, how many operations run at once adapts
    /// to the server's latency and errors.
    #[arg(long, default_value_t = 4)]
    pub max_connections: usize,
    /// Cap on the bytes per second moved to or from each server, in MB/s (default: no cap).
    #[arg(long)]
    pub max_mb_per_sec: Option<f64>,
    /// The destination's naming rules: `generic`, or `zimbra` (Calendar, Contacts, Tasks… are taken,
    /// `:` and `"` are illegal, names differing only in case collide). Renames are in the report.
    #[arg(long, default_value = "generic", value_parser = ["generic", "zimbra"])]
    pub dest_profile: String,
    /// A refused message is kept whole in the journal's quarantine up to this size (MB); above it, or
    /// past --quarantine-mailbox-mb, only its headers, size and UID (it stays on the old server).
    #[arg(long, default_value_t = 25.0)]
    pub quarantine_message_mb: f64,
    /// The most raw bytes the quarantine keeps for this mailbox (MB).
    #[arg(long, default_value_t = 200.0)]
    pub quarantine_mailbox_mb: f64,
    /// Where a big message is held while it is copied (default: the system's temporary directory).
    #[arg(long)]
    pub spool_dir: Option<PathBuf>,
    /// The largest reply read outside the IMAP parser (NAMESPACE, STATUS SIZE), in MiB; more is refused.
    #[arg(long, default_value_t = 4)]
    pub max_reply_mib: usize,
    /// COMPRESS=DEFLATE with the source when it offers it (a slow link to the old server).
    #[arg(long)]
    pub compress_source: bool,
    /// COMPRESS=DEFLATE with the destination when it offers it.
    #[arg(long)]
    pub compress_dest: bool,
    /// If another run holds the journal, wait for it to finish instead of stopping at once.
    #[arg(long)]
    pub wait: bool,
}

/// A journal is held by one run at a time: two runs at once would both copy the same messages. The
/// lock is on a file beside the journal (not the SQLite file, which SQLite locks its own way) and
/// the kernel lets go of it when the process ends, however it ends.
fn hold_journal(journal: &std::path::Path, wait: bool) -> anyhow::Result<std::fs::File> {
    let mut lock_path = journal.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| {
            format!(
                "cannot open the journal's lock file {}",
                lock_path.display()
            )
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) if wait => {
            eprintln!(
                "another fountain copy is using the journal {}: waiting for it to finish",
                journal.display()
            );
            file.lock().with_context(|| format!("cannot lock {}", lock_path.display()))?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another fountain copy is using the journal {} right now; two runs at once would copy the \
             same messages twice. Wait for it to finish, or pass --wait to start when it does.",
            journal.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
}

/// Parses `imap[s]://user@host:port` into the user and the endpoint.
pub fn parse_mailbox_url(url: &str, timeout: Duration) -> anyhow::Result<(String, Endpoint)> {
    let parsed = url::Url::parse(url)
        .with_context(|| format!("{url:?} is not a URL like imaps://user@host:993"))?;
    if !matches!(parsed.scheme(), "imaps" | "imap") {
        bail!(
            "{url}: unsupported scheme {:?} (use imaps:// or imap://)",
            parsed.scheme()
        );
    }
    if parsed.password().is_some() {
        bail!("{url}: do not put passwords in URLs (they end up in shell history); use the password file or environment variable");
    }
    let user = url::form_urlencoded::parse(format!("u={}", parsed.username()).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if user.is_empty() {
        bail!("{url}: the user is missing (imap://USER@host:port)");
    }
    let endpoint =
        Endpoint::from_url(&parsed, timeout, Trust::default()).context("the host is missing")?;
    Ok((user, endpoint))
}

fn credentials(user: String, auth: &str, password: String) -> anyhow::Result<Credentials> {
    Ok(match auth.split_once(':') {
        None if auth == "login" => Credentials::Login { user, password },
        None if auth == "xoauth2" => Credentials::XOAuth2 {
            user,
            token: password,
        },
        Some(("proxy", admin)) if !admin.is_empty() => Credentials::Proxy {
            user,
            admin: admin.to_owned(),
            password,
        },
        Some(("master", master)) if !master.is_empty() => Credentials::Master {
            user,
            master: master.to_owned(),
            password,
        },
        _ => bail!("unknown auth {auth:?}: use login, xoauth2, proxy:ADMIN or master:ADMIN"),
    })
}

fn pins(texts: &[String], option: &str) -> anyhow::Result<Vec<Fingerprint>> {
    texts
        .iter()
        .map(|t| Fingerprint::parse(t).with_context(|| option.to_owned()))
        .collect()
}

fn password(file: &Option<PathBuf>, var: &str) -> anyhow::Result<String> {
    match file {
        Some(path) => Ok(std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned()),
        None => std::env::var(var)
            .with_context(|| format!("no password: set {var} or pass the password file option")),
    }
}

pub async fn run(args: CopyArgs) -> anyhow::Result<i32> {
    let timeout = Duration::from_secs(args.timeout.max(1));
    let (source_user, mut source_endpoint) = parse_mailbox_url(&args.from, timeout)?;
    source_endpoint.trust.ca_file = args.source_ca_file.clone();
    source_endpoint.trust.pinned = pins(&args.source_pins, "--source-cert-sha256")?;
    let (dest_user, mut dest_endpoint) = parse_mailbox_url(&args.to, timeout)?;
    dest_endpoint.trust.ca_file = args.dest_ca_file.clone();
    dest_endpoint.trust.pinned = pins(&args.dest_pins, "--dest-cert-sha256")?;
    for endpoint in [&mut source_endpoint, &mut dest_endpoint] {
        endpoint.max_reply_bytes = args.max_reply_mib.max(1) << 20;
    }
    source_endpoint.compress = args.compress_source;
    dest_endpoint.compress = args.compress_dest;
    let job = CopyJob {
        source: Side {
            endpoint: source_endpoint,
            credentials: credentials(
                source_user,
                &args.source_auth,
                password(&args.source_password_file, "FOUNTAIN_SOURCE_PASSWORD")?,
            )?,
            renew: None,
        },
        destination: Side {
            endpoint: dest_endpoint,
            credentials: credentials(
                dest_user,
                &args.dest_auth,
                password(&args.dest_password_file, "FOUNTAIN_DEST_PASSWORD")?,
            )?,
            renew: None,
        },
        include: args.folders.iter().map(|p| Pattern::new(p)).collect(),
        exclude: args.exclude.iter().map(|p| Pattern::new(p)).collect(),
        limits: ChunkLimits {
            max_bytes: args.chunk_mib.max(1) * 1024 * 1024,
            max_messages: 1000,
        },
        dry_run: args.dry_run,
        retries: args.retries,
        backoff: Duration::from_secs(1),
        parallel: args.parallel.max(1),
        max_message_bytes: None,
        spool_dir: args.spool_dir.clone().unwrap_or_else(std::env::temp_dir),
        quarantine: crate::engine::copy::QuarantineLimits::from_mb(
            args.quarantine_message_mb,
            args.quarantine_mailbox_mb,
        ),
        transcripts: Transcripts::counting(),
        dest_profile: match args.dest_profile.as_str() {
            "zimbra" => DestinationProfile::ZimbraLike,
            _ => DestinationProfile::Generic,
        },
        throttle: Throttle::new(Limits {
            max_connections: args.max_connections.max(1),
            bytes_per_second: args.max_mb_per_sec.map(|mb| (mb * 1e6) as u64),
        }),
    };
    let journal = args.journal.clone();
    let wait = args.wait;
    let _held = tokio::task::spawn_blocking(move || hold_journal(&journal, wait)).await??;
    let db = crate::db::connect(&format!("sqlite://{}?mode=rwc", args.journal.display())).await?;
    let started = Instant::now();
    let view = ProgressView::new();
    let report = copy_mailbox(&db, &job, &|p: &Progress<'_>| view.update(p)).await;
    view.finish();
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    eprint!("{}", summary(&report, started.elapsed()));
    Ok(match report.outcome {
        Outcome::Done => 0,
        Outcome::NeedsAttention => 2,
    })
}

/// The human summary at the end of a run.
pub fn summary(report: &Report, took: Duration) -> String {
    let mut out = String::new();
    for f in &report.folders {
        out.push_str(&format!(
            "{} -> {}: {} messages ({:.1} MB); copied now {}, before {}{}{}{}{}{}\n",
            f.source,
            f.destination,
            f.source_messages,
            f.source_bytes as f64 / 1e6,
            f.copied_now,
            f.copied_before,
            if f.recovered > 0 {
                format!(" (of which {} found already there)", f.recovered)
            } else {
                String::new()
            },
            if f.flags_updated > 0 {
                format!(", flags updated on {}", f.flags_updated)
            } else {
                String::new()
            },
            match (f.destination_messages, f.destination_bytes) {
                (Some(n), Some(b)) => format!("; destination holds {n} ({:.1} MB)", b as f64 / 1e6),
                (Some(n), None) => format!("; destination holds {n}"),
                _ => String::new(),
            },
            match f.quarantined.iter().filter(|q| !q.kept_whole).count() {
                _ if f.quarantined.is_empty() => String::new(),
                0 => format!(", QUARANTINED {}", f.quarantined.len()),
                headers => format!(
                    ", QUARANTINED {} ({headers} kept by headers only: still on the old server)",
                    f.quarantined.len()
                ),
            },
            if f.notes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", f.notes.join("; "))
            },
        ));
    }
    let verdict = match (report.dry_run, report.outcome) {
        (true, _) => "dry run: nothing was copied",
        (false, Outcome::Done) => "done: every selected message is on the destination",
        (false, Outcome::NeedsAttention) => {
            "needs attention: some messages could not be copied (see QUARANTINED above); nothing was lost, re-run to retry"
        }
    };
    out.push_str(&format!(
        "{} messages copied in {:.1} s; {verdict}\n",
        report.messages_copied_now(),
        took.as_secs_f64()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::imap::Security;

    #[test]
    fn mailbox_urls() {
        let (user, ep) = parse_mailbox_url(
            "imap://alice%40example.org@mail.example.org:1143",
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(user, "alice@example.org");
        assert_eq!((ep.host.as_str(), ep.port), ("mail.example.org", 1143));
        assert_eq!(ep.security, Security::StartTls);
        let plain = parse_mailbox_url("imap://bob@h", Duration::from_secs(5)).unwrap();
        assert_eq!((plain.1.port, plain.1.security), (143, Security::StartTls));
        let tls = parse_mailbox_url("imaps://bob@h", Duration::from_secs(5)).unwrap();
        assert_eq!((tls.1.port, tls.1.security), (993, Security::Tls));
        for bad in [
            "imap://h:1",
            "http://a@h",
            "imap://a:pw@h",
            "imaps://a:pw@h",
            "nonsense",
        ] {
            assert!(
                parse_mailbox_url(bad, Duration::from_secs(5)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn auth_forms() {
        assert!(matches!(
            credentials("a".into(), "login", "p".into()).unwrap(),
            Credentials::Login { .. }
        ));
        assert!(matches!(
            credentials("a".into(), "proxy:cyradmin", "p".into()).unwrap(),
            Credentials::Proxy { .. }
        ));
        assert!(matches!(
            credentials("a".into(), "master:admin", "p".into()).unwrap(),
            Credentials::Master { .. }
        ));
        assert!(matches!(
            credentials("a".into(), "xoauth2", "token".into()).unwrap(),
            Credentials::XOAuth2 { .. }
        ));
        assert!(credentials("a".into(), "proxy:", "p".into()).is_err());
        assert!(credentials("a".into(), "kerberos", "p".into()).is_err());
    }
}
