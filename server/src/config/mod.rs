//! Typed configuration: a TOML file, then environment overrides (`FOUNTAIN__SECTION__KEY=value`,
//! and `DATABASE_URL`). Every error names the key and what is wrong with it.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::secret::Secret;

mod cutover;
mod mail;
pub use cutover::CutoverConfig;
pub use mail::{
    login_for, AppLogin, ClientSettings, EmailConfig, MailAuth, MailServer, MigrationConfig,
    Profile,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    #[serde(default)]
    pub log: LogConfig,
    /// Which servers mail moves between; without it the portal says migrations are not open yet.
    pub migration: Option<MigrationConfig>,
    /// How status emails are sent; without it they wait in the outbox.
    pub email: Option<EmailConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the portal listens on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The address people type in their browser. Decides the sign-in redirect URL, whether cookies are
    /// `Secure` (https), and which origin may post forms.
    #[serde(default = "default_public_url")]
    pub public_url: Url,
    /// Where `.ci/build-site` (or `cargo leptos build`) put the site (the wasm bundle and the stylesheet).
    #[serde(default = "default_site_root")]
    pub site_root: PathBuf,
    /// Where `fountain worker` serves `/healthz`, `/readyz` and `/metrics` (the portal serves them on
    /// `listen`); none when unset.
    #[serde(default)]
    pub worker_listen: Option<SocketAddr>,
    /// A file holding the bearer token `/metrics` asks for (Prometheus' `authorization:
    /// credentials_file`); without it `/metrics` answers anyone who reaches it.
    #[serde(default)]
    pub metrics_token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH?mode=rwc` (embedded, the default) or `postgres://user:pass@host/db`.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// Whether every `fountain` process brings the schema up to date when it starts (one at a time).
    /// Set it to false where a deployment step runs `fountain migrate` before the new version starts:
    /// processes then refuse to start on a schema that is behind.
    #[serde(default = "default_true")]
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The OpenID Connect issuer; its discovery document is read from `/.well-known/openid-configuration`.
    pub issuer: Url,
    /// PEM file of the CA that signed the provider's certificate, when it is an internal one
    /// (trusted besides the public CAs).
    pub ca_file: Option<PathBuf>,
    pub client_id: String,
    /// The client secret, inline or (better) in a file readable only by Fountain.
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<PathBuf>,
    /// How long a sign-in lasts.
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
    /// Scopes asked for besides `openid` (add `groups` where the provider needs it for the group claim).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub roles: RolesConfig,
    /// Roles are read from the provider at sign-in; a session older than this goes through the
    /// provider again (silently while the provider's own session lasts), so a person removed from a
    /// group loses the role within this time.
    #[serde(default = "default_roles_max_age")]
    pub roles_max_age_minutes: u32,
    /// A session unused this long ends.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_minutes: u32,
    /// Refuse sign-ins whose email the provider does not mark `email_verified`.
    #[serde(default = "default_true")]
    pub require_verified_email: bool,
    /// The organisation's mail domains; people with an address elsewhere are refused. Needed when a
    /// mailbox login is built from `{localpart}` (else alice@other.example reaches mailbox "alice").
    #[serde(default)]
    pub allowed_domains: Vec<String>,
}

fn default_roles_max_age() -> u32 {
    240
}
fn default_idle_timeout() -> u32 {
    120
}

fn default_true() -> bool {
    true
}

