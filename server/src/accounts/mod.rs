//! Connecting a person's old account: the login (and password, in password mode) is checked at once
//! by a real IMAP login, then kept sealed until the migration ends. Nothing is stored when the check
//! fails, and the password never reaches a log. Connecting is limited by a lockout ([`lockout`]).
pub mod app_token;
mod form;
mod lockout;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, Statement};

pub use app_token::TokenError;
pub use form::ConnectForm;
use lockout::{must_wait, normalised_login, AttemptKey};

use app::dto::UserId;

use std::collections::BTreeMap;

use app::dto::DestinationName;

use crate::config::{MailAuth, MailServer, MigrationConfig};
use crate::db::entity::old_account as row;
use crate::db::now;
use crate::engine::copy::Side;
use crate::engine::imap::{Credentials, ImapError, Source};
use crate::secret::SecretBox;

/// The old accounts people connect, and how Fountain logs in on both servers for them.
pub struct Accounts {
    db: DatabaseConnection,
    old_server: MailServer,
    new_server: MailServer,
    /// The other servers IT sends some people to, by name.
    destinations: BTreeMap<String, MailServer>,
    /// Present in password mode: seals the passwords people type.
    secrets: Option<SecretBox>,
    /// Application tokens for servers that take XOAUTH2.
    tokens: std::sync::Arc<app_token::AppTokens>,
}

/// Why an old account could not be connected (or used), in words for the person.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("The old mail server refused IT's access to your mailbox. Nothing was saved; please tell the helpdesk, IT has to fix this.")]
    AdminRefused,
    #[error("The old mail server did not accept this login and password. Check both (it is the password of your old mailbox, which may differ from your sign-in password) and try again.")]
    Refused,
    #[error("The old mail server could not be reached just now ({0}). Nothing was saved; try again in a few minutes, and tell the helpdesk if it keeps happening.")]
    Unreachable(String),
    #[error("A secure connection to the old mail server could not be set up ({0}). Nothing was saved; please tell the helpdesk, IT has to fix this.")]
    Insecure(String),
    #[error("Too many refused attempts to connect your old mailbox. Wait {0} minutes, check the login and password, and try again (or ask the helpdesk).")]
    TooManyAttempts(u64),
    #[error("Your old account is not connected (or its password was removed when your last migration ended): connect it again.")]
    NotConnected,
    #[error("Fountain could not use the stored password ({0}). Connect your old account again.")]
    Unreadable(String),
    #[error("the database failed: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Setup(String),
    #[error("The new mail server's directory refused Fountain's application login ({0}). Nothing copied so far is lost; the helpdesk has been told: IT has to check the application's id, secret and permissions.")]
    TokenRefused(String),
    #[error("The new mail server's directory could not give Fountain a login just now ({0}). Nothing copied so far is lost; Try again resumes where it stopped.")]
    TokenUnreachable(String),
    #[error("The server your new mailbox is on (“{0}”) is not configured in Fountain any more. Nothing copied so far is lost; tell the helpdesk: IT has to configure it again (or send you elsewhere).")]
    NoDestination(DestinationName),
}

fn context(user_id: UserId) -> String {
    format!("old-account:{user_id}")
}

impl Accounts {
    /// From IT's settings: the old server, and the servers mail is written to.
    pub fn new(
        db: DatabaseConnection,
        settings: &MigrationConfig,
        secrets: Option<SecretBox>,
    ) -> Accounts {
        Accounts {
            db,
            old_server: settings.old_server.clone(),
            new_server: settings.new_server.clone(),
            destinations: settings.destinations.clone(),
            secrets,
            tokens: Default::default(),
        }
    }

    /// The server mail goes to for people sent to `destination` (`None`: the default new server).
    fn written_to(
        &self,
        destination: Option<&DestinationName>,
    ) -> Result<&MailServer, AccountError> {
        match destination {
            None => Ok(&self.new_server),
            Some(name) => self
                .destinations
                .get(name.as_str())
                .ok_or_else(|| AccountError::NoDestination(name.clone())),
        }
    }

    /// Whether people type their old-server password (else IT's administrator logs in for them).
    pub fn asks_password(&self) -> bool {
        self.old_server.auth == MailAuth::Password
    }

    /// An old-server error in the person's words: a refused login is theirs to fix only when they
    /// typed the password.
    fn login_error(&self, e: ImapError) -> AccountError {
        match e {
            ImapError::Auth { .. } if !self.asks_password() => AccountError::AdminRefused,
            other => from_imap(other),
        }
    }
}

fn from_imap(e: ImapError) -> AccountError {
    match e {
        ImapError::Auth { .. } => AccountError::Refused,
        ImapError::Tls { .. } | ImapError::Insecure { .. } => AccountError::Insecure(e.to_string()),
        other => AccountError::Unreachable(other.to_string()),
    }
}

