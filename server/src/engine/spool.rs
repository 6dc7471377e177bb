//! Big messages on their way: read from the old server in bounded pieces into a file of their own,
//! then appended from that file, so memory stays flat whatever a message's size (the seed's largest
//! mailbox was 20 GB) and whatever size the old server claims for it. Only the file learns the exact
//! size, which an APPEND must announce before its first byte. The file is removed when dropped.
use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

#[derive(Debug, thiserror::Error)]
#[error("cannot use the spool file {path} for a big message: {source}. Check that {dir} exists and has room (a message is held there while it is copied); nothing is lost, run again once it has.")]
pub struct SpoolError {
    pub path: PathBuf,
    pub dir: String,
    pub source: std::io::Error,
}

pub struct Spool {
    path: PathBuf,
    file: tokio::fs::File,
    len: u64,
    has_nul: bool,
}

impl Spool {
    /// A new, empty spool file in `dir`, readable by this user only.
    pub async fn create(dir: &Path) -> Result<Spool, SpoolError> {
        let path = dir.join(format!("fountain-{:016x}.eml", rand::random::<u64>()));
        let fail = |source| SpoolError {
            path: path.clone(),
            dir: dir.display().to_string(),
            source,
        };
        let mut options = tokio::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&path).await.map_err(fail)?;
        Ok(Spool {
            path,
            file,
            len: 0,
            has_nul: false,
        })
    }

    fn fail(&self, source: std::io::Error) -> SpoolError {
        SpoolError {
            path: self.path.clone(),
            dir: self
                .path
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            source,
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), SpoolError> {
        self.file.write_all(bytes).await.map_err(|e| self.fail(e))?;
        self.len += bytes.len() as u64;
        self.has_nul |= bytes.contains(&0);
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn has_nul(&self) -> bool {
        self.has_nul
    }

    /// The file from its first byte, to read the message back.
    pub async fn reader(&mut self) -> Result<&mut tokio::fs::File, SpoolError> {
        self.file.flush().await.map_err(|e| self.fail(e))?;
        self.file
            .seek(SeekFrom::Start(0))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(&mut self.file)
    }

    /// The first `max` bytes (all of them when the message is shorter).
    pub async fn head(&mut self, max: u64) -> Result<Vec<u8>, SpoolError> {
        let mut out = Vec::new();
        let reader = self.reader().await?;
        reader
            .take(max)
            .read_to_end(&mut out)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(out)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spooled_message_reads_back_and_its_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::create(dir.path()).await.unwrap();
        spool.write(b"Subject: big\r\n\r\n").await.unwrap();
        spool.write(&[b'x', 0, b'y']).await.unwrap();
        assert_eq!(spool.len(), 19);
        assert!(spool.has_nul());
        assert_eq!(spool.head(7).await.unwrap(), b"Subject");
        let mut all = Vec::new();
        spool
            .reader()
            .await
            .unwrap()
            .read_to_end(&mut all)
            .await
            .unwrap();
        assert_eq!(all, b"Subject: big\r\n\r\nx\0y");
        let path = spool.path.clone();
        drop(spool);
        assert!(!path.exists(), "the spool file is removed");
        let missing = Spool::create(&dir.path().join("nope")).await.err().unwrap();
        assert!(missing.to_string().contains("has room"), "{missing}");
    }
}
