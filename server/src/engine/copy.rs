//! Copies one mailbox: plan the folders, then per folder fetch what the journal lacks in byte-bounded
//! chunks, append each message, and journal it at once. A message the source cannot give or the
//! destination refuses is quarantined and the run goes on; the result then says "needs attention".
use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::imap::transcript::Transcript;
use super::imap::{Credentials, Destination, Endpoint, ImapError, ListedFolder, Outgoing, Source};
use super::journal::{FolderKey, Journal};
use super::plan::chunks::{plan_chunks, ChunkLimits};
use super::plan::folders::{
    infer_layout, plan_folders, DestinationRules, Layout, Rename, SourceFolder,
};
use super::plan::select::{selected, Pattern};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every selected message is on the destination.
    Done,
    /// Some messages are quarantined: nothing was lost, IT has to look.
    NeedsAttention,
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderReport {
    pub source: String,
    pub destination: String,
    pub notes: Vec<String>,
    pub source_messages: u64,
    pub source_bytes: u64,
    /// Nothing new since the last complete copy (same UIDVALIDITY and UIDNEXT): not listed again.
    pub unchanged: bool,
    /// The source folder was subscribed, and so is its destination now.
    pub subscribed: bool,
    pub copied_before: u64,
    pub copied_now: u64,
    pub bytes_copied_now: u64,
    pub quarantined: Vec<QuarantinedMessage>,
    /// Messages in the destination folder after the copy (it may hold more: merged or earlier mail).
    pub destination_messages: Option<u32>,
}