impl Accounts {
    /// The old server's side of a copy for this person, with the credentials Fountain holds.
    pub fn old_side(&self, credentials: Credentials) -> Side {
        Side::new(self.old_server.endpoint(), credentials)
    }

    /// The new server's side (the person's `destination`'s): always as the administrator, for the
    /// person's new mailbox.
    pub async fn new_side(
        &self,
        email: &str,
        destination: Option<&DestinationName>,
    ) -> Result<Side, AccountError> {
        let server = self.written_to(destination)?;
        let login = server.login_for(email);
        let (Some(app), MailAuth::Xoauth2) = (&server.oauth2, server.auth) else {
            let credentials = server
                .credentials(login, None)
                .map_err(|e| AccountError::Setup(e.to_string()))?;
            return Ok(Side::new(server.endpoint(), credentials));
        };
        // An XOAUTH2 server takes the application's token where a password would go: one now (a
        // refusal stops here, with the directory's reason), and a current one for each reconnect.
        // One application login per configured server (two may share a host).
        let key = destination.map_or(app_token::DEFAULT_SERVER, |d| d.as_str());
        let token = self.tokens.get(key, app).await.map_err(|e| match e {
            TokenError::Refused(why) => AccountError::TokenRefused(why),
            TokenError::Unreachable(why) => AccountError::TokenUnreachable(why),
            TokenError::Setup(why) => AccountError::Setup(why),
        })?;
        let credentials = server
            .credentials(login.clone(), Some(token))
            .map_err(|e| AccountError::Setup(e.to_string()))?;
        let (tokens, key, app, server_for_renew) = (
            self.tokens.clone(),
            key.to_owned(),
            app.clone(),
            server.clone(),
        );
        let renew = crate::engine::copy::Renew(std::sync::Arc::new(move || {
            let (tokens, key, app, server, login) = (
                tokens.clone(),
                key.clone(),
                app.clone(),
                server_for_renew.clone(),
                login.clone(),
            );
            Box::pin(async move {
                let token = tokens.get(&key, &app).await.map_err(|e| e.to_string())?;
                server
                    .credentials(login, Some(token))
                    .map_err(|e| e.to_string())
            })
        }));
        Ok(Side {
            endpoint: server.endpoint(),
            credentials,
            renew: Some(renew),
        })
    }

    /// The journal's names of the person's old and new mailboxes (as the copies write them), once
    /// their old account is connected.
    pub async fn journal_mailboxes(
        &self,
        user_id: UserId,
        email: &str,
        destination: Option<&DestinationName>,
    ) -> Result<Option<(String, String)>, AccountError> {
        let Some(account) = self.old_account(user_id).await? else {
            return Ok(None);
        };
        Ok(self.journal_names(&account.login, email, destination))
    }

    /// The journal's names of the old mailbox of `login` and the new one of `email` on
    /// `destination`; `None` when that destination is not configured (any more).
    pub fn journal_names(
        &self,
        login: &str,
        email: &str,
        destination: Option<&DestinationName>,
    ) -> Option<(String, String)> {
        use crate::engine::copy::journal_name;
        let new = self.written_to(destination).ok()?;
        Some((
            journal_name(login, &self.old_server.endpoint()),
            journal_name(&new.login_for(email), &new.endpoint()),
        ))
    }

