//! The `[migration]` and `[email]` sections: which servers mail moves between, how Fountain logs in
//! on them, and how it sends status emails.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use app::dto::{DestinationName, ServerRole};

use serde::Deserialize;
use url::Url;

use crate::engine::imap::{Credentials, Endpoint, Fingerprint, Trust};
use crate::secret::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationConfig {
    /// The server mail moves away from.
    pub old_server: MailServer,
    /// The server mail moves to. Fountain logs in there as an administrator (`proxy` or `master`).
    pub new_server: MailServer,
    /// 32 random bytes, base64 (`head -c32 /dev/urandom | base64`): seals old-server passwords at rest.
    /// Needed when `old_server.auth = "password"`. Exactly one of the two.
    pub secrets_key: Option<Secret>,
    pub secrets_key_file: Option<PathBuf>,
    /// Whether `fountain serve` runs workers itself (else only `fountain worker` processes do).
    #[serde(default = "default_true")]
    pub workers_in_portal: bool,
    /// Requests copied at once by one process.
    #[serde(default = "default_concurrent_requests")]
    pub concurrent_requests: usize,
    /// Folders of one request copied at once.
    #[serde(default = "default_parallel_folders")]
    pub parallel_folders: usize,
    /// Connections open at once to each server, across every request of the process.
    #[serde(default = "default_max_connections")]
    pub max_connections_per_server: usize,
    /// Bytes per second read from the old server (and written to the new), in MB/s; unlimited if unset.
    pub max_mb_per_sec: Option<f64>,
    /// A worker that has not been heard of for this long is presumed dead: its requests go back to
    /// the queue and resume exactly from the journal.
    #[serde(default = "default_heartbeat_timeout")]
    pub heartbeat_timeout_secs: u64,
    /// A request queued for longer than this, or copying with nothing copied for this long, shows
    /// as stuck in the helpdesk's triage queue (minutes; fractions allowed).
    #[serde(default = "default_stuck_after")]
    pub stuck_after_minutes: f64,
    /// An invitation wave reminds those who have not started this many days before its window
    /// opens (and once more when it opens).
    #[serde(default = "default_wave_reminder_days")]
    pub wave_reminder_days: Vec<u32>,
    /// What one copy is taken to move, in MB/s, for a wave's estimates before any copy on the old
    /// server has been measured.
    #[serde(default = "default_assumed_mb_per_sec")]
    pub assumed_mb_per_sec: f64,
    /// How often one run reconnects after a dropped connection or a timeout (resuming from the
    /// journal each time, with a pause doubling from 2 s) before the request stops as failed.
    #[serde(default = "default_reconnects_per_run")]
    pub reconnects_per_run: u32,
    /// Runs in a row that may end without an answer (the copy crashed, or its worker stopped
    /// answering) before the request stops as failed and the person and the helpdesk are told.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// A refused message is kept whole in the quarantine up to this size, in MB; above it (or once
    /// `quarantine_mailbox_mb` is reached) only its headers, size and UID are kept, and IT fetches it
    /// again from the old server.
    #[serde(default = "default_quarantine_message_mb")]
    pub quarantine_message_mb: f64,
    /// The most raw bytes the quarantine keeps for one person's mailbox, in MB.
    #[serde(default = "default_quarantine_mailbox_mb")]
    pub quarantine_mailbox_mb: f64,
    /// Where a big message is held while it is copied (default: the system's temporary directory).
    pub spool_dir: Option<PathBuf>,
    /// A folder of templates that replace the built-in ones file by file (`email/done.txt`,
    /// `client-instructions.txt`, …); each is checked when Fountain starts.
    pub templates_dir: Option<PathBuf>,
    /// An old password Fountain holds is forgotten this many days after it was last needed (no request
    /// running, and none changed since); the page asks for it again.
    #[serde(default = "default_forget_password_days")]
    pub forget_password_after_days: u32,
    /// A person whose requests all ended (done or cancelled) this many days ago, with no catch-up
    /// to come, has their journal, quarantined messages and progress purged: people's mail and its
    /// traces do not stay in Fountain's database. The report and the timeline stay. 0: never.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// What the report and the done email tell people to change in their mail program.
    #[serde(default)]
    pub client: ClientSettings,
    /// Who is emailed when a request needs attention or stops (the helpdesk's shared mailbox).
    pub helpdesk_email: Option<String>,
    /// After delivery moves to the new server: catch-ups, quietness, old addresses.
    #[serde(default)]
    pub cutover: super::CutoverConfig,
    /// Servers besides `new_server` that IT sends some people to, by name
    /// (`[migration.destinations.exchange]`), each with its own login, limits, kind and client
    /// settings. A person goes to one by the wave file's `destination` column or IT's choice.
    #[serde(default)]
    pub destinations: BTreeMap<String, MailServer>,
}

