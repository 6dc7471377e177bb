//! The database: SQLite (embedded default) or PostgreSQL, through sea-orm. Migrations run at start-up
//! (unless `database.migrate_on_start = false`, when `fountain migrate` runs them), one process at a
//! time: on PostgreSQL under an advisory lock, so portals and workers started together wait for the
//! first to finish instead of creating the same tables at once.
pub mod backup;
pub mod entity;
pub mod people;
pub mod stored;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, TransactionTrait,
};

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot open the database {url}: {source}. Check database.url (or DATABASE_URL) and that the server or directory is reachable.")]
    Connect { url: String, source: DbErr },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(DbErr),
    #[error("the database schema is {0} migration(s) behind this version of Fountain, and database.migrate_on_start is false: run `fountain migrate` first")]
    Behind(usize),
}

/// The advisory lock every process takes on PostgreSQL while it migrates (any fixed number will do;
/// this one is "fountain" in ASCII).
const MIGRATION_LOCK: i64 = 0x666f_756e_7461_696e;

/// Raw SQL whose bind parameters are written `{p}1`, `{p}2`, …: `$1` on PostgreSQL, `?1` on SQLite.
pub fn statement(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = sql.replace("{p}", &placeholder(backend).to_string());
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// [`statement`] run; how many rows it changed.
pub async fn execute(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<u64, DbErr> {
    Ok(db
        .execute(statement(db, sql, values))
        .await?
        .rows_affected())
}

/// Begins a transaction that may write. On SQLite it takes the write lock at once (waiting for it
/// as long as the busy timeout allows): a transaction that reads first and writes later would
/// otherwise fail at once with "database is locked" whenever another connection wrote in between.
pub async fn begin<C: TransactionTrait + ?Sized>(
    db: &C,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // Changes nothing, but a write statement takes the write lock when it starts.
        txn.execute_unprepared("UPDATE seaql_migrations SET version = version WHERE 0 = 1")
            .await?;
    }
    Ok(txn)
}

/// The bind-parameter sign of raw SQL on this backend: `$1` on PostgreSQL, `?1` on SQLite.
pub fn placeholder(backend: sea_orm::DatabaseBackend) -> char {
    match backend {
        sea_orm::DatabaseBackend::Postgres => '$',
        _ => '?',
    }
}

/// Opens the database and applies pending migrations.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    migrate(url).await?;
    open_pool(url).await
}

/// Opens the database `[database]` names, migrating first if it says so.
pub async fn connect_configured(
    config: &crate::config::DatabaseConfig,
) -> Result<DatabaseConnection, DbSetupError> {
    match config.migrate_on_start {
        true => connect(&config.url).await,
        false => connect_migrated(&config.url).await,
    }
}

/// Opens the database as it is: refused when its schema is behind this version (`fountain migrate`
/// brings it up to date).
pub async fn connect_migrated(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    let db = open_pool(url).await?;
    match pending(&db).await.map_err(DbSetupError::Migrate)? {
        0 => Ok(db),
        behind => Err(DbSetupError::Behind(behind)),
    }
}

/// Opens the database without changing anything (for `fountain check`).
pub async fn open_pool(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    // One writer at a time in SQLite: a small pool avoids "database is locked" storms.
    let connections = if url.starts_with("sqlite:") { 4 } else { 10 };
    open(url, connections).await
}

/// The file of a SQLite URL, read as sqlx reads it (percent-decoded), if it names one (not an
/// in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !url.starts_with("sqlite:") || url.contains("mode=memory") || url.contains(":memory:") {
        return None;
    }
    let options = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    let in_memory = path.as_os_str().is_empty() || path.as_os_str() == ":memory:";
    (!in_memory).then(|| path.to_owned())
}

