//! Copies one folder: skip it after one EXAMINE when nothing changed; else find what a lost reply or a
//! renumbering left unjournalled, carry flag changes of copied messages, then fetch what the journal
//! lacks in byte-bounded chunks, append, and journal. Every APPEND is announced in the journal first
//! (write-ahead), so a crash at any point leaves enough to resume without a duplicate.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use super::append::{not_returned, Appender, Repairs, PIECE_BYTES};
use super::flag_sync::carry_flag_changes;
use super::job::{CopiedThisRun, CopyError, CopyJob, ThisRun};
use super::recover::find_already_copied;
use crate::db::entity::journal_folder;
use crate::engine::imap::{
    Destination, FetchedChunk, FolderStatus, ImapError, Source, SourceMessage,
};
use crate::engine::journal::{Decision, FolderKey, Journal, Journalled};
use crate::engine::plan::chunks::{plan_chunks, Chunk, Listed};
use crate::engine::plan::folders::FolderPlan;
use crate::engine::plan::step::{recovery, step, Examined, Known, Step};
use crate::engine::report::{Decided, FolderReport, Progress};
use crate::engine::throttle::ServerBudget;

/// What the workers copying one mailbox's folders share.
pub(super) struct Shared<'a> {
    /// Destination folders that exist (wire names).
    pub existing: Mutex<BTreeSet<String>>,
    /// Source folders the user subscribed to (wire names).
    pub subscribed: BTreeSet<String>,
    pub mailbox: String,
    pub dest_mailbox: String,
    pub this_run: &'a Mutex<CopiedThisRun>,
    pub progress: &'a (dyn Fn(&Progress<'_>) + Sync),
    pub source_budget: Arc<ServerBudget>,
    pub dest_budget: Arc<ServerBudget>,
}

/// One worker: its own connections, and what all share.
pub(super) struct FolderRun<'a> {
    pub journal: Journal<'a>,
    pub job: &'a CopyJob,
    pub source: Source,
    pub dest: Destination,
    pub shared: &'a Shared<'a>,
}

pub(super) async fn copy_folder(
    run: &mut FolderRun<'_>,
    plan: &FolderPlan,
) -> Result<FolderReport, CopyError> {
    let status = run.source.examine(&plan.source_wire).await?;
    let mut report = empty_report(plan, &status);
    let key = FolderKey {
        mailbox: &run.shared.mailbox,
        dest_mailbox: &run.shared.dest_mailbox,
        source_folder: &plan.source_wire,
        uid_validity: status.uid_validity.unwrap_or(0),
        dest_folder: &plan.destination_wire,
    };
    if let Some(earlier) = run.journal.earlier_validity(&key).await? {
        report.notes.push(format!(
            "the source renumbered this folder since an earlier copy (UIDVALIDITY {earlier}, now {}): \
             messages already on the destination are recognised by Message-ID, date and size, not copied again",
            key.uid_validity
        ));
    }
    let row = if run.job.dry_run {
        run.journal.find_folder(&key).await?
    } else {
        Some(run.journal.folder(&key).await?)
    };
    // What earlier attempts of this run did (before a reconnect) still counts as done now.
    let before = this_run_so_far(run, plan);
    report.copied_now = before.copied;
    report.bytes_copied_now = before.bytes;
    report.recovered = before.recovered;
    report.flags_updated = before.flags_updated;
    let examined = Examined {
        uid_next: status.uid_next,
        highest_modseq: status.highest_modseq,
    };
    let known = row.as_ref().map(known);
    match (step(known.as_ref(), &examined, run.job.dry_run), row) {
        (Step::Skip, Some(row)) => skip_unchanged(run, plan, &row, before, report).await,
        (Step::Count, row) => count(run, row, report).await,
        (Step::Copy, Some(row)) => copy_missing(run, plan, &status, row, before, report).await,
        (_, None) => unreachable!("only a dry run has no journal row, and it only counts"),
    }
}

