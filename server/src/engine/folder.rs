//! Copies one folder: skip it after one EXAMINE when nothing changed; else find what a lost reply or a
//! renumbering left unjournalled, carry flag changes of copied messages, then fetch what the journal
//! lacks in byte-bounded chunks, append, and journal. Every APPEND is announced in the journal first
//! (write-ahead), so a crash at any point leaves enough to resume without a duplicate.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use super::copy::{CopiedThisRun, CopyError, CopyJob, ThisRun};
use super::flag_sync::carry_flag_changes;
use super::imap::{Destination, FetchedChunk, ImapError, Outgoing, Source, SourceMessage};
use super::journal::{Copied, FolderKey, Journal, Journalled};
use super::plan::chunks::{plan_chunks, uid_set, Chunk, Listed};
use super::plan::folders::FolderPlan;
use super::plan::quarantine::{header_section, QuarantineLimits, MAX_HEADER_BYTES};
use super::recover::find_already_copied;
use super::report::{FolderReport, Progress, QuarantinedMessage};
use super::spool::Spool;
use super::throttle::ServerBudget;

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
    let mut report = FolderReport {
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
        destination_messages: None,
        destination_bytes: None,
    };
    let key = FolderKey {
        mailbox: &run.shared.mailbox,
        dest_mailbox: &run.shared.dest_mailbox,
        source_folder: &plan.source_wire,
        uid_validity: status.uid_validity.unwrap_or(0),
        dest_folder: &plan.destination_wire,
    };
    let renumbered = run.journal.earlier_validity(&key).await?;
    if let Some(earlier) = renumbered {
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
    let before = run
        .shared
        .this_run
        .lock()
        .expect("this-run lock")
        .get(&plan.source_wire)
        .copied()
        .unwrap_or_default();
    // What earlier attempts of this run did (before a reconnect) still counts as done now.
    report.copied_now = before.copied;
    report.bytes_copied_now = before.bytes;
    report.recovered = before.recovered;
    report.flags_updated = before.flags_updated;
    // Nothing new and no flag changed since the last complete copy: one EXAMINE was enough (a no-op
    // re-run is O(folders)). Without CONDSTORE, flag changes alone are not seen here.
    if let (Some(row), Some(uid_next)) = (&row, status.uid_next) {
        let modseq = status.highest_modseq.and_then(|m| i64::try_from(m).ok());
        if row.synced_uid_next == Some(i64::from(uid_next)) && row.synced_modseq == modseq {
            report.unchanged = true;
            report.source_bytes = row
                .synced_bytes
                .and_then(|b| u64::try_from(b).ok())
                .unwrap_or(0);
            report.copied_before = report.source_messages.saturating_sub(before.copied);
            // Cheaply: an unchanged folder must stay O(1).
            verify(&mut run.dest, &plan.destination_wire, false, &mut report).await?;
            (run.shared.progress)(&Progress {
                folder: &plan.source_display,
                messages_done: report.source_messages,
                messages_total: report.source_messages,
                bytes_done: report.bytes_copied_now,
                bytes_left: 0,
                estimate: false,
            });
            return Ok(report);
        }
    }
    let listed = run.source.list_messages().await?;
    report.source_messages = listed.len() as u64;
    report.source_bytes = listed.iter().map(|m| m.size).sum();
    if run.job.dry_run {
        let limit = run
            .job
            .max_message_bytes
            .or_else(|| append_limit(&run.dest.capabilities));
        if let Some(note) = limit.and_then(|limit| oversized_note(&listed, limit)) {
            report.notes.push(note);
        }
    }
    let journalled_count = |copied: &BTreeMap<u32, Journalled>| {
        listed
            .iter()
            .filter(|m| copied.contains_key(&m.uid))
            .count() as u64
    };
    let row = match row {
        Some(row) if !run.job.dry_run => row,
        Some(row) => {
            report.copied_before = journalled_count(&run.journal.copied(row.id).await?);
            return Ok(report);
        }
        None => return Ok(report),
    };
    let folder_id = row.id;
    let dest_exists = run
        .shared
        .existing
        .lock()
        .expect("existing lock")
        .contains(&plan.destination_wire);
    let mut copied = run.journal.copied(folder_id).await?;

    // What the journal cannot vouch for: appends in flight when the last attempt stopped; or, when it
    // knows nothing of this folder yet (first copy, a source that renumbered the folder, a journal lost
    // or started afresh), whatever the destination folder already holds.
    let unsure = match (row.inflight_uids, row.inflight_floor) {
        (Some(uids), Some(floor)) => Some((uids, u32::try_from(floor).unwrap_or(1))),
        _ if copied.is_empty() && !listed.is_empty() => Some(("1:*".to_owned(), 1)),
        _ => None,
    };
    if let Some((uids, floor)) = unsure {
        let found = if dest_exists {
            find_already_copied(
                &mut run.source,
                &mut run.dest,
                &plan.destination_wire,
                &uids,
                floor,
                &copied,
            )
            .await?
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
    report.copied_before = journalled_count(&copied).saturating_sub(before.copied);

    if !dest_exists {
        run.dest.create(&plan.destination_wire).await?;
        run.shared
            .existing
            .lock()
            .expect("existing lock")
            .insert(plan.destination_wire.clone());
    }
    // Subscriptions follow the folder, so it shows in the user's mail program on the new server.
    if run.shared.subscribed.contains(&plan.source_wire) {
        run.dest.subscribe(&plan.destination_wire).await?;
        report.subscribed = true;
    }
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

    let done: BTreeSet<u32> = copied.keys().copied().collect();
    let mut appender = Appender {
        journal: &run.journal,
        dest: &mut run.dest,
        folder_id,
        folder: &plan.destination_wire,
        floor: None,
        quarantine_limits: run.job.quarantine,
    };
    let mut bytes_left: u64 = listed
        .iter()
        .filter(|m| !done.contains(&m.uid))
        .map(|m| m.size)
        .sum();
    let progress = |report: &FolderReport, bytes_left: u64| {
        (run.shared.progress)(&Progress {
            folder: &plan.source_display,
            messages_done: report.copied_before + report.copied_now,
            messages_total: report.source_messages,
            bytes_done: report.bytes_copied_now,
            bytes_left,
            estimate: false,
        })
    };
    progress(&report, bytes_left);
    let (source_budget, dest_budget) = (&run.shared.source_budget, &run.shared.dest_budget);
    let chunks = plan_chunks(&listed, &done, run.job.limits);
    // The next chunk is read while the current one is written: both servers stay busy.
    let mut prefetched: Option<FetchedChunk> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        let fetched = match prefetched.take() {
            Some(fetched) => fetched,
            None => read_chunk(&mut run.source, source_budget, chunk, run.job).await?,
        };
        let FetchedChunk {
            messages,
            to_stream,
        } = fetched;
        let by_uid: BTreeMap<u32, &SourceMessage> = messages.iter().map(|m| (m.uid, m)).collect();
        let mut present = Vec::with_capacity(messages.len());
        for uid in &chunk.uids {
            match by_uid.get(uid) {
                Some(message) => present.push(*message),
                None if to_stream.contains(uid) => {}
                None => {
                    not_returned(
                        &run.journal,
                        folder_id,
                        *uid,
                        run.job.quarantine,
                        &mut report,
                    )
                    .await?
                }
            }
        }
        let write = async {
            let bytes: u64 = present.iter().map(|m| m.body.len() as u64).sum();
            let writing = dest_budget.operation().await;
            dest_budget.pace(bytes).await;
            let result = appender.append_chunk(&present, &mut report).await;
            if result.is_ok() {
                writing.succeeded(bytes);
            }
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
        remember(run.shared.this_run, plan, &report);
        written?;
        prefetched = read?;
        // Memory: the chunk is gone before a big message is read.
        drop(present);
        drop(by_uid);
        drop(messages);
        // Big messages (or ones the server under-reported) travel alone, in bounded pieces.
        for uid in to_stream {
            appender
                .append_streamed(&mut run.source, source_budget, uid, run.job, &mut report)
                .await?;
            remember(run.shared.this_run, plan, &report);
        }
        bytes_left = bytes_left.saturating_sub(chunk.bytes);
        progress(&report, bytes_left);
    }
    verify(&mut run.dest, &plan.destination_wire, true, &mut report).await?;
    if report.complete() && report.quarantined.is_empty() {
        if let Some(uid_next) = status.uid_next {
            run.journal
                .mark_synced(
                    folder_id,
                    uid_next,
                    report.source_bytes,
                    status.highest_modseq,
                )
                .await?;
        }
    }
    Ok(report)
}

/// The most of one message fetched with a chunk; bigger ones are streamed in pieces of this size.
fn inline_max(chunk_bytes: u64) -> u64 {
    chunk_bytes.clamp(64 << 10, PIECE_BYTES)
}

/// One piece of a streamed message: what one FETCH response holds at most.
pub const PIECE_BYTES: u64 = 2 << 20;

/// Reads one chunk within the source's budget, every body bounded (see [`Source::fetch_chunk`]).
async fn read_chunk(
    source: &mut Source,
    budget: &Arc<ServerBudget>,
    chunk: &Chunk,
    job: &CopyJob,
) -> Result<FetchedChunk, ImapError> {
    let reading = budget.operation().await;
    budget.pace(chunk.bytes).await;
    let max = job.limits.max_bytes;
    let fetched = source
        .fetch_chunk(&chunk.uid_set(), inline_max(max), max.max(PIECE_BYTES))
        .await?;
    reading.succeeded(chunk.bytes);
    Ok(fetched)
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

/// Appends into one destination folder, journalling ahead of every APPEND.
struct Appender<'r, 'j> {
    journal: &'r Journal<'j>,
    dest: &'r mut Destination,
    folder_id: i64,
    folder: &'r str,
    /// The destination's UIDNEXT or less: whatever the next APPEND adds lands at or above it.
    floor: Option<u32>,
    quarantine_limits: QuarantineLimits,
}

impl Appender<'_, '_> {
    async fn floor(&mut self) -> Result<u32, ImapError> {
        if let Some(floor) = self.floor {
            return Ok(floor);
        }
        let floor = self.dest.status(self.folder).await?.uid_next.unwrap_or(1);
        self.floor = Some(floor);
        Ok(floor)
    }

    /// After the destination reported where messages landed, the floor can rise past them.
    fn landed(&mut self, dest_uids: impl IntoIterator<Item = Option<u32>>) {
        if let Some(last) = dest_uids.into_iter().flatten().max() {
            self.floor = Some(self.floor.unwrap_or(1).max(last + 1));
        }
    }

    /// The whole chunk in one MULTIAPPEND (all or nothing) where the server can; one by one when it
    /// cannot, or when it refused the batch, to find and quarantine the message it refuses.
    async fn append_chunk(
        &mut self,
        present: &[&SourceMessage],
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
        let text_only = present.iter().all(|m| !m.body.contains(&0));
        if self.dest.can_append_many() && present.len() > 1 && text_only {
            let outgoing: Vec<Outgoing<'_>> = present.iter().map(|m| outgoing(m)).collect();
            let uids: Vec<u32> = present.iter().map(|m| m.uid).collect();
            let floor = self.floor().await?;
            self.journal
                .begin_appends(self.folder_id, &uid_set(&uids), floor)
                .await?;
            match self.dest.append_many(self.folder, &outgoing).await {
                Ok(dest_uids) => {
                    self.landed(dest_uids.iter().copied());
                    let copied: Vec<Copied> = present
                        .iter()
                        .zip(dest_uids)
                        .map(|(m, dest_uid)| copied(m, dest_uid))
                        .collect();
                    self.journal.record(self.folder_id, &copied).await?;
                    report.copied_now += copied.len() as u64;
                    report.bytes_copied_now += copied.iter().map(|c| c.size).sum::<u64>();
                    return Ok(());
                }
                // Nothing of a refused MULTIAPPEND is stored: go one by one.
                Err(ImapError::Refused { .. }) => self.journal.end_appends(self.folder_id).await?,
                Err(other) => return Err(other.into()),
            }
        }
        for message in present {
            let body = Body::Memory(&message.body);
            self.append_one(
                message.uid,
                &message.flags,
                message.internal_date.as_deref(),
                body,
                report,
            )
            .await?;
        }
        Ok(())
    }

    /// Appends one message, journalled ahead; a refusal puts it in the quarantine (as much of it as
    /// the limits keep, read only that far from a spool file) and the run goes on.
    async fn append_one(
        &mut self,
        uid: u32,
        flags: &[String],
        internal_date: Option<&str>,
        mut body: Body<'_>,
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
        let floor = self.floor().await?;
        self.journal
            .begin_appends(self.folder_id, &uid.to_string(), floor)
            .await?;
        let len = body.len();
        let appended = match &mut body {
            Body::Memory(bytes) => {
                self.dest
                    .append(self.folder, flags, internal_date, bytes)
                    .await
            }
            Body::Spooled(spool) => {
                let has_nul = spool.has_nul();
                let reader = spool.reader().await?;
                self.dest
                    .append_from(self.folder, flags, internal_date, len, has_nul, reader)
                    .await
            }
        };
        match appended {
            Ok(appended) => {
                let dest_uid = appended.map(|a| a.uid);
                self.landed([dest_uid]);
                let copied = Copied {
                    uid,
                    dest_uid,
                    size: len,
                    flags: flags.to_vec(),
                };
                self.journal.record(self.folder_id, &[copied]).await?;
                report.copied_now += 1;
                report.bytes_copied_now += len;
            }
            Err(ImapError::Refused { text, .. }) => {
                let reason = format!("the destination refused it: {text}");
                let limits = self.quarantine_limits;
                let kept_whole = match body {
                    Body::Memory(bytes) => {
                        self.journal
                            .quarantine(self.folder_id, uid, &reason, Some(bytes), limits)
                            .await?
                    }
                    Body::Spooled(spool) => {
                        let whole = self
                            .journal
                            .keeps_whole(self.folder_id, len, limits)
                            .await?;
                        let head = spool
                            .head(if whole { len } else { MAX_HEADER_BYTES as u64 })
                            .await?;
                        let kept = if whole {
                            &head[..]
                        } else {
                            header_section(&head)
                        };
                        self.journal
                            .quarantine_kept(self.folder_id, uid, &reason, kept, whole, len)
                            .await?;
                        whole
                    }
                };
                self.journal.end_appends(self.folder_id).await?;
                report.quarantined.push(QuarantinedMessage {
                    uid,
                    reason,
                    kept_whole,
                });
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }
}

/// A message's bytes on their way to the destination.
enum Body<'a> {
    Memory(&'a [u8]),
    /// A big one, in its spool file.
    Spooled(&'a mut Spool),
}

impl Body<'_> {
    fn len(&self) -> u64 {
        match self {
            Body::Memory(bytes) => bytes.len() as u64,
            Body::Spooled(spool) => spool.len(),
        }
    }
}

/// A listed message the source did not return (expunged meanwhile, or unreadable): put aside with
/// nothing kept, never copied now.
async fn not_returned(
    journal: &Journal<'_>,
    folder_id: i64,
    uid: u32,
    limits: QuarantineLimits,
    report: &mut FolderReport,
) -> Result<(), CopyError> {
    let reason = "the source server listed this message but did not return it";
    journal
        .quarantine(folder_id, uid, reason, None, limits)
        .await?;
    report.quarantined.push(QuarantinedMessage {
        uid,
        reason: reason.into(),
        kept_whole: false,
    });
    Ok(())
}

impl Appender<'_, '_> {
    /// Copies one message in bounded pieces: from the source into a spool file (which learns its exact
    /// size, whatever the server claimed), then from the file into the APPEND literal. Memory holds one
    /// piece at a time.
    async fn append_streamed(
        &mut self,
        source: &mut Source,
        source_budget: &Arc<ServerBudget>,
        uid: u32,
        job: &CopyJob,
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
        let mut spool = Spool::create(&job.spool_dir).await?;
        let mut meta = None;
        loop {
            let reading = source_budget.operation().await;
            source_budget.pace(PIECE_BYTES).await;
            let piece = source.fetch_piece(uid, spool.len(), PIECE_BYTES).await?;
            let Some(piece) = piece else {
                // Nothing at this offset: the message ended exactly here, or it is gone. Never
                // append part of a message: only a message still there is complete.
                if !spool.is_empty() && source.fetch_piece(uid, 0, 1).await?.is_none() {
                    meta = None;
                }
                break;
            };
            reading.succeeded(piece.body.len() as u64);
            spool.write(&piece.body).await?;
            if meta.is_none() {
                meta = Some((piece.flags, piece.internal_date));
            }
            if (piece.body.len() as u64) < PIECE_BYTES {
                break;
            }
        }
        let Some((flags, internal_date)) = meta else {
            return not_returned(
                self.journal,
                self.folder_id,
                uid,
                self.quarantine_limits,
                report,
            )
            .await;
        };
        self.append_one(
            uid,
            &flags,
            internal_date.as_deref(),
            Body::Spooled(&mut spool),
            report,
        )
        .await
    }
}

fn outgoing(message: &SourceMessage) -> Outgoing<'_> {
    Outgoing {
        flags: &message.flags,
        internal_date: message.internal_date.as_deref(),
        body: &message.body,
    }
}

fn copied(message: &SourceMessage, dest_uid: Option<u32>) -> Copied {
    Copied {
        uid: message.uid,
        dest_uid,
        size: message.body.len() as u64,
        flags: message.flags.clone(),
    }
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
        app::format::human_size(limit),
        app::format::human_size(largest)
    ))
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
