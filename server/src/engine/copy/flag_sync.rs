//! Delta runs carry flag changes: what changed on the source since a message was copied is applied to
//! its copy (one STORE per distinct change, over a UID set), and the journal's base moves on.
use std::collections::BTreeMap;

use super::CopyError;
use crate::engine::imap::{Destination, Source};
use crate::engine::journal::{Journal, Journalled};
use crate::engine::plan::chunks::uid_set;
use crate::engine::plan::flags::{flag_changes, FlagChange};

/// Updates the destination copies of journalled messages whose source flags changed (since the
/// HIGHESTMODSEQ `since`, when the server has CONDSTORE; else all are compared). Returns how many.
/// Messages the destination gave no UID for (no UIDPLUS) cannot be addressed and keep their flags.
pub(super) async fn carry_flag_changes(
    source: &mut Source,
    dest: &mut Destination,
    journal: &Journal<'_>,
    folder_id: i64,
    dest_folder: &str,
    copied: &BTreeMap<u32, Journalled>,
    since: Option<u64>,
) -> Result<u64, CopyError> {
    let mut by_change: BTreeMap<FlagChange, Vec<u32>> = BTreeMap::new();
    let mut carried = Vec::new();
    for (uid, now) in source.flags(since).await? {
        let Some(Journalled {
            dest_uid: Some(dest_uid),
            flags: base,
        }) = copied.get(&uid)
        else {
            continue;
        };
        let change = flag_changes(base, &now);
        if !change.is_empty() {
            by_change.entry(change).or_default().push(*dest_uid);
            carried.push((uid, now));
        }
    }
    if carried.is_empty() {
        return Ok(0);
    }
    dest.open_folder(dest_folder, true).await?;
    for (change, mut dest_uids) in by_change {
        dest_uids.sort_unstable();
        // Bounded command lines: servers limit their length.
        for some in dest_uids.chunks(500) {
            dest.store_flags(&uid_set(some), &change).await?;
        }
    }
    journal.update_flags(folder_id, &carried).await?;
    Ok(carried.len() as u64)
}