fn empty_report(plan: &FolderPlan, status: &FolderStatus) -> FolderReport {
    FolderReport {
        source: plan.source_display.clone(),
        destination: plan.destination_display.clone(),
        notes: Vec::new(),
        source_messages: u64::from(status.messages),
        source_bytes: 0,
        unchanged: false,
        subscribed: false,
        copied_before: 0,
        copied_now: 0,
        bytes_copied_now: 0,
        recovered: 0,
        flags_updated: 0,
        quarantined: Vec::new(),
        left_behind: Vec::new(),
        repaired: Vec::new(),
        destination_messages: None,
        destination_bytes: None,
    }
}

fn known(row: &journal_folder::Model) -> Known {
    Known {
        synced_uid_next: row.synced_uid_next,
        synced_modseq: row.synced_modseq,
        inflight_uids: row.inflight_uids.clone(),
        inflight_floor: row.inflight_floor,
    }
}

fn this_run_so_far(run: &FolderRun<'_>, plan: &FolderPlan) -> ThisRun {
    run.shared
        .this_run
        .lock()
        .expect("this-run lock")
        .get(&plan.source_wire)
        .copied()
        .unwrap_or_default()
}

/// Nothing changed since the last complete copy: checked cheaply, as a no-op re-run must stay O(1)
/// per folder.
async fn skip_unchanged(
    run: &mut FolderRun<'_>,
    plan: &FolderPlan,
    row: &journal_folder::Model,
    before: ThisRun,
    mut report: FolderReport,
) -> Result<FolderReport, CopyError> {
    report.unchanged = true;
    report.source_bytes = row
        .synced_bytes
        .and_then(|b| u64::try_from(b).ok())
        .unwrap_or(0);
    report.copied_before = report.source_messages.saturating_sub(before.copied);
    verify(&mut run.dest, &plan.destination_wire, false, &mut report).await?;
    (run.shared.progress)(&Progress {
        folder: &plan.source_display,
        messages_done: report.source_messages,
        messages_total: report.source_messages,
        bytes_done: report.bytes_copied_now,
        bytes_left: 0,
        estimate: false,
    });
    Ok(report)
}

/// A dry run: what the folder holds, what the journal has of it, and what the destination will
/// refuse for its size.
async fn count(
    run: &mut FolderRun<'_>,
    row: Option<journal_folder::Model>,
    mut report: FolderReport,
) -> Result<FolderReport, CopyError> {
    let listed = list(run, &mut report).await?;
    let limit = run
        .job
        .max_message_bytes
        .or_else(|| append_limit(&run.dest.capabilities));
    if let Some(note) = limit.and_then(|limit| oversized_note(&listed, limit)) {
        report.notes.push(note);
    }
    if let Some(row) = row {
        report.copied_before = journalled_count(&listed, &run.journal.copied(row.id).await?);
    }
    Ok(report)
}

async fn list(
    run: &mut FolderRun<'_>,
    report: &mut FolderReport,
) -> Result<Vec<Listed>, CopyError> {
    let listed = run.source.list_messages().await?;
    report.source_messages = listed.len() as u64;
    report.source_bytes = listed.iter().map(|m| m.size).sum();
    Ok(listed)
}

fn journalled_count(listed: &[Listed], copied: &BTreeMap<u32, Journalled>) -> u64 {
    listed
        .iter()
        .filter(|m| copied.contains_key(&m.uid))
        .count() as u64
}

