//! What the probes report: `/readyz` (the database takes writes, and some worker is alive) and
//! `/metrics` (requests by state, the queue, copies and errors per server, each server's budget, the
//! outbox, the workers' heartbeats). Workers write a heartbeat row every few seconds while they run
//! and remove it when they stop.
use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult, Value};

use super::Migrations;
use crate::db::now;
use crate::engine::throttle::budget_key;
use crate::metrics::{counters, Exposition};

/// How often a worker writes its heartbeat.
pub const BEAT_EVERY_SECS: i64 = 5;
/// Heartbeats older than this are not shown in the metrics (a worker long gone).
const SHOWN_FOR_SECS: i64 = 3600;

/// What the probes read.
#[derive(Clone)]
pub struct Probes {
    pub db: DatabaseConnection,
    pub migrations: Option<Arc<Migrations>>,
    /// The bearer token `/metrics` asks for, when one is configured.
    pub metrics_token: Option<crate::secret::Secret>,
}

/// Why Fountain cannot do its work now, part by part (`None`: that part is fine).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub database: Option<String>,
    pub workers: Option<String>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database.is_none() && self.workers.is_none()
    }
}

/// A worker is alive: its heartbeat now.
pub async fn beat(db: &DatabaseConnection, worker: &str, started_at: i64) -> Result<(), DbErr> {
    run(
        db,
        "INSERT INTO worker_heartbeats (worker, started_at, beat_at) VALUES ({p}1, {p}2, {p}3) \
         ON CONFLICT (worker) DO UPDATE SET beat_at = excluded.beat_at",
        vec![worker.into(), started_at.into(), now().into()],
    )
    .await
    .map(|_| ())
}

/// A worker stopped.
pub async fn stopped(db: &DatabaseConnection, worker: &str) -> Result<(), DbErr> {
    run(
        db,
        "DELETE FROM worker_heartbeats WHERE worker = {p}1",
        vec![worker.into()],
    )
    .await
    .map(|_| ())
}

impl Probes {
    /// Whether the database takes a write, and (when migrations are configured) whether some worker
    /// beat within the heartbeat timeout.
    pub async fn readiness(&self) -> Readiness {
        // An UPDATE that changes nothing still needs the database writable (a read-only file, a
        // standby, a full disk's locked database refuse it).
        let database = run(
            &self.db,
            "UPDATE worker_heartbeats SET beat_at = beat_at WHERE worker = {p}1",
            vec!["".into()],
        )
        .await
        .err()
        .map(|e| format!("the database does not take writes: {e}"));
        let workers = match &self.migrations {
            None => None,
            Some(m) => {
                let within = m.settings.heartbeat_timeout_secs as i64;
                match alive(&self.db, now() - within).await {
                    Ok(0) => Some(format!(
                        "no worker has beaten in the last {within} s: start `fountain worker`, or set migration.workers_in_portal"
                    )),
                    Ok(_) => None,
                    Err(e) => Some(format!("cannot read the workers' heartbeats: {e}")),
                }
            }
        };
        Readiness { database, workers }
    }