/// One IMAP server and how Fountain logs in on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailServer {
    /// `imaps://host:993` (TLS) or `imap://host:143` (STARTTLS; plain text only to this machine).
    pub url: Url,
    /// `password`: each person types their password for this server (old server only).
    /// `proxy`: SASL PLAIN as `admin` on behalf of the person (Cyrus, Zimbra, Exchange-style admins).
    /// `master`: Dovecot's master user (`person*admin`).
    /// `xoauth2`: SASL XOAUTH2 with an app-only bearer token from `[….oauth2]` (client credentials),
    /// as an Exchange-like server takes a service's writes (servers mail is written to only).
    #[serde(default)]
    pub auth: MailAuth,
    /// With `auth = "xoauth2"`: where Fountain gets its application's token.
    pub oauth2: Option<AppLogin>,
    /// The person's login on this server, from their sign-in email: `{email}`, `{localpart}`,
    /// `{domain}` are replaced (`"{localpart}"` turns alice@example.org into `alice`).
    #[serde(default = "default_login")]
    pub login: String,
    pub admin: Option<String>,
    /// Exactly one of these with `proxy` and `master`.
    pub admin_password: Option<Secret>,
    pub admin_password_file: Option<PathBuf>,
    /// PEM file of the CA that signed the server's certificate, when it is not a public one; or of
    /// the server's own self-signed certificate, which is then trusted exactly as it is.
    pub ca_file: Option<PathBuf>,
    /// SHA-256 fingerprints of certificates to trust exactly as they are (`AB:CD:…`, as
    /// `openssl x509 -noout -fingerprint -sha256` prints them): an aging server's self-signed one.
    #[serde(default)]
    pub certificate_sha256: Vec<String>,
    /// Deadline for each network operation.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// The largest reply Fountain reads itself (NAMESPACE, STATUS SIZE), in MiB: more is refused.
    #[serde(default = "default_max_reply_mib")]
    pub max_reply_mib: u32,
    /// COMPRESS=DEFLATE (RFC 4978) when the server offers it: fewer bytes on a slow link (a WAN,
    /// a VPN), for CPU on both sides: off by default, as on a LAN the CPU costs more than it saves.
    #[serde(default)]
    pub compress: bool,
    /// The new server's naming rules: `generic` or `zimbra`.
    #[serde(default)]
    pub profile: Profile,
    /// The largest message the new server takes, in MB, when it does not announce APPENDLIMIT: the
    /// scan warns about bigger ones before anything is copied.
    pub max_message_mb: Option<f64>,
    /// This server's own connection cap and rate (default: `migration.max_connections_per_server`
    /// and `migration.max_mb_per_sec`).
    pub max_connections: Option<usize>,
    pub max_mb_per_sec: Option<f64>,
    /// The load guard also asks the server's own monitoring, for a server mail is written to: a URL
    /// that answers 2xx while it is well (anything else, or no answer within 10 s, holds new copies
    /// to it) …
    pub health_url: Option<Url>,
    /// … or a command, run with `sh -c`, that exits 0 while it is well (else its first line of
    /// output says why).
    pub health_command: Option<String>,
    /// How often those are asked.
    #[serde(default = "default_health_every")]
    pub health_every_secs: u64,
    /// A destination's settings for people's mail programs (the default new server's are
    /// `[migration.client]`); an unset help page falls back to that one.
    pub client: Option<ClientSettings>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailAuth {
    #[default]
    Password,
    Proxy,
    Master,
    Xoauth2,
}

