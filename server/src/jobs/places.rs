//! Each server's connection places, shared through the database by every process that connects to
//! it, so workers on several machines keep together to the cap one of them would keep alone. A place
//! is a row (server, number) held by one process until it gives it back or its lease runs out: the
//! holder renews the leases of the places it holds while it runs, so the places of a process that
//! died come back within [`LEASE_SECS`]. Places numbered at or above the cap are never taken, so a
//! lowered cap holds from the next connection.
//!
//! The process remembers which places it holds: only those are renewed, a place whose give-back
//! failed is given back again on the next renewal, and a place taken for a connection that stopped
//! waiting meanwhile is given back at once. A lease that ran out anyway (the database unreachable
//! for a whole lease) is taken again if nobody took it, else reported.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
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
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    holder: String,
    lease_secs: i64,
    /// The places this process holds (server, number).
    held: Mutex<HashSet<(String, u32)>>,
    /// Places given back whose row could not be deleted yet.
    to_free: Mutex<HashSet<(String, u32)>>,
}

/// What one renewal did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Renewed {
    pub renewed: u64,
    /// Leases that had run out and were taken again (nobody else had taken them).
    pub taken_again: u64,
    /// Leases that had run out and another process holds now: until those connections close, the
    /// server may see more than its cap.
    pub lost: u64,
}

impl DbPlaces {
    pub fn new(db: DatabaseConnection, holder: String) -> Arc<DbPlaces> {
        Self::with_lease(db, holder, LEASE_SECS)
    }

    /// With leases of `lease_secs` (tests use short ones).
    pub fn with_lease(db: DatabaseConnection, holder: String, lease_secs: i64) -> Arc<DbPlaces> {
        Arc::new(DbPlaces {
            inner: Arc::new(Inner {
                db,
                holder,
                lease_secs,
                held: Mutex::default(),
                to_free: Mutex::default(),
            }),
        })
    }

    /// Extends the lease of every place this process holds (taking again those that ran out, if
    /// nobody took them), and deletes the rows of places given back whose deletion failed.
    pub async fn renew(&self) -> Result<Renewed, DbErr> {
        let inner = &self.inner;
        let to_free: Vec<_> = inner
            .to_free
            .lock()
            .expect("places")
            .iter()
            .cloned()
            .collect();
        for (key, place) in to_free {
            inner.delete(&key, place).await?;
            inner.to_free.lock().expect("places").remove(&(key, place));
        }
        let held: Vec<_> = inner.held.lock().expect("places").iter().cloned().collect();
        let mut renewed = Renewed::default();
        let at = now();
        for (key, place) in held {
            let extended = inner
                .run(
                    "UPDATE connection_places SET expires_at = {p}1 \
                     WHERE server = {p}2 AND place = {p}3 AND holder = {p}4 AND expires_at > {p}5",
                    vec![
                        (at + inner.lease_secs).into(),
                        key.clone().into(),
                        (place as i32).into(),
                        inner.holder.clone().into(),
                        at.into(),
                    ],
                )
                .await?;
            if extended == 1 {
                renewed.renewed += 1;
            } else if inner.claim(&key, place, at).await? {
                // Given back meanwhile (its connection closed while this renewal ran): not ours.
                let spot = (key.clone(), place);
                if !inner.held.lock().expect("places").contains(&spot) {
                    inner.delete(&key, place).await?;
                    continue;
                }
                renewed.taken_again += 1;
            } else {
                renewed.lost += 1;
                tracing::error!(server = %key, place, "a connection place's lease ran out (the database was out of reach?) and another process took it: the server may see more than its cap until this connection closes");
            }
        }
        Ok(renewed)
    }

    /// Renews this process's leases every [`RENEW_EVERY`], for as long as it runs.
    pub async fn keep_renewed(self: Arc<Self>) {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            if let Err(e) = self.renew().await {
                tracing::error!(error = %e, "cannot renew this process's connection places; other processes may take them after {} s", self.inner.lease_secs);
            }
        }
    }

    /// Gives back every place this process holds (when it stops); returns how many rows went.
    pub async fn give_back_all(&self) -> Result<u64, DbErr> {
        let gone = self
            .inner
            .run(
                "DELETE FROM connection_places WHERE holder = {p}1",
                vec![self.inner.holder.clone().into()],
            )
            .await?;
        self.inner.held.lock().expect("places").clear();
        self.inner.to_free.lock().expect("places").clear();
        Ok(gone)
    }
}

