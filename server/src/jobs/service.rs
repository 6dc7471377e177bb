//! What the portal's pages and the workers share: the database, IT's migration settings, the old
//! accounts people connected (with the key that seals their passwords), and the per-server budgets
//! every running copy draws from.
use std::sync::Arc;

use app::dto::DestinationName;
use sea_orm::DatabaseConnection;
use url::Url;

use super::places::DbPlaces;
use crate::accounts::Accounts;
use crate::config::{ConfigError, MailAuth, MigrationConfig};
use crate::engine::throttle::{Limits, Throttle};
use crate::notify::templates::{TemplateError, Templates};
use crate::secret::{SecretBox, SecretError};

pub struct Migrations {
    pub db: DatabaseConnection,
    pub settings: MigrationConfig,
    pub accounts: Accounts,
    pub throttle: Arc<Throttle>,
    /// The connection places this process holds in the database: every process connecting to a
    /// server keeps, with the others, to its one cap.
    pub places: Arc<DbPlaces>,
    /// Where people open the portal: links in emails point here.
    pub public_url: Url,
    /// The emails' and instructions' templates (IT's folder over the built-in ones), checked.
    pub templates: Templates,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("migration.secrets_key: {0}")]
    Key(#[from] SecretError),
    #[error("migration.templates_dir: {0}")]
    Templates(#[from] TemplateError),
}

impl Migrations {
    pub fn new(
        db: DatabaseConnection,
        settings: MigrationConfig,
        public_url: Url,
    ) -> Result<Arc<Migrations>, SetupError> {
        let secrets = match settings.old_server.auth {
            MailAuth::Password => settings
                .secrets_key()?
                .map(|key| SecretBox::from_base64(&key))
                .transpose()?,
            MailAuth::Proxy | MailAuth::Master | MailAuth::Xoauth2 => None,
        };
        let places = DbPlaces::new(db.clone(), super::worker::worker_name());
        let throttle = Throttle::shared(
            Limits {
                max_connections: settings.max_connections_per_server,
                bytes_per_second: settings.max_mb_per_sec.map(|mb| (mb * 1_000_000.0) as u64),
            },
            places.clone(),
        );
        let templates = Templates::load(settings.templates_dir.as_deref())?;
        let accounts = Accounts::new(db.clone(), &settings, secrets);
        Ok(Arc::new(Migrations {
            db,
            settings,
            accounts,
            throttle,
            places,
            public_url,
            templates,
        }))
    }

    /// From the configuration: `None` when `[migration]` is not configured (migrations not open).
    pub fn from_config(
        config: &crate::config::Config,
        db: DatabaseConnection,
    ) -> Result<Option<Arc<Migrations>>, SetupError> {
        config
            .migration
            .clone()
            .map(|settings| Migrations::new(db, settings, config.server.public_url.clone()))
            .transpose()
    }

    /// Whether people type their old-server password (else IT's administrator logs in for them).
    pub fn asks_password(&self) -> bool {
        self.accounts.asks_password()
    }

    /// How `email` sets up their mail program for the new server they go to (`destination`; `None`:
    /// the default one): the client instructions.
    pub fn client_instructions(
        &self,
        email: &str,
        destination: Option<&DestinationName>,
    ) -> Result<String, TemplateError> {
        let settings = &self.settings;
        // A destination no longer configured: the default's hosts are better than none.
        let server = settings
            .destination(destination)
            .unwrap_or(&settings.new_server);
        let client = settings.client_for(destination);
        let imap_host = client.imap_host(server);
        let smtp_host = client
            .smtp_host
            .clone()
            .unwrap_or_else(|| imap_host.clone());
        crate::notify::emails::instructions(
            &self.templates,
            &imap_host,
            &smtp_host,
            &server.login_for(email),
            client.help_url.as_ref().map(|u| u.as_str()),
        )
    }

    /// The helpdesk's whole triage queue now, by the configured thresholds.
    pub async fn triage(&self) -> Result<super::triage::Everything, sea_orm::DbErr> {
        let thresholds = super::triage::Thresholds {
            heartbeat_timeout: self.settings.heartbeat_timeout_secs as i64,
            stuck_after: self.settings.stuck_after_secs(),
            slots: self.settings.concurrent_requests as u64,
        };
        super::triage::triage(&self.db, thresholds).await
    }

    /// A page of the portal (under `server.public_url`, which may have a path of its own): the
    /// links every email carries.
    fn page_url(&self, page: &str) -> String {
        let base = &self.public_url;
        base.join(page).unwrap_or_else(|_| base.clone()).to_string()
    }

    /// The person's own page.
    pub fn portal_url(&self) -> String {
        self.page_url("me")
    }

    /// A request's page in the helpdesk area.
    pub fn request_page_url(&self, request: app::dto::RequestId) -> String {
        self.page_url(&format!("helpdesk/requests/{request}"))
    }
}