/// An application's login at an OAuth2 token endpoint (the client-credentials grant): the bearer
/// token it gets opens every mailbox the directory lets the application write to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppLogin {
    /// The token endpoint (`https://login.example.org/…/oauth2/v2.0/token`).
    pub token_url: Url,
    pub client_id: String,
    /// Exactly one of these.
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<PathBuf>,
    /// Asked for with the token (`https://outlook.office365.com/.default`), if the endpoint needs one.
    pub scope: Option<String>,
}

impl AppLogin {
    /// The client secret, read from its file when configured that way.
    pub fn secret(&self) -> Result<String, super::ConfigError> {
        read_inline_or_file(self.client_secret.as_ref(), &self.client_secret_file)
            .map(Option::unwrap_or_default)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Generic,
    Zimbra,
}

/// The settings people type into their mail program after the move.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    /// IMAP host people connect to (default: the new server's host).
    pub imap_host: Option<String>,
    /// SMTP host for sending (default: the IMAP host).
    pub smtp_host: Option<String>,
    /// A page with more help, linked from the instructions.
    pub help_url: Option<Url>,
}

/// `[email]`: status emails. Without it, emails wait in the outbox until it is configured.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `smtp://host:25` (plain, for a local relay), `smtp://host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`.
    pub smtp_url: String,
    /// The sender, e.g. `Mail move <mail-move@example.org>`.
    pub from: String,
    /// PEM file of the CA that signed the SMTP server's certificate, when it is an internal one
    /// (trusted besides the public CAs).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for EmailConfig {
    /// The SMTP URL may hold a password: shown without it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = Url::parse(&self.smtp_url)
            .map(|mut u| {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            })
            .unwrap_or_else(|_| "(not a URL)".into());
        f.debug_struct("EmailConfig")
            .field("smtp_url", &url)
            .field("from", &self.from)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

fn default_true() -> bool {
    true
}
fn default_concurrent_requests() -> usize {
    4
}
fn default_parallel_folders() -> usize {
    2
}
fn default_max_connections() -> usize {
    8
}
fn default_heartbeat_timeout() -> u64 {
    60
}
fn default_wave_reminder_days() -> Vec<u32> {
    vec![7, 1]
}
fn default_assumed_mb_per_sec() -> f64 {
    2.0
}

fn default_stuck_after() -> f64 {
    30.0
}
fn default_reconnects_per_run() -> u32 {
    5
}
fn default_max_attempts() -> u32 {
    5
}
fn default_max_reply_mib() -> u32 {
    4
}
fn default_quarantine_message_mb() -> f64 {
    25.0
}
fn default_quarantine_mailbox_mb() -> f64 {
    200.0
}
fn default_forget_password_days() -> u32 {
    14
}
fn default_retention_days() -> u32 {
    60
}
fn default_login() -> String {
    "{email}".into()
}
fn default_health_every() -> u64 {
    15
}
fn default_timeout() -> u64 {
    120
}