/// Which claim of the ID token carries group names, and which group grants which role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesConfig {
    #[serde(default = "default_claim")]
    pub claim: String,
    /// Group that may migrate their own mailbox; empty means every signed-in person.
    #[serde(default)]
    pub user_group: String,
    #[serde(default = "default_helpdesk_group")]
    pub helpdesk_group: String,
    #[serde(default = "default_it_group")]
    pub it_group: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (default) or `json`.
    #[serde(default)]
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 3000))
}
fn default_public_url() -> Url {
    Url::parse("http://127.0.0.1:3000/").expect("valid default")
}
fn default_site_root() -> PathBuf {
    PathBuf::from("target/site")
}
fn default_database_url() -> String {
    "sqlite://fountain.db?mode=rwc".into()
}
fn default_session_hours() -> u32 {
    12
}
fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}
fn default_claim() -> String {
    "groups".into()
}
fn default_helpdesk_group() -> String {
    "helpdesk".into()
}
fn default_it_group() -> String {
    "it".into()
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: default_public_url(),
            site_root: default_site_root(),
            worker_listen: None,
            metrics_token_file: None,
        }
    }
}
impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: default_database_url(),
            migrate_on_start: true,
        }
    }
}
impl Default for RolesConfig {
    fn default() -> Self {
        Self {
            claim: default_claim(),
            user_group: String::new(),
            helpdesk_group: default_helpdesk_group(),
            it_group: default_it_group(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

const ENV_PREFIX: &str = "FOUNTAIN__";

/// A secret kept in a file of its own, without the whitespace around it.
fn secret_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })
}

impl Config {
    /// Reads `path` (if any), applies the environment, and checks the result.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (mut table, file_label) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_owned(),
                    source,
                })?;
                let table: toml::Table =
                    text.parse()
                        .map_err(|e: toml::de::Error| ConfigError::Invalid {
                            origin: format!(" in {}", p.display()),
                            message: e.to_string(),
                        })?;
                (table, format!(" in {}", p.display()))
            }
            None => (toml::Table::new(), String::new()),
        };
        let overridden = apply_env(&mut table, env)?;
        let origin = match (file_label.is_empty(), overridden.is_empty()) {
            (_, true) => file_label,
            (true, false) => format!(" (from environment: {})", overridden.join(", ")),
            (false, false) => format!(
                "{file_label} (with environment overrides: {})",
                overridden.join(", ")
            ),
        };
        let config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: origin.clone(),
                    message: e.to_string(),
                })?;
        config
            .validate()
            .map_err(|message| ConfigError::Invalid { origin, message })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if !matches!(self.server.public_url.scheme(), "http" | "https") {
            return Err("server.public_url must start with http:// or https://".into());
        }
        if self.auth.client_id.trim().is_empty() {
            return Err("auth.client_id must not be empty".into());
        }
        if self.auth.client_secret.is_some() == self.auth.client_secret_file.is_some() {
            return Err("set exactly one of auth.client_secret and auth.client_secret_file".into());
        }
        if self.auth.session_hours == 0 || self.auth.session_hours > 24 * 30 {
            return Err("auth.session_hours must be between 1 and 720".into());
        }
        if self.auth.roles_max_age_minutes < 5 || self.auth.idle_timeout_minutes < 5 {
            return Err(
                "auth.roles_max_age_minutes and auth.idle_timeout_minutes must be at least 5"
                    .into(),
            );
        }
        if !(self.database.url.starts_with("sqlite:") || self.database.url.starts_with("postgres"))
        {
            return Err("database.url must be sqlite://… or postgres://…".into());
        }
        if let Some(migration) = &self.migration {
            migration.validate()?;
            let by_localpart = migration
                .servers()
                .iter()
                .any(|(_, s)| s.login.contains("{localpart}"));
            if by_localpart && self.auth.allowed_domains.is_empty() {
                return Err(
                    "auth.allowed_domains must list the organisation's mail domains when a mailbox \
                     login uses {localpart}: else alice@other.example would reach the mailbox \"alice\""
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// The client secret, read from its file when configured that way.
    pub fn client_secret(&self) -> Result<String, ConfigError> {
        match (&self.auth.client_secret, &self.auth.client_secret_file) {
            (Some(s), _) => Ok(s.expose().to_owned()),
            (None, Some(p)) => secret_file(p),
            (None, None) => unreachable!("validated at load"),
        }
    }

    /// The token `/metrics` asks for, read from its file when one is configured.
    pub fn metrics_token(&self) -> Result<Option<crate::secret::Secret>, ConfigError> {
        let Some(path) = &self.server.metrics_token_file else {
            return Ok(None);
        };
        match secret_file(path)?.as_str() {
            "" => Err(ConfigError::Invalid {
                origin: String::new(),
                message: format!(
                    "server.metrics_token_file {} is empty: put a long random token in it \
                     (openssl rand -hex 32)",
                    path.display()
                ),
            }),
            token => Ok(Some(crate::secret::Secret::new(token.to_owned()))),
        }
    }

    /// Whether cookies must be `Secure`.
    pub fn https(&self) -> bool {
        self.server.public_url.scheme() == "https"
    }
}

/// Overlays `FOUNTAIN__A__B=v` as `a.b = v` (a TOML value when it parses as one, else a string) and
/// `DATABASE_URL` as `database.url`. Returns the variables used, for error messages.
fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, ConfigError> {
    let mut used = Vec::new();
    let vars: BTreeMap<String, String> = env.into_iter().collect();
    for (var, raw) in &vars {
        let path: Vec<String> = if var == "DATABASE_URL" {
            vec!["database".into(), "url".into()]
        } else if let Some(rest) = var.strip_prefix(ENV_PREFIX) {
            rest.split("__").map(|s| s.to_ascii_lowercase()).collect()
        } else {
            continue;
        };
        if path.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::Env {
                var: var.clone(),
                message: "empty key segment (use FOUNTAIN__SECTION__KEY)".into(),
            });
        }
        let value = parse_env_value(raw);
        let (leaf, parents) = path.split_last().expect("non-empty");
        let mut cursor = &mut *table;
        for p in parents {
            let entry = cursor
                .entry(p.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            cursor = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
                var: var.clone(),
                message: format!("`{p}` is a value, not a section"),
            })?;
        }
        cursor.insert(leaf.clone(), value);
        used.push(var.clone());
    }
    Ok(used)
}