impl FolderReport {
    /// Every listed message is journalled as copied.
    pub fn complete(&self) -> bool {
        self.copied_before + self.copied_now == self.source_messages
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarantinedMessage {
    pub uid: u32,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub outcome: Outcome,
    pub dry_run: bool,
    pub folders: Vec<FolderReport>,
}

impl Report {
    pub fn messages_copied_now(&self) -> u64 {
        self.folders.iter().map(|f| f.copied_now).sum()
    }
}

/// Progress after each message.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub folder: &'a str,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("the journal database failed: {0}")]
    Journal(#[from] sea_orm::DbErr),
}

/// Copies the mailbox, reconnecting with backoff after a dropped connection or a timeout: every attempt
/// resumes from the journal, so nothing is copied twice and nothing is skipped.
pub async fn copy_mailbox(
    db: &DatabaseConnection,
    job: &CopyJob,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Report, CopyError> {
    let mut this_run = CopiedThisRun::default();
    let mut pause = job.backoff;
    let mut attempt = 0;
    loop {
        match copy_once(db, job, &mut this_run, progress).await {
            Err(CopyError::Imap(e)) if e.is_transient() && attempt < job.retries => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, pause_ms = pause.as_millis() as u64, "connection trouble; retrying from the journal");
                eprintln!(
                    "{e}; retrying in {:.1} s (attempt {attempt} of {})",
                    pause.as_secs_f64(),
                    job.retries
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(300));
            }
            other => return other,
        }
    }
}

/// Messages and bytes copied per source folder during this run, across reconnects.
type CopiedThisRun = BTreeMap<String, (u64, u64)>;

async fn copy_once(
    db: &DatabaseConnection,
    job: &CopyJob,
    this_run: &mut CopiedThisRun,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Report, CopyError> {
    let journal = Journal { db };
    let mut source = Source::connect(
        &job.source.endpoint,
        &job.source.credentials,
        Transcript::default(),
    )
    .await?;
    let mut dest = Destination::connect(
        &job.destination.endpoint,
        &job.destination.credentials,
        Transcript::default(),
    )
    .await?;

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
    let existing: Vec<&str> = dest_list.iter().map(|f| f.wire_name.as_str()).collect();
    let subscribed = source.subscribed().await?;
    let (mailbox, dest_mailbox) = (job.source.mailbox(), job.destination.mailbox());

    let mut reports = Vec::new();
    for plan in &plans {
        let status = source.examine(&plan.source_wire).await?;
        let mut report = FolderReport {
            source: plan.source_display.clone(),
            destination: plan.destination_display.clone(),
            notes: plan.notes.iter().map(describe).collect(),
            source_messages: u64::from(status.messages),
            source_bytes: 0,
            unchanged: false,
            subscribed: false,
            copied_before: 0,
            copied_now: 0,
            bytes_copied_now: 0,
            quarantined: Vec::new(),
            destination_messages: None,
        };
        let key = FolderKey {
            mailbox: &mailbox,
            dest_mailbox: &dest_mailbox,
            source_folder: &plan.source_wire,
            uid_validity: status.uid_validity.unwrap_or(0),
            dest_folder: &plan.destination_wire,
        };
        if let Some(earlier) = journal.earlier_validity(&key).await? {
            // The server renumbered the folder: its UIDs no longer match the journal. Copying again
            // would duplicate it, so it waits for attention instead.
            report.notes.push(format!(
                "UIDVALIDITY changed since an earlier copy (was {earlier}, now {}): not copied again, so nothing is \
                 duplicated; needs attention",
                key.uid_validity
            ));
            reports.push(report);
            continue;
        }
        let row = if job.dry_run {
            journal.find_folder(&key).await?
        } else {
            Some(journal.folder(&key).await?)
        };
        let (earlier_now, earlier_bytes) =
            this_run.get(&plan.source_wire).copied().unwrap_or_default();
        // Nothing new since the last complete copy: one EXAMINE was enough (a no-op re-run is O(folders)).
        if let (Some(row), Some(uid_next)) = (&row, status.uid_next) {
            if row.synced_uid_next == Some(i64::from(uid_next)) {
                report.unchanged = true;
                report.source_bytes = row
                    .synced_bytes
                    .and_then(|b| u64::try_from(b).ok())
                    .unwrap_or(0);
                report.copied_before = report.source_messages.saturating_sub(earlier_now);
                report.copied_now = earlier_now;
                report.bytes_copied_now = earlier_bytes;
                report.destination_messages =
                    Some(dest.status(&plan.destination_wire).await?.messages);
                reports.push(report);
                continue;
            }
        }
        let listed = source.list_messages().await?;
        report.source_messages = listed.len() as u64;
        report.source_bytes = listed.iter().map(|m| m.size).sum();
        let copied = match &row {
            Some(row) => journal.copied(row.id).await?,
            None => Default::default(),
        };
        let journalled = listed.iter().filter(|m| copied.contains(&m.uid)).count() as u64;
        report.copied_before = journalled.saturating_sub(earlier_now);
        report.copied_now = earlier_now;
        report.bytes_copied_now = earlier_bytes;
        let (Some(row), false) = (row, job.dry_run) else {
            reports.push(report);
            continue;
        };
        let folder_id = row.id;
        if !existing.contains(&plan.destination_wire.as_str()) {
            dest.create(&plan.destination_wire).await?;
        }
        // Subscriptions follow the folder, so it shows in the user's mail program on the new server.
        if subscribed.contains(&plan.source_wire) {
            dest.subscribe(&plan.destination_wire).await?;
            report.subscribed = true;
        }
        for chunk in plan_chunks(&listed, &copied, job.limits) {
            let fetched = source.fetch(&chunk.uid_set()).await?;
            let mut present = Vec::with_capacity(fetched.len());
            for uid in &chunk.uids {
                match fetched.iter().find(|m| m.uid == *uid) {
                    Some(message) => present.push(message),
                    None => {
                        // Listed but not returned (expunged meanwhile, or unreadable): nothing to copy now.
                        let reason = "the source server listed this message but did not return it";
                        journal.quarantine(folder_id, *uid, reason, None).await?;
                        report.quarantined.push(QuarantinedMessage {
                            uid: *uid,
                            reason: reason.into(),
                        });
                    }
                }
            }
            // The whole chunk in one MULTIAPPEND (all or nothing) where the server can; one by one when
            // it cannot, or when it refused the batch, to find and quarantine the message it refuses.
            let mut remaining = present.as_slice();
            if dest.can_append_many() && present.len() > 1 {
                let outgoing: Vec<Outgoing<'_>> = present
                    .iter()
                    .map(|m| Outgoing {
                        flags: &m.flags,
                        internal_date: m.internal_date.as_deref(),
                        body: &m.body,
                    })
                    .collect();
                match dest.append_many(&plan.destination_wire, &outgoing).await {
                    Ok(dest_uids) => {
                        let copied: Vec<(u32, Option<u32>, u64)> = present
                            .iter()
                            .zip(dest_uids)
                            .map(|(m, d)| (m.uid, d, m.body.len() as u64))
                            .collect();
                        journal.record_many(folder_id, &copied).await?;
                        report.copied_now += copied.len() as u64;
                        report.bytes_copied_now += copied.iter().map(|c| c.2).sum::<u64>();
                        this_run.insert(
                            plan.source_wire.clone(),
                            (report.copied_now, report.bytes_copied_now),
                        );
                        remaining = &[];
                    }
                    Err(ImapError::Refused { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
            for message in remaining {
                let outcome = dest
                    .append(
                        &plan.destination_wire,
                        &message.flags,
                        message.internal_date.as_deref(),
                        &message.body,
                    )
                    .await;
                match outcome {
                    Ok(appended) => {
                        journal
                            .record(
                                folder_id,
                                message.uid,
                                appended.map(|a| a.uid),
                                message.body.len() as u64,
                            )
                            .await?;
                        report.copied_now += 1;
                        report.bytes_copied_now += message.body.len() as u64;
                    }
                    Err(ImapError::Refused { text, .. }) => {
                        let reason = format!("the destination refused it: {text}");
                        journal
                            .quarantine(folder_id, message.uid, &reason, Some(&message.body))
                            .await?;
                        report.quarantined.push(QuarantinedMessage {
                            uid: message.uid,
                            reason,
                        });
                    }
                    Err(other) => return Err(other.into()),
                }
                // Kept per message: a reconnect after an error must still count what went before.
                this_run.insert(
                    plan.source_wire.clone(),
                    (report.copied_now, report.bytes_copied_now),
                );
            }
            progress(&Progress {
                folder: &plan.source_display,
                messages_done: report.copied_before + report.copied_now,
                messages_total: report.source_messages,
                bytes_done: report.bytes_copied_now,
                bytes_total: report.source_bytes,
            });
        }
        report.destination_messages = Some(dest.status(&plan.destination_wire).await?.messages);
        if report.complete() && report.quarantined.is_empty() {
            if let Some(uid_next) = status.uid_next {
                journal
                    .mark_synced(folder_id, uid_next, report.source_bytes)
                    .await?;
            }
        }
        reports.push(report);
    }
    source.logout().await;
    dest.logout().await;
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
