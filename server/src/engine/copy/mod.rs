//! Copies one mailbox: connect, plan the folders, copy each ([`folder`], appending through
//! [`append`], with [`recover`] and [`flag_sync`]), and retry from the journal after a dropped
//! connection or a timeout. A message the source cannot give or the destination refuses is
//! quarantined and the run goes on; the result then says "needs attention". What it is asked to do
//! and how it fails are in [`job`].
mod append;
mod flag_sync;
mod folder;
mod job;
mod recover;
mod sessions;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use sea_orm::DatabaseConnection;

pub use append::PIECE_BYTES;
use folder::{copy_folder, FolderRun, Shared};
pub(crate) use job::CopiedThisRun;
pub use job::{journal_name, CopyError, CopyJob, DestinationProfile, Renew, Side, Transcripts};
use sessions::{connect, slots, Sessions};

use super::imap::{Destination, ListedFolder, Source};
use super::journal::Journal;
use super::plan::destination::group_by_destination;
use super::plan::folders::{
    infer_layout, plan_folders, DestinationRules, FolderPlan, Layout, SourceFolder,
};
pub use super::plan::quarantine::QuarantineLimits;
use super::plan::select::selected;
pub use super::report::{Decided, FolderReport, Outcome, Progress, QuarantinedMessage, Report};

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
                let wait = crate::backoff::jittered(pause);
                // A log line, not a print: the portal's JSON log stays JSON, and `fountain copy` shows
                // warnings on the terminal.
                tracing::warn!(
                    error = %e,
                    attempt,
                    of = job.retries,
                    pause_ms = wait.as_millis() as u64,
                    "connection trouble; retrying from the journal"
                );
                tokio::time::sleep(wait).await;
                pause = crate::backoff::doubled(pause, std::time::Duration::from_secs(300));
            }
            other => return other,
        }
    }
}

/// One attempt: plan on the first worker's connections, then copy the folders with up to
/// `job.parallel` workers, each folder group (folders landing together) on one of them.
#[tracing::instrument(skip_all, fields(mailbox = %job.source.mailbox()))]
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
    let dest_list = dest.list().await?;
    let plans = plan_mailbox(job, source, dest, &dest_list).await?;
    let subscribed = source.subscribed().await?;
    size_up_front(source, &plans, progress).await?;
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
    let groups = group_by_destination(&plans);
    let workers = job.parallel.clamp(1, groups.len().max(1));
    let pool = Pool {
        db,
        job,
        shared: &shared,
        queue: Mutex::new(groups.into_iter().collect()),
        failed: AtomicBool::new(false),
        results: Mutex::new(Vec::with_capacity(plans.len())),
    };
    let mut running = vec![pool.work(Some(first))];
    running.extend((1..workers).map(|_| pool.work(None)));
    for outcome in futures_util::future::join_all(running).await {
        outcome?;
    }
    let mut reports = pool.results.into_inner().expect("results lock");
    reports.sort_by_key(|(i, _)| *i);
    let folders: Vec<FolderReport> = reports.into_iter().map(|(_, r)| r).collect();
    Ok(Report {
        outcome: Outcome::of(&folders, job.dry_run),
        dry_run: job.dry_run,
        folders,
    })
}

/// Where each selected source folder lands, from what both servers say of themselves.
async fn plan_mailbox(
    job: &CopyJob,
    source: &mut Source,
    dest: &Destination,
    dest_list: &[ListedFolder],
) -> Result<Vec<FolderPlan>, CopyError> {
    let source_list = source.list().await?;
    let from = layout(source.namespace.clone(), &source_list);
    let special_folders = dest_list
        .iter()
        .filter_map(|f| Some((f.special_use?, decoded(&f.wire_name))))
        .collect::<BTreeMap<_, _>>();
    let zimbra_like = job.dest_profile == DestinationProfile::ZimbraLike;
    let to = DestinationRules::announced(
        layout(dest.namespace.clone(), dest_list),
        special_folders,
        zimbra_like,
    );
    let wanted: Vec<SourceFolder> = source_list
        .iter()
        .filter(|f| f.selectable)
        .filter(|f| {
            let name = decoded(&f.wire_name);
            selected(&name, from.separator, &job.include, &job.exclude)
        })
        .map(|f| SourceFolder {
            wire_name: f.wire_name.clone(),
            special_use: f.special_use,
        })
        .collect();
    Ok(plan_folders(&wanted, &from, &to))
}

/// Sizes up front where the server tells them cheaply, so the first ETA already covers everything.
async fn size_up_front(
    source: &mut Source,
    plans: &[FolderPlan],
    progress: &(dyn Fn(&Progress<'_>) + Sync),
) -> Result<(), CopyError> {
    for plan in plans {
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
    Ok(())
}

/// The folder groups still to copy, and what the workers copying them share.
struct Pool<'a> {
    db: &'a DatabaseConnection,
    job: &'a CopyJob,
    shared: &'a Shared<'a>,
    queue: Mutex<VecDeque<Vec<(usize, &'a FolderPlan)>>>,
    /// A worker failed: the others stop after their current folder.
    failed: AtomicBool,
    results: Mutex<Vec<(usize, FolderReport)>>,
}

impl Pool<'_> {
    /// One worker: on `sessions` (the first worker's), or on connections of its own.
    async fn work(&self, sessions: Option<Sessions>) -> Result<(), CopyError> {
        let sessions = match sessions {
            Some(sessions) => sessions,
            None => match self.extra_sessions().await {
                Some(sessions) => sessions,
                None => return Ok(()),
            },
        };
        let mut run = FolderRun {
            journal: Journal { db: self.db },
            job: self.job,
            source: sessions.source,
            dest: sessions.dest,
            shared: self.shared,
        };
        let outcome = self.copy_groups(&mut run).await;
        if outcome.is_err() {
            self.failed.store(true, Ordering::SeqCst);
        }
        run.source.logout().await;
        run.dest.logout().await;
        outcome
    }

    /// Connections for an extra worker, once slots free up, if there is still work: one that cannot
    /// connect (the server caps connections per user, say) leaves its share to the others.
    async fn extra_sessions(&self) -> Option<Sessions> {
        let slots = slots(&self.shared.source_budget, &self.shared.dest_budget).await;
        if self.queue.lock().expect("queue lock").is_empty() {
            return None;
        }
        match connect(self.job, slots).await {
            Ok(sessions) => Some(sessions),
            Err(e) => {
                tracing::warn!(error = %e, "an extra connection failed; fewer folders in parallel");
                None
            }
        }
    }

    async fn copy_groups(&self, run: &mut FolderRun<'_>) -> Result<(), CopyError> {
        loop {
            if self.failed.load(Ordering::SeqCst) {
                return Ok(());
            }
            let Some(group) = self.queue.lock().expect("queue lock").pop_front() else {
                return Ok(());
            };
            for (i, plan) in group {
                let mut report = copy_folder(run, plan).await?;
                report
                    .notes
                    .splice(0..0, plan.notes.iter().map(ToString::to_string));
                self.results.lock().expect("results lock").push((i, report));
            }
        }
    }
}

fn decoded(wire_name: &str) -> String {
    super::plan::mutf7::decode(wire_name).unwrap_or(wire_name.to_owned())
}

/// The server's own NAMESPACE answer when it gave one, else what its LIST suggests.
fn layout(namespace: Option<(String, char)>, listed: &[ListedFolder]) -> Layout {
    match namespace {
        Some((prefix, separator)) => Layout {
            prefix: decoded(&prefix),
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
