//! What a copy run reports: per folder, source against destination, and the run's outcome.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every selected message is on the destination.
    Done,
    /// Some messages are quarantined or a folder needs a decision: nothing was lost, IT has to look.
    NeedsAttention,
}

impl Outcome {
    /// A partial folder is never "done": every listed message must be journalled as copied, and
    /// none quarantined. A dry run copies nothing, so it has nothing to attend to.
    pub fn of(folders: &[FolderReport], dry_run: bool) -> Outcome {
        if dry_run
            || folders
                .iter()
                .all(|f| f.complete() && f.quarantined.is_empty())
        {
            Outcome::Done
        } else {
            Outcome::NeedsAttention
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderReport {
    pub source: String,
    pub destination: String,
    pub notes: Vec<String>,
    pub source_messages: u64,
    pub source_bytes: u64,
    /// Nothing new since the last complete copy (same UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ): not
    /// listed again.
    pub unchanged: bool,
    /// The source folder was subscribed, and so is its destination now.
    pub subscribed: bool,
    pub copied_before: u64,
    pub copied_now: u64,
    pub bytes_copied_now: u64,
    /// Found on the destination without a journal entry (an append whose reply was lost, or a folder
    /// the source renumbered), by Message-ID, INTERNALDATE and size: journalled, not copied again.
    pub recovered: u64,
    /// Copied messages whose flags changed on the source since, updated on the destination.
    pub flags_updated: u64,
    pub quarantined: Vec<QuarantinedMessage>,
    /// Refused messages IT accepted as not migrated: still on the old server, never copied.
    pub left_behind: Vec<Decided>,
    /// Refused messages sent again with IT's repairs (this run or an earlier one).
    pub repaired: Vec<Decided>,
    /// Messages in the destination folder after the copy (it may hold more: merged or earlier mail).
    pub destination_messages: Option<u32>,
    /// Bytes in the destination folder after the copy.
    pub destination_bytes: Option<u64>,
}

impl FolderReport {
    /// Every listed message is journalled as copied, or IT accepted that it stays behind.
    pub fn complete(&self) -> bool {
        self.copied_before + self.copied_now + self.left_behind.len() as u64 == self.source_messages
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarantinedMessage {
    pub uid: u32,
    pub reason: String,
    /// Its raw bytes are in the quarantine whole; else only its headers (or nothing, when it could
    /// not be read): IT fetches it again from the old server by its UID.
    pub kept_whole: bool,
}

/// A quarantined message IT decided about, by its quarantine row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decided {
    pub quarantine_id: i64,
    pub uid: u32,
    /// The repairs applied (none for a message left behind).
    pub repairs: Vec<crate::engine::plan::repair::Repair>,
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

/// Progress of one folder: when it is sized (before copying; an estimate when `estimate`) and after
/// each chunk.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub folder: &'a str,
    pub messages_done: u64,
    pub messages_total: u64,
    /// Bytes copied from this folder in this run.
    pub bytes_done: u64,
    /// Bytes of this folder still to copy.
    pub bytes_left: u64,
    /// Sized from STATUS=SIZE before the folder was listed: the journal has not been consulted yet.
    pub estimate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(listed: u64, copied: u64, left_behind: u32, quarantined: u32) -> FolderReport {
        let decided = |uid| Decided {
            quarantine_id: i64::from(uid),
            uid,
            repairs: Vec::new(),
        };
        FolderReport {
            source: "INBOX".into(),
            destination: "INBOX".into(),
            notes: vec![],
            source_messages: listed,
            source_bytes: 0,
            unchanged: false,
            subscribed: false,
            copied_before: 0,
            copied_now: copied,
            bytes_copied_now: 0,
            recovered: 0,
            flags_updated: 0,
            quarantined: (0..quarantined)
                .map(|uid| QuarantinedMessage {
                    uid,
                    reason: "refused".into(),
                    kept_whole: true,
                })
                .collect(),
            left_behind: (0..left_behind).map(decided).collect(),
            repaired: vec![],
            destination_messages: None,
            destination_bytes: None,
        }
    }

    #[test]
    fn a_message_accepted_as_not_migrated_completes_its_folder_and_nothing_else_does() {
        assert_eq!(Outcome::of(&[folder(3, 2, 1, 0)], false), Outcome::Done);
        assert_eq!(
            Outcome::of(&[folder(3, 2, 0, 1)], false),
            Outcome::NeedsAttention
        );
        // Short of the listed count without a decision: never done.
        assert_eq!(
            Outcome::of(&[folder(3, 1, 1, 0)], false),
            Outcome::NeedsAttention
        );
        assert!(!folder(3, 2, 0, 0).complete());
    }
}