impl MigrationConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        self.old_server.validate("migration.old_server")?;
        self.new_server.validate("migration.new_server")?;
        self.cutover.validate()?;
        for (name, server) in &self.destinations {
            let key = format!("migration.destinations.{name}");
            if DestinationName::parse(name).map(|n| n.as_str() == name) != Ok(true) {
                return Err(format!(
                    "{key}: a destination's name is 1 to 32 lowercase letters, digits, - or _, \
                     starting with a letter (not old, new or default)"
                ));
            }
            server.validate(&key)?;
        }
        for (key, server) in self.written_to() {
            if server.auth == MailAuth::Password {
                return Err(format!(
                    "{key}.auth must be \"proxy\", \"master\" or \"xoauth2\": Fountain writes into new \
                     mailboxes as an administrator (or an application)"
                ));
            }
        }
        if self.old_server.auth == MailAuth::Xoauth2 {
            return Err(
                "migration.old_server.auth = \"xoauth2\" is for the servers mail is written to: on the \
                 old server use password, proxy or master"
                    .into(),
            );
        }
        if self.old_server.health_url.is_some() || self.old_server.health_command.is_some() {
            return Err(
                "migration.old_server: health_url and health_command are for the servers mail is \
                 written to (the old server's strain shows in its adaptive limit)"
                    .into(),
            );
        }
        for (key, server) in [
            ("migration.old_server", &self.old_server),
            ("migration.new_server", &self.new_server),
        ] {
            if server.client.is_some() {
                return Err(format!(
                    "{key}.client: client settings belong to [migration.client] (the default new \
                     server) or to a destination"
                ));
            }
        }
        if self.old_server.auth == MailAuth::Password
            && self.secrets_key.is_some() == self.secrets_key_file.is_some()
        {
            return Err(
                "set exactly one of migration.secrets_key and migration.secrets_key_file: old-server \
                 passwords are sealed with it"
                    .into(),
            );
        }
        if self.concurrent_requests == 0 || self.parallel_folders == 0 {
            return Err(
                "migration.concurrent_requests and migration.parallel_folders must be at least 1"
                    .into(),
            );
        }
        if self.max_connections_per_server < 2 {
            return Err("migration.max_connections_per_server must be at least 2".into());
        }
        if self.heartbeat_timeout_secs < 10 {
            return Err("migration.heartbeat_timeout_secs must be at least 10".into());
        }
        if [self.quarantine_message_mb, self.quarantine_mailbox_mb]
            .iter()
            .any(|mb| !mb.is_finite() || *mb < 0.0)
        {
            return Err(
                "migration.quarantine_message_mb and quarantine_mailbox_mb must be 0 or more"
                    .into(),
            );
        }
        if self.forget_password_after_days == 0 {
            return Err("migration.forget_password_after_days must be at least 1".into());
        }
        if self.max_attempts == 0 {
            return Err("migration.max_attempts must be at least 1".into());
        }
        if self.max_mb_per_sec.is_some_and(|r| r.is_nan() || r <= 0.0) {
            return Err("migration.max_mb_per_sec must be above 0".into());
        }
        if self
            .wave_reminder_days
            .iter()
            .any(|d| !(1..=90).contains(d))
        {
            return Err("migration.wave_reminder_days must each be 1 to 90 (days before a wave's window opens)".into());
        }
        if !(self.assumed_mb_per_sec.is_finite() && self.assumed_mb_per_sec > 0.0) {
            return Err("migration.assumed_mb_per_sec must be above 0".into());
        }
        if !(self.stuck_after_minutes.is_finite() && self.stuck_after_minutes > 0.0) {
            return Err("migration.stuck_after_minutes must be above 0".into());
        }
        Ok(())
    }

    /// [`stuck_after_minutes`](Self::stuck_after_minutes) in whole seconds (at least one).
    pub fn stuck_after_secs(&self) -> i64 {
        ((self.stuck_after_minutes * 60.0).round() as i64).max(1)
    }

    /// The sealing key, read from its file when configured that way.
    pub fn secrets_key(&self) -> Result<Option<String>, super::ConfigError> {
        read_inline_or_file(self.secrets_key.as_ref(), &self.secrets_key_file)
    }

    pub fn quarantine_limits(&self) -> crate::engine::copy::QuarantineLimits {
        crate::engine::copy::QuarantineLimits::from_mb(
            self.quarantine_message_mb,
            self.quarantine_mailbox_mb,
        )
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.spool_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    pub fn heartbeat_timeout(&self) -> Duration {
        Duration::from_secs(self.heartbeat_timeout_secs)
    }

    /// The connections at once and MB/s `server` is configured with: its own, else the defaults.
    pub fn limits_of(&self, server: &MailServer) -> (usize, Option<f64>) {
        (
            server
                .max_connections
                .unwrap_or(self.max_connections_per_server),
            server.max_mb_per_sec.or(self.max_mb_per_sec),
        )
    }

    /// The servers mail is written to, with their configuration keys: the new server, then each
    /// destination.
    fn written_to(&self) -> Vec<(String, &MailServer)> {
        let mut out = vec![("migration.new_server".to_owned(), &self.new_server)];
        out.extend(
            self.destinations
                .iter()
                .map(|(name, s)| (format!("migration.destinations.{name}"), s)),
        );
        out
    }

    /// Every configured server: old, new, then each destination by name.
    pub fn servers(&self) -> Vec<(ServerRole, &MailServer)> {
        let mut out = vec![
            (ServerRole::Old, &self.old_server),
            (ServerRole::New, &self.new_server),
        ];
        out.extend(self.destinations.iter().filter_map(|(name, server)| {
            let name = DestinationName::parse(name).ok()?;
            Some((ServerRole::Destination(name), server))
        }));
        out
    }

    /// The configured server of `role`, if any.
    pub fn server(&self, role: &ServerRole) -> Option<&MailServer> {
        match role {
            ServerRole::Old => Some(&self.old_server),
            ServerRole::New => Some(&self.new_server),
            ServerRole::Destination(name) => self.destinations.get(name.as_str()),
        }
    }

    /// Where mail goes for a person sent to `destination` (`None`: the default new server); the
    /// name back when no such destination is configured (any more).
    pub fn destination<'a>(
        &self,
        destination: Option<&'a DestinationName>,
    ) -> Result<&MailServer, &'a DestinationName> {
        match destination {
            None => Ok(&self.new_server),
            Some(name) => self.destinations.get(name.as_str()).ok_or(name),
        }
    }

    /// The destinations configured besides the default new server.
    pub fn destination_names(&self) -> Vec<DestinationName> {
        self.destinations
            .keys()
            .filter_map(|n| DestinationName::parse(n).ok())
            .collect()
    }

    /// What people sent to `destination` type into their mail program.
    pub fn client_for(&self, destination: Option<&DestinationName>) -> ClientSettings {
        let own = destination
            .and_then(|n| self.destinations.get(n.as_str()))
            .and_then(|s| s.client.clone());
        match own {
            None => self.client.clone(),
            Some(own) => ClientSettings {
                help_url: own.help_url.or_else(|| self.client.help_url.clone()),
                ..own
            },
        }
    }
}

