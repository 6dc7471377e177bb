//! What a copy is asked to do ([`CopyJob`], its two [`Side`]s) and how it can fail ([`CopyError`]).
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::imap::transcript::Transcript;
use crate::engine::imap::{Credentials, Endpoint, ImapError};
use crate::engine::plan::chunks::ChunkLimits;
use crate::engine::plan::quarantine::QuarantineLimits;
use crate::engine::plan::select::Pattern;
use crate::engine::throttle::Throttle;

/// One end of a copy.
#[derive(Debug, Clone)]
pub struct Side {
    pub endpoint: Endpoint,
    pub credentials: Credentials,
    /// Where each new connection gets its credentials, when they expire (an application's bearer
    /// token): a copy that runs for hours reconnects with a current one. `None`: `credentials` serve.
    pub renew: Option<Renew>,
}

/// Fresh credentials for the next connection, or why there are none.
#[derive(Clone)]
pub struct Renew(
    pub  Arc<
        dyn Fn() -> futures_util::future::BoxFuture<'static, Result<Credentials, String>>
            + Send
            + Sync,
    >,
);

impl std::fmt::Debug for Renew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renew(..)")
    }
}

impl Side {
    /// A side whose credentials never expire.
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Side {
        Side {
            endpoint,
            credentials,
            renew: None,
        }
    }

    /// The credentials for a connection opened now.
    pub async fn current_credentials(&self) -> Result<Credentials, ImapError> {
        match &self.renew {
            None => Ok(self.credentials.clone()),
            Some(Renew(renew)) => renew().await.map_err(|text| ImapError::Auth {
                endpoint: self.endpoint.to_string(),
                user: self.credentials.user().to_owned(),
                text,
            }),
        }
    }

    /// `user@host:port`, the mailbox's identity in the journal.
    pub fn mailbox(&self) -> String {
        journal_name(self.credentials.user(), &self.endpoint)
    }
}

/// The journal's name of `user`'s mailbox on the server at `endpoint`.
pub fn journal_name(user: &str, endpoint: &Endpoint) -> String {
    format!("{user}@{endpoint}")
}

#[derive(Debug, Clone)]
pub struct CopyJob {
    pub source: Side,
    pub destination: Side,
    pub include: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
    pub limits: ChunkLimits,
    /// Plan and count, copy nothing.
    pub dry_run: bool,
    /// How many times a dropped connection or a timeout is retried (reconnect, then resume from the
    /// journal) before the run fails.
    pub retries: u32,
    /// The first pause before retrying; it doubles each time.
    pub backoff: std::time::Duration,
    /// Folders copied at once, each over its own pair of connections (within the servers' budgets).
    pub parallel: usize,
    /// Which folder names the destination forbids, beyond what it says about itself.
    pub dest_profile: DestinationProfile,
    /// The per-server budgets this copy shares with everything else running in the process.
    pub throttle: Arc<Throttle>,
    /// The largest message the destination takes, when known beyond its APPENDLIMIT: a dry run counts
    /// the messages over it, so the scan can say so before anything is copied.
    pub max_message_bytes: Option<u64>,
    /// Where a big message is held while it is copied (it never is in memory whole).
    pub spool_dir: std::path::PathBuf,
    /// How much of a refused message's raw bytes the quarantine keeps.
    pub quarantine: QuarantineLimits,
    /// What the run's sessions send to each server, counted (secrets and bodies left out): the
    /// protocol summary, and with a text-keeping transcript the never-delete audit.
    pub transcripts: Transcripts,
}

/// One transcript per server, shared by every session of the run on it.
#[derive(Debug, Clone)]
pub struct Transcripts {
    pub source: Transcript,
    pub destination: Transcript,
}

impl Transcripts {
    /// Counting only: what a product run keeps.
    pub fn counting() -> Self {
        Transcripts {
            source: Transcript::counting(),
            destination: Transcript::counting(),
        }
    }
}

/// What kind of server the destination is, for the naming rules it does not announce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DestinationProfile {
    /// Any name the server accepts.
    #[default]
    Generic,
    /// Zimbra-like: calendar and contacts share the folder namespace, some characters are illegal,
    /// and names differing only in case are the same folder.
    ZimbraLike,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("the journal database failed: {0}")]
    Journal(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Spool(#[from] crate::engine::spool::SpoolError),
}

/// What each source folder's attempts did during this run, so the report after a reconnect still
/// counts what the attempts before it did.
pub(crate) type CopiedThisRun = BTreeMap<String, ThisRun>;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ThisRun {
    pub copied: u64,
    pub bytes: u64,
    pub recovered: u64,
    pub flags_updated: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn token(credentials: &Credentials) -> &str {
        match credentials {
            Credentials::XOAuth2 { token, .. } => token,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn each_connection_gets_current_credentials_or_a_refused_login() {
        let asked = Arc::new(AtomicU32::new(0));
        let counter = asked.clone();
        let side = Side {
            endpoint: Endpoint::new("mail.example.org", 993),
            credentials: Credentials::XOAuth2 {
                user: "dan@example.org".into(),
                token: "first".into(),
            },
            renew: Some(Renew(Arc::new(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    match n {
                        2 => Err("the directory refused Fountain's application".to_owned()),
                        n => Ok(Credentials::XOAuth2 {
                            user: "dan@example.org".into(),
                            token: format!("renewed-{n}"),
                        }),
                    }
                })
            }))),
        };
        assert_eq!(
            token(&side.current_credentials().await.unwrap()),
            "renewed-0"
        );
        assert_eq!(
            token(&side.current_credentials().await.unwrap()),
            "renewed-1"
        );
        let refused = side.current_credentials().await.unwrap_err();
        assert!(
            matches!(&refused, ImapError::Auth { user, .. } if user == "dan@example.org"),
            "{refused}"
        );
        // Without a way to renew, the side's own credentials serve every connection.
        let fixed = Side::new(side.endpoint.clone(), side.credentials.clone());
        assert_eq!(token(&fixed.current_credentials().await.unwrap()), "first");
        assert_eq!(asked.load(Ordering::SeqCst), 3);
    }
}