impl Inner {
    async fn try_take(&self, key: &str, max: usize) -> Result<Option<u32>, DbErr> {
        let at = now();
        let mut held = held_places(&self.db, key, at).await?;
        // This process's own places count as held even when their lease ran out (a connection is
        // still on each), and so do those whose row is still to be deleted.
        for set in [&self.held, &self.to_free] {
            let set = set.lock().expect("places");
            held.extend(set.iter().filter(|(s, _)| s == key).map(|(_, p)| *p));
        }
        for place in free_places(&held, max) {
            if self.claim(key, place, at).await? {
                return Ok(Some(place));
            }
        }
        Ok(None)
    }

    /// Takes `place` if nobody holds it or its lease ran out: of two processes trying one place at
    /// once, one inserts and the other updates nothing.
    async fn claim(&self, key: &str, place: u32, at: i64) -> Result<bool, DbErr> {
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
                    (at + self.lease_secs).into(),
                    at.into(),
                ],
            )
            .await?;
        Ok(taken == 1)
    }

    async fn delete(&self, key: &str, place: u32) -> Result<u64, DbErr> {
        self.run(
            "DELETE FROM connection_places WHERE server = {p}1 AND place = {p}2 AND holder = {p}3",
            vec![
                key.into(),
                (place as i32).into(),
                self.holder.clone().into(),
            ],
        )
        .await
    }

    async fn give_back(&self, key: &str, place: u32) {
        let spot = (key.to_owned(), place);
        self.held.lock().expect("places").remove(&spot);
        if let Err(e) = self.delete(key, place).await {
            tracing::warn!(server = key, place, error = %e, "cannot give a connection place back now; trying again at the next renewal");
            self.to_free.lock().expect("places").insert(spot);
        }
    }

    async fn run(&self, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
        crate::db::execute(&self.db, sql, values).await
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
    /// Taken in a task of its own: should the connection stop waiting meanwhile, the place it was
    /// getting is given back instead of staying held by nobody.
    async fn take(&self, key: &str, max: usize) -> Result<Option<u32>, String> {
        let (inner, owned_key) = (self.inner.clone(), key.to_owned());
        let (answer, wanted) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let key = owned_key;
            let taken = inner.try_take(&key, max).await;
            if let Ok(Some(place)) = taken {
                let spot = (key.clone(), place);
                inner.to_free.lock().expect("places").remove(&spot);
                inner.held.lock().expect("places").insert(spot);
            }
            if let Err(Ok(Some(place))) = answer.send(taken) {
                inner.give_back(&key, place).await;
            }
        });
        let mut waiting = Waiting {
            wanted: Some(wanted),
            inner: self.inner.clone(),
            key: key.to_owned(),
        };
        let taken = match waiting.wanted.as_mut().expect("set above").await {
            Ok(taken) => taken.map_err(|e| e.to_string()),
            Err(_) => Err("the task taking a connection place stopped".into()),
        };
        waiting.wanted = None;
        taken
    }

    async fn give_back(&self, key: &str, place: u32) {
        self.inner.give_back(key, place).await
    }
}

/// A connection waiting for the place being taken for it: should it stop waiting after the place
/// was handed over but before it was read, the place is given back.
struct Waiting {
    wanted: Option<tokio::sync::oneshot::Receiver<Result<Option<u32>, DbErr>>>,
    inner: Arc<Inner>,
    key: String,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let Some(mut wanted) = self.wanted.take() else {
            return;
        };
        // Closed first: a place not handed over yet is given back by the task taking it.
        wanted.close();
        if let Ok(Ok(Some(place))) = wanted.try_recv() {
            let (inner, key) = (self.inner.clone(), std::mem::take(&mut self.key));
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { inner.give_back(&key, place).await });
            }
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