/// Copies what the journal lacks: first what the destination may hold without the journal's
/// knowing, then flag changes of what was copied, then the missing messages, chunk by chunk.
async fn copy_missing(
    run: &mut FolderRun<'_>,
    plan: &FolderPlan,
    status: &FolderStatus,
    row: journal_folder::Model,
    before: ThisRun,
    mut report: FolderReport,
) -> Result<FolderReport, CopyError> {
    let listed = list(run, &mut report).await?;
    let folder_id = row.id;
    let dest_exists = run
        .shared
        .existing
        .lock()
        .expect("existing lock")
        .contains(&plan.destination_wire);
    let mut copied = run.journal.copied(folder_id).await?;
    if let Some((uids, floor)) = recovery(&known(&row), copied.len(), listed.len()) {
        let found = if dest_exists {
            let (source, dest) = (&mut run.source, &mut run.dest);
            let folder = &plan.destination_wire;
            find_already_copied(source, dest, folder, &uids, floor, &copied).await?
        } else {
            Vec::new()
        };
        run.journal.record(folder_id, &found).await?;
        report.recovered += found.len() as u64;
        remember(run.shared.this_run, plan, &report);
        if !found.is_empty() {
            copied = run.journal.copied(folder_id).await?;
        }
    }
    report.copied_before = journalled_count(&listed, &copied).saturating_sub(before.copied);
    prepare_destination(run, plan, dest_exists, &mut report).await?;
    if !copied.is_empty() {
        let since = row.synced_modseq.and_then(|m| u64::try_from(m).ok());
        report.flags_updated += carry_flag_changes(
            &mut run.source,
            &mut run.dest,
            &run.journal,
            folder_id,
            &plan.destination_wire,
            &copied,
            since.filter(|_| status.highest_modseq.is_some()),
        )
        .await?;
        remember(run.shared.this_run, plan, &report);
    }
    let mut done: BTreeSet<u32> = copied.keys().copied().collect();
    let repairs = apply_decisions(&run.journal, folder_id, &listed, &mut done, &mut report).await?;
    copy_chunks(run, plan, folder_id, &listed, &done, &repairs, &mut report).await?;
    verify(&mut run.dest, &plan.destination_wire, true, &mut report).await?;
    // A folder with messages left behind is listed again next time, so the report keeps saying so.
    if report.complete() && report.quarantined.is_empty() && report.left_behind.is_empty() {
        if let Some(uid_next) = status.uid_next {
            let modseq = status.highest_modseq;
            run.journal
                .mark_synced(folder_id, uid_next, report.source_bytes, modseq)
                .await?;
        }
    }
    Ok(report)
}

/// IT's decisions for the listed messages: one accepted as not migrated counts as done (never sent);
/// one repaired earlier is reported; the repairs still to apply are returned by UID.
async fn apply_decisions(
    journal: &Journal<'_>,
    folder_id: i64,
    listed: &[Listed],
    done: &mut BTreeSet<u32>,
    report: &mut FolderReport,
) -> Result<Repairs, CopyError> {
    let mut repairs = Repairs::new();
    let decisions = journal.decisions(folder_id).await?;
    for m in listed {
        match decisions.get(&m.uid) {
            Some(Decision::LeaveBehind { quarantine_id }) if !done.contains(&m.uid) => {
                done.insert(m.uid);
                report.left_behind.push(Decided {
                    quarantine_id: *quarantine_id,
                    uid: m.uid,
                    repairs: Vec::new(),
                });
            }
            Some(Decision::Repair {
                quarantine_id,
                repairs: named,
                done: repaired,
            }) => {
                let decided = Decided {
                    quarantine_id: *quarantine_id,
                    uid: m.uid,
                    repairs: named.clone(),
                };
                if *repaired {
                    report.repaired.push(decided);
                } else if !done.contains(&m.uid) {
                    repairs.insert(m.uid, decided);
                }
            }
            _ => {}
        }
    }
    Ok(repairs)
}

/// The destination folder exists, subscribed when the source folder is (so it shows in the person's
/// mail program on the new server).
async fn prepare_destination(
    run: &mut FolderRun<'_>,
    plan: &FolderPlan,
    dest_exists: bool,
    report: &mut FolderReport,
) -> Result<(), CopyError> {
    if !dest_exists {
        run.dest.create(&plan.destination_wire).await?;
        run.shared
            .existing
            .lock()
            .expect("existing lock")
            .insert(plan.destination_wire.clone());
    }
    if run.shared.subscribed.contains(&plan.source_wire) {
        run.dest.subscribe(&plan.destination_wire).await?;
        report.subscribed = true;
    }
    Ok(())
}

