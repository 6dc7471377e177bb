//! The database: SQLite (embedded default) or PostgreSQL, through sea-orm. Migrations run at start-up.
pub mod entity;
pub mod people;
pub mod stored;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot open the database {url}: {source}. Check database.url (or DATABASE_URL) and that the server or directory is reachable.")]
    Connect { url: String, source: DbErr },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(DbErr),
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
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        // Migrate over a connection of its own first: SQLite connections keep the schema they loaded,
        // and a pool connection opened before the migration could miss a new table or index.
        let migrator = open(url, 1).await?;
        Migrator::up(&migrator, None)
            .await
            .map_err(DbSetupError::Migrate)?;
        let _ = migrator.close().await;
        // One writer at a time in SQLite: a small pool avoids "database is locked" storms.
        return open(url, 4).await;
    }
    let db = open(url, 10).await?;
    Migrator::up(&db, None)
        .await
        .map_err(DbSetupError::Migrate)?;
    Ok(db)
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