impl MailServer {
    fn validate(&self, key: &str) -> Result<(), String> {
        if self
            .health_url
            .as_ref()
            .is_some_and(|u| !matches!(u.scheme(), "http" | "https"))
        {
            return Err(format!(
                "{key}.health_url must be an http:// or https:// URL"
            ));
        }
        if self
            .health_command
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(format!(
                "{key}.health_command is empty: remove it, or name a command"
            ));
        }
        if self.health_every_secs == 0 {
            return Err(format!("{key}.health_every_secs must be at least 1"));
        }
        if Endpoint::from_url(&self.url, Duration::ZERO, Trust::default()).is_none() {
            return Err(format!(
                "{key}.url must look like imaps://host:993 or imap://host:143"
            ));
        }
        if !self.url.username().is_empty() || self.url.password().is_some() {
            return Err(format!(
                "{key}.url must not hold a user or password (use login and admin_password_file)"
            ));
        }
        if let Some(e) = self
            .certificate_sha256
            .iter()
            .find_map(|f| Fingerprint::parse(f).err())
        {
            return Err(format!("{key}.certificate_sha256: {e}"));
        }
        if self.max_connections == Some(0) {
            return Err(format!("{key}.max_connections must be at least 1"));
        }
        if self.max_mb_per_sec.is_some_and(|r| r.is_nan() || r <= 0.0) {
            return Err(format!("{key}.max_mb_per_sec must be above 0"));
        }
        if !self.login.contains('{') && self.auth != MailAuth::Password {
            return Err(format!(
                "{key}.login must contain {{email}} or {{localpart}}: it names each person's mailbox"
            ));
        }
        if self.oauth2.is_some() != (self.auth == MailAuth::Xoauth2) {
            return Err(format!(
                "{key}.oauth2 goes with auth = \"xoauth2\" (and that auth needs it): the token URL, \
                 client_id and client secret of Fountain's application"
            ));
        }
        match self.auth {
            MailAuth::Password => Ok(()),
            MailAuth::Xoauth2 => {
                let app = self.oauth2.as_ref().expect("checked above");
                // The client secret goes with it: plain http only to this machine.
                let local = matches!(
                    app.token_url.host_str(),
                    Some("127.0.0.1" | "localhost" | "[::1]")
                );
                match app.token_url.scheme() {
                    "https" => {}
                    "http" if local => {}
                    _ => {
                        return Err(format!(
                            "{key}.oauth2.token_url must be an https:// URL (http:// only to this machine)"
                        ))
                    }
                }
                if app.client_id.trim().is_empty() {
                    return Err(format!("{key}.oauth2.client_id is empty"));
                }
                if app.client_secret.is_some() == app.client_secret_file.is_some() {
                    return Err(format!(
                        "set exactly one of {key}.oauth2.client_secret and {key}.oauth2.client_secret_file"
                    ));
                }
                Ok(())
            }
            MailAuth::Proxy | MailAuth::Master => {
                if self.admin.as_deref().is_none_or(str::is_empty) {
                    return Err(format!("{key}.admin is needed with auth = proxy or master"));
                }
                if self.admin_password.is_some() == self.admin_password_file.is_some() {
                    return Err(format!(
                        "set exactly one of {key}.admin_password and {key}.admin_password_file"
                    ));
                }
                Ok(())
            }
        }
    }

    /// Where the server is. The URL was checked at load.
    pub fn endpoint(&self) -> Endpoint {
        let trust = Trust {
            ca_file: self.ca_file.clone(),
            pinned: self
                .certificate_sha256
                .iter()
                .filter_map(|f| Fingerprint::parse(f).ok())
                .collect(),
        };
        let timeout = Duration::from_secs(self.timeout_secs);
        let mut endpoint = Endpoint::from_url(&self.url, timeout, trust)
            .expect("server URLs are checked when the configuration loads");
        endpoint.max_reply_bytes = (self.max_reply_mib.max(1) as usize) << 20;
        endpoint.compress = self.compress;
        endpoint
    }

    /// The person's login here, from their sign-in email.
    pub fn login_for(&self, email: &str) -> String {
        login_for(&self.login, email)
    }

    /// How to log in as `user`: with their own password in `password` mode, with the application's
    /// token (given as `password`) in `xoauth2` mode, else as the administrator.
    pub fn credentials(
        &self,
        user: String,
        password: Option<String>,
    ) -> Result<Credentials, super::ConfigError> {
        let admin = || self.admin.clone().unwrap_or_default();
        let admin_password =
            || read_inline_or_file(self.admin_password.as_ref(), &self.admin_password_file);
        Ok(match self.auth {
            MailAuth::Password => Credentials::Login {
                user,
                password: password.unwrap_or_default(),
            },
            MailAuth::Proxy => Credentials::Proxy {
                user,
                admin: admin(),
                password: admin_password()?.unwrap_or_default(),
            },
            MailAuth::Master => Credentials::Master {
                user,
                master: admin(),
                password: admin_password()?.unwrap_or_default(),
            },
            // The "password" is the application's bearer token.
            MailAuth::Xoauth2 => Credentials::XOAuth2 {
                user,
                token: password.unwrap_or_default(),
            },
        })
    }
}