    /// Everything `/metrics` shows, in Prometheus' text format.
    pub async fn metrics(&self) -> Result<String, DbErr> {
        let at = now();
        let mut e = Exposition::default();
        e.single("fountain_up", "gauge", "1 while this process answers.", 1.0);

        let states = query(
            &self.db,
            "SELECT state, COUNT(*) AS n FROM migration_requests GROUP BY state",
            vec![],
        )
        .await?;
        e.family("fountain_requests", "gauge", "Migration requests by state.");
        for row in &states {
            let state: String = row.try_get("", "state")?;
            e.sample("fountain_requests", &[("state", &state)], count(row, "n")?);
        }
        let queue = query(
            &self.db,
            "SELECT COUNT(*) AS n, MIN(COALESCE(queued_at, created_at)) AS oldest \
             FROM migration_requests WHERE state = 'queued'",
            vec![],
        )
        .await?;
        let (depth, oldest) = match queue.first() {
            Some(row) => (count(row, "n")?, row.try_get::<Option<i64>>("", "oldest")?),
            None => (0.0, None),
        };
        e.single(
            "fountain_queue_depth",
            "gauge",
            "Requests queued, waiting for a worker.",
            depth,
        );
        e.single(
            "fountain_queue_oldest_age_seconds",
            "gauge",
            "How long the oldest queued request has waited (0: none queued).",
            oldest.map_or(0, |o| (at - o).max(0)) as f64,
        );

        let outbox = query(
            &self.db,
            "SELECT SUM(CASE WHEN sent_at IS NULL AND gave_up_at IS NULL THEN 1 ELSE 0 END) AS backlog, \
                    SUM(CASE WHEN gave_up_at IS NOT NULL THEN 1 ELSE 0 END) AS given_up FROM outbox",
            vec![],
        )
        .await?;
        let (backlog, given_up) = match outbox.first() {
            Some(row) => (count(row, "backlog")?, count(row, "given_up")?),
            None => (0.0, 0.0),
        };
        e.single(
            "fountain_outbox_backlog",
            "gauge",
            "Status emails waiting to be sent.",
            backlog,
        );
        e.single(
            "fountain_outbox_given_up",
            "gauge",
            "Status emails given up on (refused for good, or tried too often): the helpdesk sees them.",
            given_up,
        );

        let beats = query(
            &self.db,
            "SELECT worker, beat_at FROM worker_heartbeats WHERE beat_at > {p}1 ORDER BY worker",
            vec![(at - SHOWN_FOR_SECS).into()],
        )
        .await?;
        e.family(
            "fountain_worker_heartbeat_age_seconds",
            "gauge",
            "Seconds since each worker's last heartbeat (workers seen in the last hour).",
        );
        let mut alive_now = 0;
        let timeout = self
            .migrations
            .as_ref()
            .map_or(60, |m| m.settings.heartbeat_timeout_secs as i64);
        for row in &beats {
            let worker: String = row.try_get("", "worker")?;
            let beat_at: i64 = row.try_get("", "beat_at")?;
            let age = (at - beat_at).max(0);
            if age <= timeout {
                alive_now += 1;
            }
            e.sample(
                "fountain_worker_heartbeat_age_seconds",
                &[("worker", &worker)],
                age as f64,
            );
        }
        e.single(
            "fountain_workers_alive",
            "gauge",
            "Workers that beat within the heartbeat timeout.",
            alive_now as f64,
        );

        if let Some(m) = &self.migrations {
            self.servers(m, &mut e, at).await?;
        }
        Ok(e.finish())
    }

