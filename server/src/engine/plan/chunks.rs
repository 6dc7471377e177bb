//! Which messages to fetch next, in byte-bounded chunks: memory stays flat whatever the mailbox size,
//! and every chunk is a checkpoint for the journal.
use std::collections::BTreeSet;
use std::fmt::Write;

/// A message as the source's `UID FETCH … (RFC822.SIZE)` listed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub uid: u32,
    pub size: u64,
}

/// Limits on one FETCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    pub max_bytes: u64,
    pub max_messages: usize,
}

/// One FETCH worth of messages (UIDs ascending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub uids: Vec<u32>,
    pub bytes: u64,
}

impl Chunk {
    /// The UID set for `UID FETCH`, with runs compressed (`3:7,9,12:13`).
    pub fn uid_set(&self) -> String {
        uid_set(&self.uids)
    }
}

/// The messages not yet copied (per the journal), in chunks. A message larger than `max_bytes` travels
/// alone: it is never skipped.
pub fn plan_chunks(listed: &[Listed], copied: &BTreeSet<u32>, limits: ChunkLimits) -> Vec<Chunk> {
    let mut todo: Vec<Listed> = listed
        .iter()
        .copied()
        .filter(|m| !copied.contains(&m.uid))
        .collect();
    todo.sort_by_key(|m| m.uid);
    todo.dedup_by_key(|m| m.uid);
    let max_messages = limits.max_messages.max(1);
    let mut chunks = Vec::new();
    let mut current = Chunk {
        uids: Vec::new(),
        bytes: 0,
    };
    for m in todo {
        let full = current.uids.len() >= max_messages
            || current.bytes.saturating_add(m.size) > limits.max_bytes;
        if !current.uids.is_empty() && full {
            chunks.push(std::mem::replace(
                &mut current,
                Chunk {
                    uids: Vec::new(),
                    bytes: 0,
                },
            ));
        }
        current.uids.push(m.uid);
        current.bytes = current.bytes.saturating_add(m.size);
    }
    if !current.uids.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Compresses ascending UIDs into an IMAP sequence set.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}:{end}");
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMITS: ChunkLimits = ChunkLimits {
        max_bytes: 100,
        max_messages: 3,
    };

    fn listed(pairs: &[(u32, u64)]) -> Vec<Listed> {
        pairs
            .iter()
            .map(|&(uid, size)| Listed { uid, size })
            .collect()
    }

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }

    #[test]
    fn chunks_respect_bytes_and_counts() {
        let chunks = plan_chunks(
            &listed(&[
                (1, 40),
                (2, 40),
                (3, 40),
                (4, 10),
                (5, 10),
                (6, 10),
                (7, 10),
            ]),
            &BTreeSet::new(),
            LIMITS,
        );
        let sets: Vec<String> = chunks.iter().map(Chunk::uid_set).collect();
        assert_eq!(sets, ["1:2", "3:5", "6:7"]);
        assert_eq!(chunks[1].bytes, 60);
    }

    #[test]
    fn a_huge_message_travels_alone_and_is_never_skipped() {
        let chunks = plan_chunks(
            &listed(&[(1, 10), (2, 10_000), (3, 10)]),
            &BTreeSet::new(),
            LIMITS,
        );
        let sets: Vec<String> = chunks.iter().map(Chunk::uid_set).collect();
        assert_eq!(sets, ["1", "2", "3"]);
    }

    #[test]
    fn copied_messages_are_left_out() {
        let copied: BTreeSet<u32> = [2, 3].into();
        let chunks = plan_chunks(&listed(&[(1, 1), (2, 1), (3, 1), (4, 1)]), &copied, LIMITS);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].uid_set(), "1,4");
        assert!(
            plan_chunks(&listed(&[(2, 1)]), &copied, LIMITS).is_empty(),
            "an up-to-date folder needs no fetch"
        );
    }

    proptest! {
        #[test]
        fn every_missing_message_is_planned_exactly_once_within_limits(
            msgs in prop::collection::btree_map(1u32..500, 0u64..300, 0..120),
            copied in prop::collection::btree_set(1u32..500, 0..60),
            max_bytes in 1u64..400,
            max_messages in 1usize..20,
        ) {
            let listed: Vec<Listed> = msgs.iter().map(|(&uid, &size)| Listed { uid, size }).collect();
            let limits = ChunkLimits { max_bytes, max_messages };
            let chunks = plan_chunks(&listed, &copied, limits);
            let planned: Vec<u32> = chunks.iter().flat_map(|c| c.uids.clone()).collect();
            let expected: Vec<u32> = msgs.keys().copied().filter(|u| !copied.contains(u)).collect();
            prop_assert_eq!(planned, expected);
            for c in &chunks {
                prop_assert!(!c.uids.is_empty() && c.uids.len() <= max_messages);
                prop_assert!(c.bytes <= max_bytes || c.uids.len() == 1);
                prop_assert_eq!(c.bytes, c.uids.iter().map(|u| msgs[u]).sum::<u64>());
            }
        }
    }
}