/// Fetches what is not `done` in byte-bounded chunks and appends it; the next chunk is read while
/// the current one is written, so both servers stay busy.
async fn copy_chunks(
    run: &mut FolderRun<'_>,
    plan: &FolderPlan,
    folder_id: i64,
    listed: &[Listed],
    done: &BTreeSet<u32>,
    repairs: &Repairs,
    report: &mut FolderReport,
) -> Result<(), CopyError> {
    let mut appender = Appender {
        journal: &run.journal,
        dest: &mut run.dest,
        folder_id,
        folder: &plan.destination_wire,
        server: run.shared.dest_budget.key(),
        floor: None,
        quarantine_limits: run.job.quarantine,
        repairs,
    };
    let mut bytes_left: u64 = listed
        .iter()
        .filter(|m| !done.contains(&m.uid))
        .map(|m| m.size)
        .sum();
    folder_progress(run.shared, plan, report, bytes_left);
    let (source_budget, dest_budget) = (&run.shared.source_budget, &run.shared.dest_budget);
    let chunks = plan_chunks(listed, done, run.job.limits);
    let mut prefetched: Option<FetchedChunk> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let fetched = match prefetched.take() {
            Some(fetched) => fetched,
            None => read_chunk(&mut run.source, source_budget, chunk, run.job).await?,
        };
        let (messages, to_stream) = (fetched.messages, fetched.to_stream);
        let present = present(
            &run.journal,
            run.job,
            folder_id,
            chunk,
            &messages,
            &to_stream,
            report,
        )
        .await?;
        let write = async {
            let bytes: u64 = present.iter().map(|m| m.body.len() as u64).sum();
            // Waiting for the byte rate is not the server's time.
            dest_budget.pace(bytes).await;
            let writing = dest_budget.operation().await;
            let result = appender.append_chunk(&present, report).await;
            writing.ended(result.is_ok(), bytes);
            result
        };
        let read_next = async {
            match chunks.get(i + 1) {
                Some(next) => read_chunk(&mut run.source, source_budget, next, run.job)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        };
        let (written, read) = tokio::join!(write, read_next);
        // Kept before any error: a reconnect must still count what went before.
        remember(run.shared.this_run, plan, report);
        written?;
        prefetched = read?;
        // Memory: the chunk is gone before a big message is read.
        drop(present);
        drop(messages);
        // Big messages (or ones the server under-reported) travel alone, in bounded pieces.
        for uid in to_stream {
            appender
                .append_streamed(&mut run.source, source_budget, uid, run.job, report)
                .await?;
            remember(run.shared.this_run, plan, report);
        }
        bytes_left = bytes_left.saturating_sub(chunk.bytes);
        folder_progress(run.shared, plan, report, bytes_left);
    }
    Ok(())
}

fn folder_progress(shared: &Shared<'_>, plan: &FolderPlan, report: &FolderReport, bytes_left: u64) {
    (shared.progress)(&Progress {
        folder: &plan.source_display,
        messages_done: report.copied_before + report.copied_now,
        messages_total: report.source_messages,
        bytes_done: report.bytes_copied_now,
        bytes_left,
        estimate: false,
    })
}

/// The chunk's messages the source returned, in UID order; a listed one it did not return (and
/// that is not to be streamed) is put aside in the quarantine.
async fn present<'m>(
    journal: &Journal<'_>,
    job: &CopyJob,
    folder_id: i64,
    chunk: &Chunk,
    messages: &'m [SourceMessage],
    to_stream: &[u32],
    report: &mut FolderReport,
) -> Result<Vec<&'m SourceMessage>, CopyError> {
    let by_uid: BTreeMap<u32, &SourceMessage> = messages.iter().map(|m| (m.uid, m)).collect();
    let mut present = Vec::with_capacity(messages.len());
    for uid in &chunk.uids {
        match by_uid.get(uid) {
            Some(message) => present.push(*message),
            None if to_stream.contains(uid) => {}
            None => not_returned(journal, folder_id, *uid, job.quarantine, report).await?,
        }
    }
    Ok(present)
}

