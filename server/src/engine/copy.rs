//! Copies one mailbox: connect, plan the folders, copy each ([`super::folder`]), and retry from the
//! journal after a dropped connection or a timeout. A message the source cannot give or the
//! destination refuses is quarantined and the run goes on; the result then says "needs attention".
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;
use tokio::sync::OwnedSemaphorePermit;

use super::folder::{copy_folder, FolderRun, Shared};
use super::imap::transcript::Transcript;
use super::imap::{Credentials, Destination, Endpoint, ImapError, ListedFolder, Source};
use super::journal::Journal;
use super::plan::chunks::ChunkLimits;
use super::plan::folders::{
    infer_layout, plan_folders, DestinationRules, FolderPlan, Layout, Rename, SourceFolder,
};
pub use super::plan::quarantine::QuarantineLimits;
use super::plan::select::{selected, Pattern};
pub use super::report::{FolderReport, Outcome, Progress, QuarantinedMessage, Report};
use super::throttle::{ServerBudget, Throttle};

/// One end of a copy.
#[derive(Debug, Clone)]
pub struct Side {
    pub endpoint: Endpoint,
    pub credentials: Credentials,
}

impl Side {
    /// `user@host:port`, the mailbox's identity in the journal.
    pub fn mailbox(&self) -> String {
        format!("{}@{}", self.credentials.user(), self.endpoint)
    }
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
    /// Where every command sent to the destination is recorded (secrets and bodies left out), for the
    /// never-delete audit. One recorder reads one session at a time: use it with `parallel: 1`.
    pub dest_transcript: Option<Transcript>,
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
    Spool(#[from] super::spool::SpoolError),
}

/// Copies the mailbox, reconnecting with backoff after a dropped connection or a timeout: every attempt
/// resumes from the journal, so nothing is copied twice and nothing is skipped.
pub async fn copy_mailbox(
    db: &DatabaseConnection,
    job: &CopyJob,
    progress: &(dyn Fn(&Progress<'_>) + Sync),
) -> Result<Report, CopyError> {
    let this_run = Mutex::new(CopiedThisRun::default());
    let mut pause = job.backoff;
    let mut attempt = 0;
    loop {
        match copy_once(db, job, &this_run, progress).await {
            Err(CopyError::Imap(e)) if e.is_transient() && attempt < job.retries => {
                attempt += 1;
                // A log line, not a print: the portal's JSON log stays JSON, and `fountain copy` shows
                // warnings on the terminal.
                tracing::warn!(
                    error = %e,
                    attempt,
                    of = job.retries,
                    pause_ms = pause.as_millis() as u64,
                    "connection trouble; retrying from the journal"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(300));
            }
            other => return other,
        }
    }
}

/// What each source folder's attempts did during this run, so the report after a reconnect still
/// counts what the attempts before it did.
pub(super) type CopiedThisRun = BTreeMap<String, ThisRun>;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ThisRun {
    pub copied: u64,
    pub bytes: u64,
    pub recovered: u64,
    pub flags_updated: u64,
}

/// Both sessions of one worker, with the connection slots they hold.
struct Sessions {
    source: Source,
    dest: Destination,
    _slots: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

/// Takes a connection slot on each server, always in the same order, so two copies waiting for each
/// other's slots cannot deadlock.
async fn slots(
    source_budget: &ServerBudget,
    dest_budget: &ServerBudget,
) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
    if source_budget.key() <= dest_budget.key() {
        let s = source_budget.connection().await;
        (s, dest_budget.connection().await)
    } else {
        let d = dest_budget.connection().await;
        (source_budget.connection().await, d)
    }
}

/// Connects both sides within the slots taken.
async fn connect(
    job: &CopyJob,
    slots: (OwnedSemaphorePermit, OwnedSemaphorePermit),
) -> Result<Sessions, ImapError> {
    let source = Source::connect(
        &job.source.endpoint,
        &job.source.credentials,
        Transcript::default(),
    )
    .await?;
    let dest = Destination::connect(
        &job.destination.endpoint,
        &job.destination.credentials,
        job.dest_transcript.clone().unwrap_or_default(),
    )
    .await?;
    Ok(Sessions {
        source,
        dest,
        _slots: slots,
    })
}

async fn copy_once(
    db: &DatabaseConnection,
    job: &CopyJob,
    this_run: &Mutex<CopiedThisRun>,
    progress: &(dyn Fn(&Progress<'_>) + Sync),
) -> Result<Report, CopyError> {
    let source_budget = job.throttle.server(&job.source.endpoint);
    let dest_budget = job.throttle.server(&job.destination.endpoint);
    // The first worker's connections do the planning too.
    let mut first = connect(job, slots(&source_budget, &dest_budget).await).await?;
    let (source, dest) = (&mut first.source, &mut first.dest);

    let source_list = source.list().await?;
    let from = layout(source.namespace.clone(), &source_list);
    let dest_list = dest.list().await?;
    let to = DestinationRules {
        layout: layout(dest.namespace.clone(), &dest_list),
        special_folders: dest_list
            .iter()
            .filter_map(|f| {
                Some((
                    f.special_use?,
                    super::plan::mutf7::decode(&f.wire_name).unwrap_or(f.wire_name.clone()),
                ))
            })
            .collect::<BTreeMap<_, _>>(),
        reserved: Vec::new(),
        forbidden_chars: Vec::new(),
        case_insensitive: false,
    };
    // The destination's own answers (namespace, special-use folders) stay; the profile adds its rules.
    let to = match job.dest_profile {
        DestinationProfile::Generic => to,
        DestinationProfile::ZimbraLike => {
            let zimbra = DestinationRules::zimbra_like();
            DestinationRules {
                reserved: zimbra.reserved,
                forbidden_chars: zimbra.forbidden_chars,
                case_insensitive: zimbra.case_insensitive,
                ..to
            }
        }
    };
    let wanted: Vec<SourceFolder> = source_list
        .iter()
        .filter(|f| f.selectable)
        .filter(|f| {
            let name = super::plan::mutf7::decode(&f.wire_name).unwrap_or(f.wire_name.clone());
            selected(&name, from.separator, &job.include, &job.exclude)
        })
        .map(|f| SourceFolder {
            wire_name: f.wire_name.clone(),
            special_use: f.special_use,
        })
        .collect();
    let plans = plan_folders(&wanted, &from, &to);
    let subscribed = source.subscribed().await?;
    // Sizes up front where the server tells them cheaply, so the first ETA already covers everything.
    for plan in &plans {
        if let Some(bytes) = source.folder_bytes(&plan.source_wire).await? {
            progress(&Progress {
                folder: &plan.source_display,
                messages_done: 0,
                messages_total: 0,
                bytes_done: 0,
                bytes_left: bytes,
                estimate: true,
            });
        }
    }
    let shared = Shared {
        existing: Mutex::new(dest_list.into_iter().map(|f| f.wire_name).collect()),
        subscribed: subscribed.into_iter().collect(),
        mailbox: job.source.mailbox(),
        dest_mailbox: job.destination.mailbox(),
        this_run,
        progress,
        source_budget,
        dest_budget,
    };
    // Folders landing in the same destination folder go together, to one worker.
    let mut groups: Vec<Vec<(usize, &FolderPlan)>> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| g[0].1.destination_wire == plan.destination_wire)
        {
            Some(group) => group.push((i, plan)),
            None => groups.push(vec![(i, plan)]),
        }
    }
    let workers = job.parallel.clamp(1, groups.len().max(1));
    let queue = Mutex::new(groups.into_iter().collect::<VecDeque<_>>());
    let failed = AtomicBool::new(false);
    let results = Mutex::new(Vec::with_capacity(plans.len()));
    let work = |sessions: Option<Sessions>| {
        let (queue, failed, results, shared) = (&queue, &failed, &results, &shared);
        async move {
            let sessions = match sessions {
                Some(sessions) => sessions,
                // An extra worker that cannot connect (the server caps connections per user, say) leaves
                // its share to the others.
                None => {
                    let slots = slots(&shared.source_budget, &shared.dest_budget).await;
                    // Slots free up when other workers are done: by then there may be nothing left.
                    if queue.lock().expect("queue lock").is_empty() {
                        return Ok(());
                    }
                    match connect(job, slots).await {
                        Ok(sessions) => sessions,
                        Err(e) => {
                            tracing::warn!(error = %e, "an extra connection failed; fewer folders in parallel");
                            return Ok::<(), CopyError>(());
                        }
                    }
                }
            };
            let mut run = FolderRun {
                journal: Journal { db },
                job,
                source: sessions.source,
                dest: sessions.dest,
                shared,
            };
            let outcome: Result<(), CopyError> = async {
                loop {
                    if failed.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    let Some(group) = queue.lock().expect("queue lock").pop_front() else {
                        return Ok(());
                    };
                    for (i, plan) in group {
                        let mut report = copy_folder(&mut run, plan).await?;
                        report.notes.splice(0..0, plan.notes.iter().map(describe));
                        results.lock().expect("results lock").push((i, report));
                    }
                }
            }
            .await;
            if outcome.is_err() {
                failed.store(true, Ordering::SeqCst);
            }
            run.source.logout().await;
            run.dest.logout().await;
            outcome
        }
    };
    let mut running = vec![work(Some(first))];
    running.extend((1..workers).map(|_| work(None)));
    for outcome in futures_util::future::join_all(running).await {
        outcome?;
    }
    let mut reports = results.into_inner().expect("results lock");
    reports.sort_by_key(|(i, _)| *i);
    let reports: Vec<FolderReport> = reports.into_iter().map(|(_, r)| r).collect();
    // A partial folder is never "done": every listed message must be journalled as copied.
    let outcome = if job.dry_run
        || reports
            .iter()
            .all(|r| r.complete() && r.quarantined.is_empty())
    {
        Outcome::Done
    } else {
        Outcome::NeedsAttention
    };
    Ok(Report {
        outcome,
        dry_run: job.dry_run,
        folders: reports,
    })
}

/// The server's own NAMESPACE answer when it gave one, else what its LIST suggests.
fn layout(namespace: Option<(String, char)>, listed: &[ListedFolder]) -> Layout {
    match namespace {
        Some((prefix, separator)) => Layout {
            prefix: super::plan::mutf7::decode(&prefix).unwrap_or(prefix),
            separator,
        },
        None => infer_layout(
            &listed
                .iter()
                .map(|f| (f.wire_name.clone(), f.separator))
                .collect::<Vec<_>>(),
        ),
    }
}

fn describe(note: &Rename) -> String {
    match note {
        Rename::SpecialUse(kind) => format!("lands in the destination's {kind:?} folder"),
        Rename::MergedWith { other_source } => format!("merged with {other_source}"),
        Rename::Reserved { name } => format!("\"{name}\" is reserved on the destination: renamed"),
        Rename::IllegalCharacter(c) => {
            format!("{c:?} is not allowed on the destination: replaced by _")
        }
        Rename::Collision { with_source } => format!("name taken by {with_source}: numbered"),
        Rename::UndecodableName(e) => format!("name is not valid modified UTF-7 ({e}): kept as is"),
    }
}