fn parse_env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[auth]\nissuer = \"https://id.example.org\"\nclient_id = \"fountain\"\nclient_secret = \"s\"\n";

    fn load_str(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fountain.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(
            Some(&path),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let c = load_str(MINIMAL, &[]).unwrap();
        assert_eq!(c.server.listen, default_listen());
        assert_eq!(c.database.url, "sqlite://fountain.db?mode=rwc");
        assert_eq!(c.auth.roles.claim, "groups");
        assert_eq!(c.auth.session_hours, 12);
        assert_eq!(c.auth.scopes, ["email", "profile"]);
        assert!(!c.https());
    }

    #[test]
    fn environment_overrides_file() {
        let c = load_str(
            MINIMAL,
            &[
                ("FOUNTAIN__SERVER__LISTEN", "0.0.0.0:8080"),
                ("FOUNTAIN__AUTH__SESSION_HOURS", "2"),
                ("FOUNTAIN__AUTH__ROLES__IT_GROUP", "division-it"),
                (
                    "FOUNTAIN__SERVER__PUBLIC_URL",
                    "https://mail-move.example.org",
                ),
                ("DATABASE_URL", "postgres://fountain@db/fountain"),
                ("UNRELATED", "x"),
            ],
        )
        .unwrap();
        assert_eq!(c.server.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(c.auth.session_hours, 2);
        assert_eq!(c.auth.roles.it_group, "division-it");
        assert_eq!(c.database.url, "postgres://fountain@db/fountain");
        assert!(c.https());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let env = [
            (
                "FOUNTAIN__EMAIL__SMTP_URL",
                "smtps://mailer:smtp-pw@relay.example.org",
            ),
            ("FOUNTAIN__EMAIL__FROM", "f@example.org"),
        ];
        let c = load_str(&format!("{MINIMAL}{MIGRATION}"), &env).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("relay.example.org"), "{shown}");
        for secret in ["client_secret: Some(\"s\")", "\"k\"", "\"p\"", "smtp-pw"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_str(&format!("{MINIMAL}[server]\nlisten_port = 3\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen_port"), "{err}");
        assert!(err.contains("fountain.toml"), "{err}");
    }

    #[test]
    fn bad_value_is_named() {
        let err = load_str(MINIMAL, &[("FOUNTAIN__SERVER__LISTEN", "not-an-address")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("FOUNTAIN__SERVER__LISTEN"), "{err}");
        assert!(err.contains("socket address"), "{err}");
    }

    #[test]
    fn missing_auth_is_reported() {
        let err = load_str("", &[]).unwrap_err().to_string();
        assert!(err.contains("auth"), "{err}");
    }

    #[test]
    fn secret_must_be_given_once() {
        let err = load_str(&MINIMAL.replace("client_secret = \"s\"\n", ""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("client_secret"), "{err}");
    }

    #[test]
    fn the_documented_example_file_loads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fountain.example.toml");
        let c = Config::load(Some(&path), std::iter::empty()).unwrap();
        assert!(c.https());
        assert_eq!(c.auth.roles.user_group, "staff");
        assert_eq!(c.log.format, LogFormat::Text);
        let m = c.migration.expect("the example configures migrations");
        assert_eq!(m.old_server.auth, MailAuth::Password);
        assert_eq!(m.old_server.endpoint().port, 993);
        assert_eq!(m.old_server.login_for("ann@example.org"), "ann");
        assert_eq!(m.new_server.profile, Profile::Zimbra);
        assert!(c.email.is_some());
    }

    const MIGRATION: &str = "[migration]\nsecrets_key = \"k\"\n\
        [migration.old_server]\nurl = \"imap://old.example.org\"\n\
        [migration.new_server]\nurl = \"imaps://new.example.org\"\nauth = \"master\"\nadmin = \"a\"\nadmin_password = \"p\"\n";

    const EXCHANGE: &str = "[migration.destinations.exchange]\nurl = \"imaps://ex.example.org\"\n\
        auth = \"proxy\"\nadmin = \"svc\"\nadmin_password = \"p\"\nmax_connections = 3\n\
        [migration.destinations.exchange.client]\nimap_host = \"outlook.example.org\"\n\
        [migration.client]\nimap_host = \"mail.example.org\"\nhelp_url = \"https://help.example.org/\"\n";

    #[test]
    fn destinations_have_their_own_server_limits_and_client_settings() {
        let c = load_str(&format!("{MINIMAL}{MIGRATION}{EXCHANGE}"), &[]).unwrap();
        let m = c.migration.unwrap();
        let exchange = app::dto::DestinationName::parse("exchange").unwrap();
        let roles: Vec<String> = m
            .servers()
            .iter()
            .map(|(r, _)| r.as_str().to_owned())
            .collect();
        assert_eq!(roles, ["old", "new", "exchange"]);
        let server = m.destination(Some(&exchange)).unwrap();
        assert_eq!(server.endpoint().host, "ex.example.org");
        assert_eq!(m.limits_of(server), (3, None));
        assert_eq!(m.limits_of(&m.new_server), (8, None));
        let client = m.client_for(Some(&exchange));
        assert_eq!(client.imap_host.as_deref(), Some("outlook.example.org"));
        // What the destination leaves unset comes from [migration.client].
        assert_eq!(
            client.help_url.map(|u| u.to_string()),
            Some("https://help.example.org/".to_owned())
        );
        assert_eq!(
            m.client_for(None).imap_host.as_deref(),
            Some("mail.example.org")
        );
        let gone = app::dto::DestinationName::parse("zimbra").unwrap();
        assert_eq!(m.destination(Some(&gone)).err(), Some(&gone));

        let refused = [
            (
                EXCHANGE.replace("destinations.exchange", "destinations.Ex"),
                "destinations.Ex",
            ),
            (
                EXCHANGE.replace("destinations.exchange", "destinations.new"),
                "destinations.new",
            ),
            (
                EXCHANGE.replace("auth = \"proxy\"", "auth = \"password\""),
                "\"master\" or \"xoauth2\"",
            ),
            (
                EXCHANGE.replace("max_connections = 3", "max_connections = 0"),
                "max_connections",
            ),
            (
                EXCHANGE.replace("admin_password = \"p\"\n", ""),
                "destinations.exchange.admin_password",
            ),
        ];
        for (toml, key) in refused {
            let err = load_str(&format!("{MINIMAL}{MIGRATION}{toml}"), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
        // An application login for an Exchange-like destination: with its token endpoint, only there.
        let no_app = EXCHANGE.replace(
            "auth = \"proxy\"\nadmin = \"svc\"\nadmin_password = \"p\"\n",
            "auth = \"xoauth2\"\n",
        );
        let app = no_app.clone() + "[migration.destinations.exchange.oauth2]\ntoken_url = \"https://login.example.org/token\"\n\
             client_id = \"app\"\nclient_secret = \"s\"\n";
        let c = load_str(&format!("{MINIMAL}{MIGRATION}{app}"), &[]).unwrap();
        let m = c.migration.unwrap();
        assert_eq!(
            m.destination(Some(&exchange)).unwrap().auth,
            MailAuth::Xoauth2
        );
        for (toml, key) in [
            (
                app.replace("client_secret = \"s\"\n", ""),
                "oauth2.client_secret",
            ),
            (no_app, "exchange.oauth2 goes with"),
        ] {
            let err = load_str(&format!("{MINIMAL}{MIGRATION}{toml}"), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
        let old_by_token = MIGRATION.replace(
            "url = \"imap://old.example.org\"\n",
            "url = \"imap://old.example.org\"\nauth = \"xoauth2\"\nlogin = \"{email}\"\n\
             [migration.old_server.oauth2]\ntoken_url = \"https://l.example.org/t\"\nclient_id = \"a\"\nclient_secret = \"s\"\n",
        );
        let err = load_str(&format!("{MINIMAL}{old_by_token}"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("old_server.auth = \"xoauth2\""), "{err}");

        let client_on_old = MIGRATION.replace(
            "[migration.new_server]",
            "[migration.old_server.client]\nimap_host = \"x\"\n[migration.new_server]",
        );
        let err = load_str(&format!("{MINIMAL}{client_on_old}"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("old_server.client"), "{err}");
    }

    #[test]
    fn migration_settings_are_checked() {
        let ok = load_str(&format!("{MINIMAL}{MIGRATION}"), &[]).unwrap();
        let m = ok.migration.unwrap();
        assert_eq!(m.old_server.endpoint().port, 143);
        assert_eq!(m.new_server.endpoint().port, 993);
        assert!(m.workers_in_portal);
        let cases = [
            (
                MIGRATION.replace("auth = \"master\"", "auth = \"password\""),
                "\"master\" or \"xoauth2\"",
            ),
            (
                MIGRATION.replace("secrets_key = \"k\"\n", ""),
                "secrets_key",
            ),
            (
                MIGRATION.replace("admin_password = \"p\"\n", ""),
                "admin_password",
            ),
            (
                MIGRATION.replace("imap://old", "http://old"),
                "old_server.url",
            ),
            (
                MIGRATION.replace("imap://old", "imap://u:pw@old"),
                "must not hold",
            ),
        ];
        for (text, expected) in cases {
            let err = load_str(&format!("{MINIMAL}{text}"), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        // A login from the local part needs the organisation's domains.
        let err = load_str(
            &format!("{MINIMAL}{MIGRATION}"),
            &[("FOUNTAIN__MIGRATION__NEW_SERVER__LOGIN", "{localpart}")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("auth.allowed_domains"), "{err}");
        let env = load_str(
            &format!("{MINIMAL}{MIGRATION}"),
            &[
                ("FOUNTAIN__MIGRATION__NEW_SERVER__LOGIN", "{localpart}"),
                ("FOUNTAIN__AUTH__ALLOWED_DOMAINS", "[\"example.org\"]"),
            ],
        )
        .unwrap();
        assert_eq!(env.migration.unwrap().new_server.login, "{localpart}");
    }

    #[test]
    fn malformed_toml_is_located() {
        let err = load_str("[auth\n", &[]).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