    /// Each configured server's budget in this process, the places all processes hold, and what this
    /// process copied and met there.
    async fn servers(&self, m: &Migrations, e: &mut Exposition, at: i64) -> Result<(), DbErr> {
        let servers: Vec<(String, String)> = m
            .settings
            .servers()
            .into_iter()
            .map(|(role, s)| (role.as_str().to_owned(), budget_key(&s.endpoint())))
            .collect();
        let role_of = |address: &str| {
            let address = address.to_ascii_lowercase();
            servers
                .iter()
                .filter(|(_, key)| *key == address)
                .map(|(role, _)| role.as_str())
                .collect::<Vec<_>>()
                .join("+")
        };
        let budgets: Vec<_> = m
            .settings
            .servers()
            .into_iter()
            .map(|(role, s)| (role, m.throttle.server(&s.endpoint()).state()))
            .collect();
        let families: [(&str, &str, BudgetReading); 7] = [
            (
                "fountain_server_adaptive_limit",
                "Operations this process lets run at once on the server (the adaptive limit).",
                |b| b.limit as f64,
            ),
            (
                "fountain_server_latency_seconds",
                "Typical time of an operation on the server, as this process measured it.",
                |b| b.latency_ms.map_or(0.0, |ms| ms / 1000.0),
            ),
            (
                "fountain_server_connection_cap",
                "Connections the server may take (IT's limit in force).",
                |b| b.limits.max_connections as f64,
            ),
            (
                "fountain_server_connection_ceiling",
                "Connections the server was seen to take at once when it refused more (0: none learned).",
                |b| b.connection_ceiling.map_or(0.0, |c| c as f64),
            ),
            (
                "fountain_server_connections_open",
                "Connections this process has open to the server.",
                |b| b.connections_open as f64,
            ),
            (
                "fountain_server_operations_in_flight",
                "Operations this process has running on the server.",
                |b| b.in_flight as f64,
            ),
            (
                "fountain_server_guarded",
                "1 while the load guard (or the server's health check) holds new copies back.",
                |b| f64::from(u8::from(b.guard.is_some())),
            ),
        ];
        for (name, help, value) in families {
            e.family(name, "gauge", help);
            for (role, budget) in &budgets {
                e.sample(name, &[("server", role.as_str())], value(budget));
            }
        }

        let places = query(
            &self.db,
            "SELECT server, COUNT(*) AS n FROM connection_places WHERE expires_at > {p}1 GROUP BY server",
            vec![at.into()],
        )
        .await?;
        e.family(
            "fountain_connection_places_held",
            "gauge",
            "Connections all processes together hold on each server (shared places).",
        );
        for row in &places {
            let address: String = row.try_get("", "server")?;
            let role = role_of(&address);
            e.sample(
                "fountain_connection_places_held",
                &[("server", &role), ("address", &address)],
                count(row, "n")?,
            );
        }

        let counted = counters();
        let copied: BTreeMap<_, _> = counted.copied;
        e.family(
            "fountain_copied_messages_total",
            "counter",
            "Messages this process wrote to each server.",
        );
        for (address, (messages, _)) in &copied {
            let role = role_of(address);
            let labels = [("server", role.as_str()), ("address", address.as_str())];
            e.sample("fountain_copied_messages_total", &labels, *messages as f64);
        }
        e.family(
            "fountain_copied_bytes_total",
            "counter",
            "Bytes of messages this process wrote to each server.",
        );
        for (address, (_, bytes)) in &copied {
            let role = role_of(address);
            let labels = [("server", role.as_str()), ("address", address.as_str())];
            e.sample("fountain_copied_bytes_total", &labels, *bytes as f64);
        }
        e.family(
            "fountain_imap_errors_total",
            "counter",
            "IMAP errors this process met, by server and class (connect, tls, timeout, auth, refused, lost, …).",
        );
        for ((address, class), n) in &counted.imap_errors {
            let role = role_of(address);
            let labels = [
                ("server", role.as_str()),
                ("address", address.as_str()),
                ("class", class),
            ];
            e.sample("fountain_imap_errors_total", &labels, *n as f64);
        }
        Ok(())
    }
}

/// One figure of a server's budget.
type BudgetReading = fn(&crate::engine::throttle::BudgetState) -> f64;

/// Workers that beat at or after `since`.
async fn alive(db: &DatabaseConnection, since: i64) -> Result<usize, DbErr> {
    let rows = query(
        db,
        "SELECT COUNT(*) AS n FROM worker_heartbeats WHERE beat_at >= {p}1",
        vec![since.into()],
    )
    .await?;
    Ok(rows.first().map_or(Ok(0.0), |r| count(r, "n"))? as usize)
}

/// A COUNT or SUM column (NULL when nothing was summed) as a sample value.
fn count(row: &QueryResult, column: &str) -> Result<f64, DbErr> {
    Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0) as f64)
}

async fn run(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    crate::db::execute(db, sql, values).await
}

async fn query(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(crate::db::statement(db, sql, values)).await
}
