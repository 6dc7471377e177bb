//! Connecting a person's old account: the login (and password, in password mode) is checked at once
//! by a real IMAP login, then kept sealed until the migration ends. Nothing is stored when the check
//! fails, and the password never reaches a log.
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set, Statement};

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

/// Refused logins allowed per person in one window, so Fountain is no tool for guessing passwords.
const MAX_FAILURES: i32 = 5;
const WINDOW_SECS: i64 = 15 * 60;

/// With `attempts` counted in the window that began at `window_start` (this one included), whether
/// this attempt must wait: the minutes until the window ends.
pub fn must_wait(attempts: i32, window_start: i64, now: i64) -> Option<u64> {
    (attempts > MAX_FAILURES && now - window_start < WINDOW_SECS)
        .then(|| ((window_start + WINDOW_SECS - now).max(60) as u64).div_ceil(60))
}

/// Whose refused attempts are counted.
enum AttemptKey {
    /// A person of the portal.
    Person(i64),
    /// An old-server login, whoever types it ([`normalised_login`]).
    OldLogin(String),
}

impl AttemptKey {
    fn table(&self) -> (&'static str, &'static str) {
        match self {
            AttemptKey::Person(_) => ("connect_failures", "user_id"),
            AttemptKey::OldLogin(_) => ("old_login_failures", "login"),
        }
    }

    fn value(&self) -> sea_orm::Value {
        match self {
            AttemptKey::Person(id) => (*id).into(),
            AttemptKey::OldLogin(login) => login.clone().into(),
        }
    }
}

/// One old mailbox, however its login is typed: servers mostly take logins case-insensitively.
pub fn normalised_login(login: &str) -> String {
    login.trim().to_lowercase()
}

fn context(user_id: i64) -> String {
    format!("old-account:{user_id}")
}

impl Migrations {
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
        // Counted before the login, per person and per old login: neither one person trying many
        // mailboxes nor many people trying one mailbox gets more than a few guesses.
        let keys = [
            AttemptKey::Person(user_id),
            AttemptKey::OldLogin(normalised_login(&form.login)),
        ];
        let mut wait = None;
        for key in &keys {
            let (attempts, window_start) = self.count_attempt(key).await?;
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
                        self.uncount_attempt(key).await?;
                    }
                }
                return Err(e);
            }
        }
        for key in &keys {
            self.clear_attempts(key).await?;
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

    /// Counts a connect attempt in the current window of `key`; the count (this one included) and
    /// when the window began. Atomic: attempts sent at once cannot slip past the limit.
    async fn count_attempt(&self, key: &AttemptKey) -> Result<(i32, i64), sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let (table, column) = key.table();
        let at = now();
        let sql = format!(
            "INSERT INTO {table} ({column}, failures, window_start) VALUES ({p}1, 1, {p}2) \
             ON CONFLICT ({column}) DO UPDATE SET \
             failures = CASE WHEN {table}.window_start <= {p}3 THEN 1 ELSE {table}.failures + 1 END, \
             window_start = CASE WHEN {table}.window_start <= {p}3 THEN {p}2 ELSE {table}.window_start END \
             RETURNING failures, window_start"
        );
        let row = self
            .db
            .query_one(Statement::from_sql_and_values(
                backend,
                sql,
                [key.value(), at.into(), (at - WINDOW_SECS).into()],
            ))
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound(table.into()))?;
        Ok((
            row.try_get("", "failures")?,
            row.try_get("", "window_start")?,
        ))
    }

    /// Takes back an attempt that failed for a reason other than the password.
    async fn uncount_attempt(&self, key: &AttemptKey) -> Result<(), sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let (table, column) = key.table();
        let sql = format!(
            "UPDATE {table} SET failures = failures - 1 WHERE {column} = {p}1 AND failures > 0"
        );
        self.db
            .execute(Statement::from_sql_and_values(backend, sql, [key.value()]))
            .await?;
        Ok(())
    }

    /// Forgets the refused attempts of `key` (the right password was given).
    async fn clear_attempts(&self, key: &AttemptKey) -> Result<(), sea_orm::DbErr> {
        let backend = self.db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let (table, column) = key.table();
        let sql = format!("DELETE FROM {table} WHERE {column} = {p}1");
        self.db
            .execute(Statement::from_sql_and_values(backend, sql, [key.value()]))
            .await?;
        Ok(())
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

/// [`Migrations::forget_stale_passwords`]: the passwords last needed before `cutoff` (Unix seconds).
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
    fn five_refusals_lock_connecting_for_the_rest_of_the_window() {
        assert_eq!(must_wait(5, 1000, 1000), None, "the fifth attempt may go");
        assert_eq!(must_wait(6, 1000, 1000), Some(15));
        assert_eq!(must_wait(6, 1000, 1000 + 14 * 60 + 30), Some(1));
        assert_eq!(must_wait(6, 1000, 1000 + WINDOW_SECS), None);
    }

    proptest::proptest! {
        #[test]
        fn whatever_is_posted_only_sendable_logins_and_passwords_pass(
            login in "\\PC{0,220}|[a-z\r\n\0 ]{0,20}",
            password in proptest::option::of("\\PC{0,40}|[a-z\r\n\0]{0,20}"),
            asks in proptest::bool::ANY,
        ) {
            if let Ok(form) = ConnectForm::parse(&login, password.as_deref(), asks) {
                proptest::prop_assert!(!form.login.is_empty() && form.login.chars().count() <= 200);
                proptest::prop_assert!(!form.login.chars().any(char::is_control));
                if let Some(p) = &form.password {
                    proptest::prop_assert!(asks && !p.is_empty() && !p.contains(['\r', '\n', '\0']));
                }
            }
        }

        #[test]
        fn a_login_counts_as_one_however_it_is_typed(login in "\\PC{0,40}", pad in "[ \t]{0,3}") {
            let padded = format!("{pad}{}{pad}", login.to_uppercase());
            proptest::prop_assert_eq!(normalised_login(&padded), normalised_login(&login.to_uppercase()));
            proptest::prop_assert_eq!(normalised_login(&normalised_login(&login)), normalised_login(&login));
        }
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
