//! Connecting a person's old account: the login (and password, in password mode) is checked at once
//! by a real IMAP login, then kept sealed until the migration ends. Nothing is stored when the check
//! fails, and the password never reaches a log.
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::service::Migrations;
use crate::db::entity::old_account as row;
use crate::db::now;
use crate::engine::copy::Side;
use crate::engine::imap::{Credentials, ImapError, Source};

/// Why an old account could not be connected (or used), in words for the person.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("The old mail server did not accept this login and password. Check both (it is the password of your old mailbox, which may differ from your sign-in password) and try again.")]
    Refused,
    #[error("The old mail server could not be reached just now ({0}). Nothing was saved; try again in a few minutes, and tell the helpdesk if it keeps happening.")]
    Unreachable(String),
    #[error("A secure connection to the old mail server could not be set up ({0}). Nothing was saved; please tell the helpdesk, IT has to fix this.")]
    Insecure(String),
    #[error("Your old account is not connected (or its password was removed when your last migration ended): connect it again.")]
    NotConnected,
    #[error("Fountain could not use the stored password ({0}). Connect your old account again.")]
    Unreadable(String),
    #[error("the database failed: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Setup(String),
}

/// What the connect form sends, parsed: the checks a hostile post must pass before any connection.
pub struct ConnectForm {
    pub login: String,
    pub password: Option<String>,
}

impl ConnectForm {
    pub fn parse(
        login: &str,
        password: Option<&str>,
        asks_password: bool,
    ) -> Result<Self, AccountError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(AccountError::Invalid(
                "Type the login of your old mailbox.".into(),
            ));
        }
        if login.chars().count() > 200 || login.chars().any(char::is_control) {
            return Err(AccountError::Invalid(
                "That login is not valid: use at most 200 characters and no line breaks.".into(),
            ));
        }
        let password = match (asks_password, password) {
            (false, _) => None,
            (true, None) | (true, Some("")) => {
                return Err(AccountError::Invalid(
                    "Type the password of your old mailbox.".into(),
                ))
            }
            (true, Some(p)) if p.len() > 1024 || p.contains(['\r', '\n', '\0']) => {
                return Err(AccountError::Invalid(
                    "That password cannot be sent to a mail server (too long, or holds a line break)."
                        .into(),
                ))
            }
            (true, Some(p)) => Some(p.to_owned()),
        };
        Ok(ConnectForm {
            login: login.to_owned(),
            password,
        })
    }
}

fn context(user_id: i64) -> String {
    format!("old-account:{user_id}")
}

fn from_imap(e: ImapError) -> AccountError {
    match e {
        ImapError::Auth { .. } => AccountError::Refused,
        ImapError::Tls { .. } | ImapError::Insecure { .. } => AccountError::Insecure(e.to_string()),
        other => AccountError::Unreachable(other.to_string()),
    }
}

impl Migrations {
    /// The old server's side of a copy for this person, with the credentials Fountain holds.
    pub fn old_side(&self, credentials: Credentials) -> Side {
        Side {
            endpoint: self.settings.old_server.endpoint(),
            credentials,
        }
    }

    /// The new server's side: always as the administrator, for the person's new mailbox.
    pub fn new_side(&self, email: &str) -> Result<Side, AccountError> {
        let server = &self.settings.new_server;
        let credentials = server
            .credentials(server.login_for(email), None)
            .map_err(|e| AccountError::Setup(e.to_string()))?;
        Ok(Side {
            endpoint: server.endpoint(),
            credentials,
        })
    }

    /// Checks the login on the old server, then stores it (the password sealed). Replaces an earlier
    /// connection of the same person.
    pub async fn connect_old_account(
        &self,
        user_id: i64,
        form: ConnectForm,
    ) -> Result<row::Model, AccountError> {
        let server = &self.settings.old_server;
        let credentials = server
            .credentials(form.login.clone(), form.password.clone())
            .map_err(|e| AccountError::Setup(e.to_string()))?;
        let side = self.old_side(credentials);
        let source = Source::connect(&side.endpoint, &side.credentials, Default::default())
            .await
            .map_err(from_imap)?;
        source.logout().await;
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
            user_id,
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
        tracing::info!(user_id, "old account connected");
        Ok(account)
    }

    pub async fn old_account(&self, user_id: i64) -> Result<Option<row::Model>, AccountError> {
        Ok(row::Entity::find_by_id(user_id).one(&self.db).await?)
    }

    /// Whether Fountain can log in on the old server for this account now.
    pub fn usable(&self, account: &row::Model) -> bool {
        !self.asks_password() || account.secret.is_some()
    }

    /// How to log in on the old server for this person.
    pub async fn old_credentials(&self, user_id: i64) -> Result<Credentials, AccountError> {
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
        self.settings
            .old_server
            .credentials(account.login, password)
            .map_err(|e| AccountError::Setup(e.to_string()))
    }

    /// Forgets the stored password (the migration ended); the login stays for the report.
    pub async fn purge_old_password(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
    ) -> Result<(), sea_orm::DbErr> {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, QueryFilter};
        row::Entity::update_many()
            .col_expr(row::Column::Secret, Expr::value(Option::<Vec<u8>>::None))
            .filter(row::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_or_empty_forms_are_refused_before_any_connection() {
        assert!(ConnectForm::parse("", Some("pw"), true).is_err());
        assert!(ConnectForm::parse("alice\r\nA1 LOGOUT", Some("pw"), true).is_err());
        assert!(ConnectForm::parse(&"a".repeat(201), Some("pw"), true).is_err());
        assert!(ConnectForm::parse("alice", None, true).is_err());
        assert!(ConnectForm::parse("alice", Some(""), true).is_err());
        assert!(ConnectForm::parse("alice", Some("pw\r\nx"), true).is_err());
        assert!(ConnectForm::parse("alice", Some(&"p".repeat(1025)), true).is_err());
    }

    #[test]
    fn good_forms_are_trimmed_and_admin_mode_ignores_the_password() {
        let form = ConnectForm::parse("  alice ", Some("s3cret pass"), true).unwrap();
        assert_eq!(form.login, "alice");
        assert_eq!(form.password.as_deref(), Some("s3cret pass"));
        let admin = ConnectForm::parse("alice", Some("ignored"), false).unwrap();
        assert_eq!(admin.password, None);
    }
}