/// Waits for this process's turn to migrate the SQLite database at `path`: an exclusive lock on
/// `PATH.migrate-lock`, held until the returned file is dropped.
async fn sqlite_turn(path: &std::path::Path) -> Result<std::fs::File, DbSetupError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".migrate-lock");
    let lock_path = std::path::PathBuf::from(name);
    let failed = |e: std::io::Error| {
        DbSetupError::Migrate(DbErr::Custom(format!(
            "cannot lock {} to migrate one process at a time: {e}",
            lock_path.display()
        )))
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(failed)?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| failed(std::io::Error::other(e)))?
        .map_err(failed)
}

/// Migrations this version has that the database has not had. Reads only (sea-orm's own count
/// would create its table on a database never migrated, which a read-only role cannot).
pub async fn pending(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let applied = applied_migrations(db).await?;
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unknown: Vec<&String> = applied.iter().filter(|a| !known.contains(a)).collect();
    if let Some(newest) = unknown.iter().max() {
        return Err(DbErr::Custom(format!(
            "the database was migrated by a newer version of Fountain ({} migration(s) this one does not know, the newest {newest}): run that version or newer",
            unknown.len()
        )));
    }
    Ok(known.iter().filter(|m| !applied.contains(m)).count())
}

/// The migrations the database records as applied (none when it was never migrated).
async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    use sea_orm::{DatabaseBackend, Statement};
    let backend = db.get_database_backend();
    let present = match backend {
        DatabaseBackend::Postgres => {
            "SELECT CAST(CASE WHEN to_regclass('seaql_migrations') IS NULL THEN 0 ELSE 1 END AS BIGINT) AS n"
        }
        _ => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    };
    let found = db
        .query_one(Statement::from_string(backend, present))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if found == 0 {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations",
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version"))
        .collect()
}

/// Applies pending migrations, one process at a time; returns how many this process applied.
pub async fn migrate(url: &str) -> Result<usize, DbSetupError> {
    // Over a connection of its own: an advisory lock belongs to one connection, and SQLite
    // connections keep the schema they loaded (a pool connection opened before the migration could
    // miss a new table or index).
    // SQLite: processes on this machine take turns through a lock file beside the database.
    let _turn = match sqlite_file(url) {
        Some(path) => Some(sqlite_turn(&path).await?),
        None => None,
    };
    let migrator = open(url, 1).await?;
    let postgres = migrator.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let lock = |sql: &'static str| {
        let migrator = &migrator;
        async move {
            if postgres {
                let statement = sea_orm::Statement::from_sql_and_values(
                    sea_orm::DatabaseBackend::Postgres,
                    sql,
                    [MIGRATION_LOCK.into()],
                );
                migrator.execute(statement).await?;
            }
            Ok::<_, DbErr>(())
        }
    };
    // Waits while another process migrates; then finds nothing left to do.
    lock("SELECT pg_advisory_lock($1)")
        .await
        .map_err(DbSetupError::Migrate)?;
    let applied = async {
        let before = pending(&migrator).await?;
        Migrator::up(&migrator, None).await?;
        Ok::<_, DbErr>(before)
    }
    .await;
    let unlocked = lock("SELECT pg_advisory_unlock($1)").await;
    let _ = migrator.close().await;
    let applied = applied.map_err(DbSetupError::Migrate)?;
    unlocked.map_err(DbSetupError::Migrate)?;
    Ok(applied)
}

async fn open(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbSetupError> {
    use sea_orm::sqlx::sqlite::SqliteJournalMode;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Per connection, so every connection of the pool waits for the writer and checks keys.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    Database::connect(options)
        .await
        .map_err(|source| DbSetupError::Connect {
            url: redact(url),
            source,
        })
}

/// Whether the database answers (for `/healthz`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Values in one query's `IN (…)` or rows in one INSERT, within every database's limit on a query's
/// values: lists longer than this are read or written in chunks.
pub const VALUES_PER_QUERY: usize = 500;

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            super::redact("postgres://u:secret@db/f"),
            "postgres://u:***@db/f"
        );
        assert_eq!(
            super::redact("sqlite://f.db?mode=rwc"),
            "sqlite://f.db?mode=rwc"
        );
    }
}
