//! The lockout on connecting old accounts: refused logins are counted per person and per old login
//! in a window, so Fountain is no tool for guessing passwords.
use sea_orm::{ConnectionTrait, Statement};

use app::dto::UserId;

use crate::db::now;

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
pub(super) enum AttemptKey {
    /// A person of the portal.
    Person(UserId),
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
            AttemptKey::Person(id) => id.0.into(),
            AttemptKey::OldLogin(login) => login.clone().into(),
        }
    }
}

/// One old mailbox, however its login is typed: servers mostly take logins case-insensitively.
pub fn normalised_login(login: &str) -> String {
    login.trim().to_lowercase()
}

impl AttemptKey {
    /// Counts a connect attempt in the current window of `key`; the count (this one included) and
    /// when the window began. Atomic: attempts sent at once cannot slip past the limit.
    pub(super) async fn count(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<(i32, i64), sea_orm::DbErr> {
        let backend = db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let (table, column) = self.table();
        let at = now();
        let sql = format!(
            "INSERT INTO {table} ({column}, failures, window_start) VALUES ({p}1, 1, {p}2) \
             ON CONFLICT ({column}) DO UPDATE SET \
             failures = CASE WHEN {table}.window_start <= {p}3 THEN 1 ELSE {table}.failures + 1 END, \
             window_start = CASE WHEN {table}.window_start <= {p}3 THEN {p}2 ELSE {table}.window_start END \
             RETURNING failures, window_start"
        );
        let row = db
            .query_one(Statement::from_sql_and_values(
                backend,
                sql,
                [self.value(), at.into(), (at - WINDOW_SECS).into()],
            ))
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound(table.into()))?;
        Ok((
            row.try_get("", "failures")?,
            row.try_get("", "window_start")?,
        ))
    }

    /// Takes back an attempt that failed for a reason other than the password.
    pub(super) async fn uncount(&self, db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        let backend = db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let (table, column) = self.table();
        let sql = format!(
            "UPDATE {table} SET failures = failures - 1 WHERE {column} = {p}1 AND failures > 0"
        );
        db.execute(Statement::from_sql_and_values(backend, sql, [self.value()]))
            .await?;
        Ok(())
    }

    /// Forgets the refused attempts of `key` (the right password was given).
    pub(super) async fn clear(&self, db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        let backend = db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let (table, column) = self.table();
        let sql = format!("DELETE FROM {table} WHERE {column} = {p}1");
        db.execute(Statement::from_sql_and_values(backend, sql, [self.value()]))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_refusals_lock_connecting_for_the_rest_of_the_window() {
        assert_eq!(must_wait(5, 1000, 1000), None, "the fifth attempt may go");
        assert_eq!(must_wait(6, 1000, 1000), Some(15));
        assert_eq!(must_wait(6, 1000, 1000 + 14 * 60 + 30), Some(1));
        assert_eq!(must_wait(6, 1000, 1000 + WINDOW_SECS), None);
    }

    proptest::proptest! {
        #[test]
        fn a_login_counts_as_one_however_it_is_typed(login in "\\PC{0,40}", pad in "[ \t]{0,3}") {
            let padded = format!("{pad}{}{pad}", login.to_uppercase());
            proptest::prop_assert_eq!(normalised_login(&padded), normalised_login(&login.to_uppercase()));
            proptest::prop_assert_eq!(normalised_login(&normalised_login(&login)), normalised_login(&login));
        }
    }
}
