//! A copy of the SQLite database taken while Fountain runs: `VACUUM INTO` writes a consistent,
//! compacted snapshot (readers and writers go on meanwhile). PostgreSQL is backed up with its own
//! tools (`pg_dump`). The secrets key that seals old passwords is not in the database: back it up
//! apart, so a stolen backup alone opens nothing.
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DbErr, Statement};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("the database is PostgreSQL: back it up with pg_dump (e.g. `pg_dump -Fc fountain > fountain.dump`)")]
    NotSqlite,
    #[error("{0} exists already: give a new file name, so no backup is overwritten")]
    Exists(PathBuf),
    #[error(transparent)]
    Open(#[from] super::DbSetupError),
    #[error("the backup to {path} failed: {source}. Check that its folder exists and has room.")]
    Copy { path: PathBuf, source: DbErr },
}

/// Writes a snapshot of the SQLite database at `url` to `to` (a new file); returns its size in bytes.
pub async fn backup(url: &str, to: &Path) -> Result<u64, BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::NotSqlite);
    }
    // Made here, new and readable by Fountain's user only (it holds sessions, journals and
    // quarantined mail): VACUUM INTO fills an empty file.
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(to)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => BackupError::Exists(to.to_owned()),
                _ => BackupError::Copy {
                    path: to.to_owned(),
                    source: DbErr::Custom(e.to_string()),
                },
            })?;
    }
    let db = super::open_pool(url).await?;
    let copy = Statement::from_sql_and_values(
        db.get_database_backend(),
        "VACUUM INTO ?1",
        [to.to_string_lossy().into_owned().into()],
    );
    let copied = db.execute(copy).await;
    let _ = db.close().await;
    if let Err(source) = copied {
        // Nothing half-written is left to be taken for a backup.
        let _ = std::fs::remove_file(to);
        return Err(BackupError::Copy {
            path: to.to_owned(),
            source,
        });
    }
    Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or_default())
}
