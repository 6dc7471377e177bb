//! Taking the oldest waiting row of a job table for one worker, atomically: on PostgreSQL concurrent
//! claimers skip each other's locked rows (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time.
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use crate::db::{now, placeholder};

/// A job table's columns that claiming touches.
pub struct JobTable {
    pub table: &'static str,
    /// Oldest first by this column, then by id.
    pub order_by: &'static str,
    /// Extra assignments on claim (e.g. `attempts = attempts + 1`), or "".
    pub also_set: &'static str,
    /// A row claimed before and put back (paused and resumed, say) waits this long after its last
    /// change, so the run that held it has surely noticed and stopped: never two runs at once. Needs
    /// an `attempts` column; 0 for none.
    pub settle_secs: i64,
}

/// Moves the oldest row in state `from` to state `to`, held by `worker` with a fresh heartbeat, and
/// returns its id; `None` when there is nothing to take. `also_where` narrows the rows taken
/// (`" AND …"` over the table's columns, without values from outside, or "").
pub async fn claim_oldest(
    db: &impl ConnectionTrait,
    job: &JobTable,
    from: &str,
    to: &str,
    worker: &str,
    also_where: &str,
) -> Result<Option<i64>, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let lock = match backend {
        DatabaseBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let JobTable {
        table,
        order_by,
        also_set,
        settle_secs,
    } = job;
    let at = now();
    let mut values = vec![to.into(), worker.into(), at.into(), from.into()];
    let settled = if *settle_secs > 0 {
        values.push((at - settle_secs).into());
        format!(" AND (attempts = 0 OR updated_at <= {p}5)")
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE {table} SET state = {p}1, worker = {p}2, heartbeat_at = {p}3, updated_at = {p}3{also_set} \
         WHERE id = (SELECT id FROM {table} WHERE state = {p}4{settled}{also_where} ORDER BY {order_by}, id LIMIT 1{lock}) \
         AND state = {p}4 RETURNING id"
    );
    let claimed = db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    claimed.map(|row| row.try_get::<i64>("", "id")).transpose()
}
