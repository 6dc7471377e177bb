//! The self-service portal wired to real servers: a new Dovecot (master user; logins are email
//! addresses), the SMTP sink, and the portal configured for an old server on `old_port`.
use server::engine::imap::Credentials;

use super::servers::Dovecot;
use super::smtp::SmtpSink;
use super::{Backend, TestApp};

pub const MASTER: (&str, &str) = ("fountain-admin", "fountain-admin-pass");
const NEW_USERS: &str =
    "alice.archer@example.org:x\nbob.baker@example.org:x\ncarol.cole@example.org:x\n\
                         dan.duarte@example.org:x\nerin.east@example.org:x\n";
const SECRETS_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub struct Portal {
    pub new: Dovecot,
    pub sink: SmtpSink,
    pub app: TestApp,
}

/// The portal (with its in-process workers unless `extra` says otherwise) for the old server on
/// `old_port`, where alice logs in as `alice` / `alice-old`.
pub async fn portal(old_port: u16, extra: &[(&str, &str)]) -> Portal {
    portal_with(Backend::Sqlite, old_port, &[], extra).await
}

/// Where the portal runs: in the test process, or as the `fountain serve` binary (for its signals
/// and its log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    InProcess,
    Process,
}

/// [`portal`] on `backend`, with a new server started with `new_env` (e.g. `DOVECOT_MAX_MAIL_SIZE`).
pub async fn portal_with(
    backend: Backend,
    old_port: u16,
    new_env: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> Portal {
    portal_as(Run::InProcess, backend, old_port, new_env, extra).await
}

/// [`portal_with`], run as `run` says.
pub async fn portal_as(
    run: Run,
    backend: Backend,
    old_port: u16,
    new_env: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> Portal {
    let new = Dovecot::start_for(NEW_USERS, "new", Some(MASTER), new_env);
    let new_port = new.port;
    portal_on(run, backend, new, new_port, old_port, extra).await
}

/// [`portal`] whose new server Fountain reaches through a fault proxy (passing everything until
/// told otherwise).
pub async fn portal_via_proxy(
    old_port: u16,
    extra: &[(&str, &str)],
) -> (Portal, super::proxy::FaultyProxy) {
    let new = Dovecot::start_for(NEW_USERS, "new", Some(MASTER), &[]);
    let proxy =
        super::proxy::FaultyProxy::passthrough_on(std::net::Ipv4Addr::LOCALHOST.into(), new.port)
            .await;
    let portal = portal_on(
        Run::InProcess,
        Backend::Sqlite,
        new,
        proxy.port,
        old_port,
        extra,
    )
    .await;
    (portal, proxy)
}

/// The portal for `new`, which Fountain reaches on `new_port`.
async fn portal_on(
    run: Run,
    backend: Backend,
    new: Dovecot,
    new_port: u16,
    old_port: u16,
    extra: &[(&str, &str)],
) -> Portal {
    let sink = SmtpSink::start().await;
    let old_url = format!("imap://127.0.0.1:{old_port}");
    let new_url = format!("imap://127.0.0.1:{new_port}");
    let smtp_url = format!("smtp://127.0.0.1:{}", sink.smtp_port);
    let mut env = vec![
        ("FOUNTAIN__MIGRATION__OLD_SERVER__URL", old_url.as_str()),
        ("FOUNTAIN__MIGRATION__OLD_SERVER__LOGIN", "{localpart}"),
        ("FOUNTAIN__MIGRATION__OLD_SERVER__TIMEOUT_SECS", "10"),
        ("FOUNTAIN__MIGRATION__NEW_SERVER__URL", new_url.as_str()),
        ("FOUNTAIN__MIGRATION__NEW_SERVER__AUTH", "master"),
        ("FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN", MASTER.0),
        ("FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN_PASSWORD", MASTER.1),
        ("FOUNTAIN__MIGRATION__NEW_SERVER__LOGIN", "{email}"),
        ("FOUNTAIN__MIGRATION__SECRETS_KEY", SECRETS_KEY),
        ("FOUNTAIN__MIGRATION__HEARTBEAT_TIMEOUT_SECS", "10"),
        ("FOUNTAIN__EMAIL__SMTP_URL", smtp_url.as_str()),
        ("FOUNTAIN__EMAIL__FROM", "Mail move <mail-move@example.org>"),
    ];
    env.extend_from_slice(extra);
    let app = match run {
        Run::InProcess => TestApp::spawn_with(backend, &env).await,
        Run::Process => TestApp::spawn_process_with(backend, &env).await,
    };
    Portal { new, sink, app }
}

/// Alice's new mailbox, as the administrator sees it.
pub fn alice_new() -> Credentials {
    Credentials::Master {
        user: "alice.archer@example.org".into(),
        master: MASTER.0.into(),
        password: MASTER.1.into(),
    }
}

/// Alice's old mailbox.
pub fn alice_old() -> Credentials {
    Credentials::Login {
        user: "alice".into(),
        password: "alice-old".into(),
    }
}

/// A worker in the test process whose every copy panics (for the portal of `app`, run without
/// workers of its own), counting its runs.
pub struct CrashingWorker {
    pub runs: std::sync::Arc<std::sync::atomic::AtomicU32>,
    stop: tokio::sync::watch::Sender<bool>,
    running: tokio::task::JoinHandle<()>,
}

impl CrashingWorker {
    pub async fn start(app: &TestApp) -> CrashingWorker {
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::Arc;
        let config = server::config::Config::load(
            Some(&app.dir.path().join("fountain.toml")),
            app.env.clone(),
        )
        .unwrap();
        let mut worker = server::startup::worker(&config).await.unwrap().unwrap();
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        Arc::get_mut(&mut worker).unwrap().before_copy =
            Some(Arc::new(move |_: &server::jobs::queue::Request| {
                counted.fetch_add(1, Ordering::SeqCst);
                panic!("a copy made to crash");
            }));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(worker.run(stopped));
        CrashingWorker {
            runs,
            stop,
            running,
        }
    }

    pub fn runs(&self) -> u32 {
        self.runs.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.running.await.unwrap();
    }
}

/// Every folder of the report holds the same messages (bytes, flags, dates) on both sides.
pub async fn assert_same_mail(old_port: u16, new_port: u16, report: &app::dto::MigrationReport) {
    assert_same_mail_of(old_port, &alice_old(), new_port, &alice_new(), report).await
}

/// [`assert_same_mail`] for anyone: their old mailbox as `old`, their new one as `new`.
pub async fn assert_same_mail_of(
    old_port: u16,
    old: &Credentials,
    new_port: u16,
    new: &Credentials,
    report: &app::dto::MigrationReport,
) {
    for f in &report.folders {
        assert_eq!(
            super::copying::messages(old_port, old, &f.source).await,
            super::copying::messages(new_port, new, &f.destination).await,
            "{} -> {}: lost or duplicated",
            f.source,
            f.destination
        );
    }
}

/// The new mailbox of `email`, as the administrator sees it.
pub fn new_mailbox(email: &str) -> Credentials {
    Credentials::Master {
        user: email.into(),
        master: MASTER.0.into(),
        password: MASTER.1.into(),
    }
}