/// The most of one message fetched with a chunk; bigger ones are streamed in pieces of this size.
fn inline_max(chunk_bytes: u64) -> u64 {
    chunk_bytes.clamp(64 << 10, PIECE_BYTES)
}

/// Reads one chunk within the source's budget, every body bounded (see [`Source::fetch_chunk`]).
async fn read_chunk(
    source: &mut Source,
    budget: &Arc<ServerBudget>,
    chunk: &Chunk,
    job: &CopyJob,
) -> Result<FetchedChunk, ImapError> {
    budget.pace(chunk.bytes).await;
    let reading = budget.operation().await;
    let max = job.limits.max_bytes;
    let fetched = source
        .fetch_chunk(&chunk.uid_set(), inline_max(max), max.max(PIECE_BYTES))
        .await;
    reading.ended(fetched.is_ok(), chunk.bytes);
    fetched
}

/// Keeps what this attempt did, for the report of a later attempt after a reconnect.
fn remember(this_run: &Mutex<CopiedThisRun>, plan: &FolderPlan, report: &FolderReport) {
    this_run.lock().expect("this-run lock").insert(
        plan.source_wire.clone(),
        ThisRun {
            copied: report.copied_now,
            bytes: report.bytes_copied_now,
            recovered: report.recovered,
            flags_updated: report.flags_updated,
        },
    );
}

/// The destination folder's counts for the report, beside the source's.
async fn verify(
    dest: &mut Destination,
    folder: &str,
    thorough: bool,
    report: &mut FolderReport,
) -> Result<(), ImapError> {
    report.destination_messages = Some(dest.status(folder).await?.messages);
    report.destination_bytes = dest.folder_bytes(folder, thorough).await?;
    Ok(())
}

/// RFC 7889: the destination's `APPENDLIMIT=N`, the largest message it takes.
fn append_limit(capabilities: &[String]) -> Option<u64> {
    capabilities.iter().find_map(|c| {
        let (name, value) = c.split_once('=')?;
        name.eq_ignore_ascii_case("APPENDLIMIT")
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// What the scan says about messages the destination will refuse for their size.
fn oversized_note(listed: &[Listed], limit: u64) -> Option<String> {
    let over: Vec<u64> = listed
        .iter()
        .map(|m| m.size)
        .filter(|&s| s > limit)
        .collect();
    let largest = over.iter().copied().max()?;
    Some(format!(
        "{} message(s) are larger than the new server accepts ({}; the largest is {}): they will be kept aside \
         for IT, not lost",
        over.len(),
        megabytes(limit),
        megabytes(largest)
    ))
}

/// `1.5 MB`, `30 MB`: message size limits are set in megabytes, so the notes for IT say them so.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb < 10.0 {
        format!("{mb:.1} MB")
    } else {
        format!("{mb:.0} MB")
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn the_destinations_append_limit_is_read() {
        let caps = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            append_limit(&caps(&["IMAP4rev1", "APPENDLIMIT=35651584"])),
            Some(35_651_584)
        );
        assert_eq!(append_limit(&caps(&["IMAP4rev1", "APPENDLIMIT"])), None);
        assert_eq!(append_limit(&caps(&["IMAP4rev1"])), None);
    }

    #[test]
    fn oversized_messages_are_counted_against_the_limit() {
        let listed = |sizes: &[u64]| {
            sizes
                .iter()
                .enumerate()
                .map(|(i, &size)| Listed {
                    uid: i as u32 + 1,
                    size,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(oversized_note(&listed(&[10, 20]), 20), None);
        let note = oversized_note(&listed(&[10, 2_500_000, 30_000_000]), 1_000_000).unwrap();
        assert!(note.starts_with("2 message(s) are larger"), "{note}");
        assert!(note.contains("1.0 MB") && note.contains("30 MB"), "{note}");
    }
}
