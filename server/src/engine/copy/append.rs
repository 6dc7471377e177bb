//! Appending into one destination folder: journalled ahead of every APPEND (so a lost reply is
//! recovered, never copied twice), a chunk at once where the server can, and a message it refuses
//! quarantined, never lost. Big messages stream through a spool file in bounded pieces.
use std::sync::Arc;

use super::job::CopyJob;
use super::CopyError;
use crate::engine::imap::{Destination, ImapError, Outgoing, Source, SourceMessage};
use crate::engine::journal::{Copied, Journal};
use crate::engine::plan::chunks::uid_set;
use crate::engine::plan::quarantine::{header_section, QuarantineLimits, MAX_HEADER_BYTES};
use crate::engine::plan::repair;
use crate::engine::report::{Decided, FolderReport, QuarantinedMessage};
use crate::engine::spool::Spool;
use crate::engine::throttle::ServerBudget;

/// One piece of a streamed message: what one FETCH response holds at most.
pub const PIECE_BYTES: u64 = 2 << 20;

/// The repairs IT asked for, by source UID.
pub(super) type Repairs = std::collections::BTreeMap<u32, Decided>;

/// Appends into one destination folder, journalling ahead of every APPEND.
pub(super) struct Appender<'r, 'j> {
    pub journal: &'r Journal<'j>,
    pub dest: &'r mut Destination,
    pub folder_id: i64,
    pub folder: &'r str,
    /// The destination server's address (`host:port`), for the metrics.
    pub server: &'r str,
    /// The destination's UIDNEXT or less: whatever the next APPEND adds lands at or above it.
    pub floor: Option<u32>,
    pub quarantine_limits: QuarantineLimits,
    pub repairs: &'r Repairs,
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
    pub(super) async fn append_chunk(
        &mut self,
        present: &[&SourceMessage],
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
        let text_only = present.iter().all(|m| !m.body.contains(&0));
        let as_read = present.iter().all(|m| !self.repairs.contains_key(&m.uid));
        if self.dest.can_append_many() && present.len() > 1 && text_only && as_read {
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
                    let bytes = copied.iter().map(|c| c.size).sum::<u64>();
                    report.copied_now += copied.len() as u64;
                    report.bytes_copied_now += bytes;
                    crate::metrics::copied(self.server, copied.len() as u64, bytes);
                    return Ok(());
                }
                // Nothing of a refused MULTIAPPEND is stored: go one by one.
                Err(ImapError::Refused { .. }) => self.journal.end_appends(self.folder_id).await?,
                Err(other) => return Err(other.into()),
            }
        }
        for message in present {
            self.append_one(
                message.uid,
                &message.flags,
                message.internal_date.as_deref(),
                Body::Memory(&message.body),
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
        body: Body<'_>,
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
        let repairs: &Repairs = self.repairs;
        let Some(decided) = repairs.get(&uid) else {
            return self
                .append_as_is(uid, flags, internal_date, body, report)
                .await;
        };
        // Repairs apply to a copy in memory; only messages the quarantine keeps whole are offered
        // them, so a spooled one is read whole here only when IT asked.
        let original = match body {
            Body::Memory(bytes) => bytes.to_vec(),
            Body::Spooled(spool) => spool.head(spool.len()).await?,
        };
        let fixed = repair::apply_all(&original, &decided.repairs);
        let len = fixed.len() as u64;
        let floor = self.floor().await?;
        self.journal
            .begin_appends(self.folder_id, &uid.to_string(), floor)
            .await?;
        match self
            .dest
            .append(self.folder, flags, internal_date, &fixed)
            .await
        {
            Ok(appended) => {
                self.appended(uid, flags, appended.map(|a| a.uid), len, report)
                    .await?;
                report.repaired.push(decided.clone());
            }
            Err(ImapError::Refused { text, .. }) => {
                let reason = format!("the destination refused it even repaired: {text}");
                let len = original.len() as u64;
                self.quarantine_refused(uid, reason, Body::Memory(&original), len, report)
                    .await?;
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }

    async fn appended(
        &mut self,
        uid: u32,
        flags: &[String],
        dest_uid: Option<u32>,
        len: u64,
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
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
        crate::metrics::copied(self.server, 1, len);
        Ok(())
    }

    async fn append_as_is(
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
                self.appended(uid, flags, appended.map(|a| a.uid), len, report)
                    .await?;
            }
            Err(ImapError::Refused { text, .. }) => {
                let reason = format!("the destination refused it: {text}");
                self.quarantine_refused(uid, reason, body, len, report)
                    .await?;
            }
            Err(other) => return Err(other.into()),
        }
        Ok(())
    }

    /// Puts a message the destination refused in the quarantine, as much of it as the limits keep
    /// (read only that far from a spool file).
    async fn quarantine_refused(
        &mut self,
        uid: u32,
        reason: String,
        body: Body<'_>,
        len: u64,
        report: &mut FolderReport,
    ) -> Result<(), CopyError> {
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
pub(super) async fn not_returned(
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
    pub(super) async fn append_streamed(
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
            source_budget.pace(PIECE_BYTES).await;
            let reading = source_budget.operation().await;
            let piece = source.fetch_piece(uid, spool.len(), PIECE_BYTES).await;
            let moved = piece
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .map_or(0, |p| p.body.len());
            reading.ended(piece.is_ok(), moved as u64);
            let piece = piece?;
            let Some(piece) = piece else {
                // Nothing at this offset: the message ended exactly here, or it is gone. Never
                // append part of a message: only a message still there is complete.
                if !spool.is_empty() && source.fetch_piece(uid, 0, 1).await?.is_none() {
                    meta = None;
                }
                break;
            };
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
