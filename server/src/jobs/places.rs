//! Each server's connection places, shared through the database by every process that connects to
//! it, so workers on several machines keep together to the cap one of them would keep alone. A place
//! is a row (server, number) held by one process until it gives it back or its lease runs out: the
//! holder renews its leases while it runs, so the places of a process that died come back within
//! [`LEASE_SECS`]. Places numbered at or above the cap are never taken, so a lowered cap holds from
//! the next connection.
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};

use crate::db::{now, placeholder};
use crate::engine::throttle::SharedPlaces;

/// How long a place stays held without its holder renewing it.
pub const LEASE_SECS: i64 = 60;
/// How often a holder renews its leases: several renewals fit in one lease.
pub const RENEW_EVERY: Duration = Duration::from_secs(15);

/// This process's places, held in the database under its name.
#[derive(Debug)]
pub struct DbPlaces {
    db: DatabaseConnection,
    holder: String,
}

impl DbPlaces {
    pub fn new(db: DatabaseConnection, holder: String) -> Arc<DbPlaces> {
        Arc::new(DbPlaces { db, holder })
    }

    /// Who holds this process's places (its worker name).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Extends the lease of every place this process holds; returns how many.
    pub async fn renew(&self) -> Result<u64, DbErr> {
        self.run(
            "UPDATE connection_places SET expires_at = {p}1 WHERE holder = {p}2",
            vec![(now() + LEASE_SECS).into(), self.holder.clone().into()],
        )
        .await
    }

    /// Renews this process's leases every [`RENEW_EVERY`], for as long as it runs.
    pub async fn keep_renewed(self: Arc<Self>) {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            if let Err(e) = self.renew().await {
                tracing::error!(error = %e, "cannot renew this process's connection places; other processes may take them after {LEASE_SECS} s");
            }
        }
    }

    /// Gives back every place this process holds (when it stops); returns how many.
    pub async fn give_back_all(&self) -> Result<u64, DbErr> {
        self.run(
            "DELETE FROM connection_places WHERE holder = {p}1",
            vec![self.holder.clone().into()],
        )
        .await
    }

    async fn try_take(&self, key: &str, max: usize) -> Result<Option<u32>, DbErr> {
        let at = now();
        let held = held_places(&self.db, key, at).await?;
        for place in free_places(&held, max) {
            // Taken only if nobody holds it, or its lease ran out: of two processes trying one
            // place at once, one inserts and the other updates nothing.
            let taken = self
                .run(
                    "INSERT INTO connection_places (server, place, holder, expires_at) \
                     VALUES ({p}1, {p}2, {p}3, {p}4) \
                     ON CONFLICT (server, place) DO UPDATE \
                     SET holder = excluded.holder, expires_at = excluded.expires_at \
                     WHERE connection_places.expires_at <= {p}5",
                    vec![
                        key.into(),
                        (place as i32).into(),
                        self.holder.clone().into(),
                        (at + LEASE_SECS).into(),
                        at.into(),
                    ],
                )
                .await?;
            if taken == 1 {
                return Ok(Some(place));
            }
        }
        Ok(None)
    }

    async fn run(&self, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
        let backend = self.db.get_database_backend();
        let sql = sql.replace("{p}", &placeholder(backend).to_string());
        Ok(self
            .db
            .execute(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .rows_affected())
    }
}

/// The places of server `key` held at `at` (Unix seconds), by any process.
pub async fn held_places(db: &DatabaseConnection, key: &str, at: i64) -> Result<Vec<u32>, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT place FROM connection_places WHERE server = {p}1 AND expires_at > {p}2"
            ),
            [key.into(), at.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i32>("", "place").map(|p| p.max(0) as u32))
        .collect()
}

/// The places below `max` that are not `held`, lowest first.
pub fn free_places(held: &[u32], max: usize) -> impl Iterator<Item = u32> + '_ {
    (0..max.min(u32::MAX as usize) as u32).filter(move |p| !held.contains(p))
}

#[async_trait::async_trait]
impl SharedPlaces for DbPlaces {
    async fn take(&self, key: &str, max: usize) -> Result<Option<u32>, String> {
        self.try_take(key, max).await.map_err(|e| e.to_string())
    }

    async fn give_back(&self, key: &str, place: u32) {
        let given = self
            .run(
                "DELETE FROM connection_places WHERE server = {p}1 AND place = {p}2 AND holder = {p}3",
                vec![key.into(), (place as i32).into(), self.holder.clone().into()],
            )
            .await;
        if let Err(e) = given {
            tracing::warn!(server = key, place, error = %e, "cannot give a connection place back; it comes back when its lease runs out");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::free_places;

    #[test]
    fn free_places_are_the_unheld_ones_below_the_cap() {
        assert_eq!(free_places(&[], 3).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(free_places(&[1, 5], 3).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(free_places(&[0, 1], 2).count(), 0);
        // Places held above a lowered cap leave nothing free below it.
        assert_eq!(free_places(&[0, 3], 1).count(), 0);
        assert_eq!(free_places(&[], 0).count(), 0);
    }
}
