//! Finding messages the destination has but the journal does not: the APPEND whose reply was lost (the
//! process died, or the connection dropped, between the server's OK and the journal write), or a folder
//! the source renumbered (new UIDVALIDITY). Matched by Message-ID, INTERNALDATE and size, so they are
//! journalled instead of copied twice.
use std::collections::{BTreeMap, BTreeSet};

use crate::engine::imap::{Destination, ImapError, Source};
use crate::engine::journal::{Copied, Journalled};
use crate::engine::plan::fingerprint::match_fingerprints;

/// Source messages of `source_uids` (not yet journalled) that are already in `dest_folder` at or above
/// the destination UID `floor`, among the messages no journal entry claims. The source folder must be
/// the one examined.
pub(super) async fn find_already_copied(
    source: &mut Source,
    dest: &mut Destination,
    dest_folder: &str,
    source_uids: &str,
    floor: u32,
    copied: &BTreeMap<u32, Journalled>,
) -> Result<Vec<Copied>, ImapError> {
    let status = dest.open_folder(dest_folder, false).await?;
    if status.messages == 0 {
        return Ok(Vec::new());
    }
    let claimed: BTreeSet<u32> = copied.values().filter_map(|j| j.dest_uid).collect();
    // `N:*` always includes the highest UID, even below N: filter again.
    let candidates: Vec<_> = dest
        .fingerprints(&format!("{}:*", floor.max(1)))
        .await?
        .into_iter()
        .filter(|m| m.uid >= floor && !claimed.contains(&m.uid))
        .map(|m| (m.uid, m.fingerprint))
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let unjournalled: Vec<_> = source
        .fingerprints(source_uids)
        .await?
        .into_iter()
        .filter(|m| !copied.contains_key(&m.uid))
        .collect();
    let by_uid: BTreeMap<u32, _> = unjournalled.iter().map(|m| (m.uid, m)).collect();
    let pairs = match_fingerprints(
        &unjournalled
            .iter()
            .map(|m| (m.uid, m.fingerprint.clone()))
            .collect::<Vec<_>>(),
        &candidates,
    );
    Ok(pairs
        .into_iter()
        .map(|(uid, dest_uid)| {
            let message = by_uid[&uid];
            Copied {
                uid,
                dest_uid: Some(dest_uid),
                size: message.fingerprint.size,
                flags: message.flags.clone(),
            }
        })
        .collect())
}