    /// The old accounts of `ids`, by person; read in chunks, within any database's limit on a
    /// query's values.
    pub async fn old_accounts(
        &self,
        mut ids: Vec<i64>,
    ) -> Result<std::collections::HashMap<i64, row::Model>, AccountError> {
        use sea_orm::{ColumnTrait, QueryFilter};
        ids.sort_unstable();
        ids.dedup();
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(crate::db::VALUES_PER_QUERY) {
            let found = row::Entity::find()
                .filter(row::Column::UserId.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            out.extend(found.into_iter().map(|a| (a.user_id, a)));
        }
        Ok(out)
    }

    /// Checks the login on the old server, then stores it (the password sealed). Replaces an earlier
    /// connection of the same person.
    pub async fn connect_old_account(
        &self,
        user_id: UserId,
        form: ConnectForm,
    ) -> Result<row::Model, AccountError> {
        let server = &self.old_server;
        let credentials = server
            .credentials(form.login.clone(), form.password.clone())
            .map_err(|e| AccountError::Setup(e.to_string()))?;
        let side = self.old_side(credentials);
        // Counted before the login, per person and per old login: neither one person trying many
        // mailboxes nor many people trying one mailbox gets more than a few guesses.
        let keys = [
            AttemptKey::Person(user_id),
            AttemptKey::OldLogin(normalised_login(&form.login)),
        ];
        let mut wait = None;
        for key in &keys {
            let (attempts, window_start) = key.count(&self.db).await?;
            wait = wait.max(must_wait(attempts, window_start, now()));
        }
        if let Some(minutes) = wait {
            return Err(AccountError::TooManyAttempts(minutes));
        }
        match Source::connect(&side.endpoint, &side.credentials, Default::default()).await {
            Ok(source) => source.logout().await,
            Err(e) => {
                let e = self.login_error(e);
                // Only a refused password counts.
                if !matches!(e, AccountError::Refused) {
                    for key in &keys {
                        key.uncount(&self.db).await?;
                    }
                }
                return Err(e);
            }
        }
        for key in &keys {
            key.clear(&self.db).await?;
        }
        let secret = match (&form.password, &self.secrets) {
            (Some(password), Some(secrets)) => Some(secrets.seal(password, &context(user_id))),
            (Some(_), None) => {
                return Err(AccountError::Setup(
                    "migration.secrets_key is not configured".into(),
                ))
            }
            (None, _) => None,
        };
        let account = row::Model {
            user_id: user_id.0,
            login: form.login,
            secret,
            verified_at: now(),
        };
        row::Entity::insert(row::ActiveModel {
            user_id: Set(account.user_id),
            login: Set(account.login.clone()),
            secret: Set(account.secret.clone()),
            verified_at: Set(account.verified_at),
        })
        .on_conflict(
            OnConflict::column(row::Column::UserId)
                .update_columns([
                    row::Column::Login,
                    row::Column::Secret,
                    row::Column::VerifiedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        tracing::info!(%user_id, "old account connected");
        Ok(account)
    }

    /// Records `login` as the person's old account without a check (an IT-run wave: IT's
    /// administrator logs in for them, and the scan that follows says whether the login exists).
    /// A connection the person made themselves stays.
    pub async fn assign_old_login(&self, user_id: UserId, login: &str) -> Result<(), AccountError> {
        if self.asks_password() {
            return Err(AccountError::Setup(
                "an old login without its password is only for administrator mode".into(),
            ));
        }
        row::Entity::insert(row::ActiveModel {
            user_id: Set(user_id.0),
            login: Set(login.to_owned()),
            secret: Set(None),
            verified_at: Set(now()),
        })
        .on_conflict(
            OnConflict::column(row::Column::UserId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    pub async fn old_account(&self, user_id: UserId) -> Result<Option<row::Model>, AccountError> {
        Ok(row::Entity::find_by_id(user_id.0).one(&self.db).await?)
    }

    /// Whether Fountain can log in on the old server for this account now.
    pub fn usable(&self, account: &row::Model) -> bool {
        !self.asks_password() || account.secret.is_some()
    }

    /// How to log in on the old server for this person.
    pub async fn old_credentials(&self, user_id: UserId) -> Result<Credentials, AccountError> {
        let account = self
            .old_account(user_id)
            .await?
            .ok_or(AccountError::NotConnected)?;
        let password = match (&self.secrets, &account.secret) {
            _ if !self.asks_password() => None,
            (Some(secrets), Some(sealed)) => Some(
                secrets
                    .open(sealed, &context(user_id))
                    .map_err(|e| AccountError::Unreadable(e.to_string()))?
                    .expose()
                    .to_owned(),
            ),
            _ => return Err(AccountError::NotConnected),
        };
        self.old_server
            .credentials(account.login, password)
            .map_err(|e| AccountError::Setup(e.to_string()))
    }

    /// Forgets every stored password not needed for `keep_secs`: connected that long ago, and no
    /// request queued or copying, nor any other that changed since (a failed, paused or
    /// attention-needing request left alone that long). The page asks for it again if it is needed.
    pub async fn forget_stale_passwords(&self, keep_secs: i64) -> Result<u64, sea_orm::DbErr> {
        forget_stale_passwords(&self.db, now() - keep_secs).await
    }

    /// Forgets the stored password (the migration ended); the login stays for the report.
    pub async fn purge_old_password(
        &self,
        db: &impl ConnectionTrait,
        user_id: UserId,
    ) -> Result<(), sea_orm::DbErr> {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, QueryFilter};
        row::Entity::update_many()
            .col_expr(row::Column::Secret, Expr::value(Option::<Vec<u8>>::None))
            .filter(row::Column::UserId.eq(user_id.0))
            .exec(db)
            .await?;
        Ok(())
    }
}

/// [`Accounts::forget_stale_passwords`]: the passwords last needed before `cutoff` (Unix seconds).
pub async fn forget_stale_passwords(
    db: &impl ConnectionTrait,
    cutoff: i64,
) -> Result<u64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let p = crate::db::placeholder(backend);
    let sql = format!(
        "UPDATE old_accounts SET secret = NULL WHERE secret IS NOT NULL AND verified_at < {p}1 \
         AND NOT EXISTS (SELECT 1 FROM migration_requests r WHERE r.user_id = old_accounts.user_id \
         AND (r.state IN ('queued', 'copying') OR r.updated_at >= {p}1))"
    );
    let result = db
        .execute(Statement::from_sql_and_values(
            backend,
            sql,
            [cutoff.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
