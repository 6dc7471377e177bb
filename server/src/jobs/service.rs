//! What the portal's pages and the workers share: the database, IT's migration settings, the old
//! accounts people connected (with the key that seals their passwords), and the per-server budgets
//! every running copy draws from.
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use url::Url;

use crate::accounts::Accounts;
use crate::config::{ConfigError, MailAuth, MigrationConfig};
use crate::engine::throttle::{Limits, Throttle};
use crate::secret::{SecretBox, SecretError};

pub struct Migrations {
    pub db: DatabaseConnection,
    pub settings: MigrationConfig,
    pub accounts: Accounts,
    pub throttle: Arc<Throttle>,
    /// Where people open the portal: links in emails point here.
    pub public_url: Url,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("migration.secrets_key: {0}")]
    Key(#[from] SecretError),
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
            MailAuth::Proxy | MailAuth::Master => None,
        };
        let throttle = Throttle::new(Limits {
            max_connections: settings.max_connections_per_server,
            bytes_per_second: settings.max_mb_per_sec.map(|mb| (mb * 1_000_000.0) as u64),
        });
        let accounts = Accounts::new(
            db.clone(),
            settings.old_server.clone(),
            settings.new_server.clone(),
            secrets,
        );
        Ok(Arc::new(Migrations {
            db,
            settings,
            accounts,
            throttle,
            public_url,
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
}