impl MailServer {
    /// [`MailServer::max_message_mb`] in bytes.
    pub fn max_message_bytes(&self) -> Option<u64> {
        self.max_message_mb
            .filter(|mb| mb.is_finite() && *mb > 0.0)
            .map(|mb| (mb * 1_000_000.0) as u64)
    }
}

impl ClientSettings {
    pub fn imap_host(&self, new_server: &MailServer) -> String {
        self.imap_host
            .clone()
            .unwrap_or_else(|| new_server.url.host_str().unwrap_or_default().to_owned())
    }
}

/// `{email}`, `{localpart}` and `{domain}` of `email` put into `template`.
pub fn login_for(template: &str, email: &str) -> String {
    let (localpart, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    template
        .replace("{email}", email)
        .replace("{localpart}", localpart)
        .replace("{domain}", domain)
}

fn read_inline_or_file(
    inline: Option<&Secret>,
    file: &Option<PathBuf>,
) -> Result<Option<String>, super::ConfigError> {
    match (inline, file) {
        (Some(s), _) => Ok(Some(s.expose().to_owned())),
        (None, Some(p)) => std::fs::read_to_string(p)
            .map(|s| Some(s.trim().to_owned()))
            .map_err(|source| super::ConfigError::Read {
                path: p.clone(),
                source,
            }),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_come_from_the_sign_in_email() {
        assert_eq!(
            login_for("{localpart}", "alice@example.org"),
            "alice".to_string()
        );
        assert_eq!(
            login_for("{email}", "alice@example.org"),
            "alice@example.org"
        );
        assert_eq!(
            login_for("{localpart}@old.{domain}", "a.b@example.org"),
            "a.b@old.example.org"
        );
        assert_eq!(login_for("{localpart}", "no-at-sign"), "no-at-sign");
    }
}
