//! What one folder's copy does, decided from what the journal knows of it and what the source said
//! (pure; the copier in `copy::folder` does the I/O): skip it, only count it, or copy what it lacks,
//! after first recovering what the destination may hold without the journal's knowing.

/// The source folder as EXAMINE found it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Examined {
    pub uid_next: Option<u32>,
    /// With CONDSTORE only.
    pub highest_modseq: Option<u64>,
}

/// What the journal holds of the folder (as stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// UIDNEXT and HIGHESTMODSEQ at the end of the last complete copy.
    pub synced_uid_next: Option<i64>,
    pub synced_modseq: Option<i64>,
    /// Appends in flight when the last attempt stopped (a UID set, and the destination's UIDNEXT
    /// before them).
    pub inflight_uids: Option<String>,
    pub inflight_floor: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing new and no flag changed since the last complete copy: one EXAMINE was enough.
    /// (Without CONDSTORE, flag changes alone are not seen here.)
    Skip,
    /// A dry run: list and count, write nothing.
    Count,
    /// List, then copy what the journal does not have ([`recovery`] first).
    Copy,
}

/// The step for a folder the journal knows as `known` (`None`: never seen) and the source shows as
/// `examined`.
pub fn step(known: Option<&Known>, examined: &Examined, dry_run: bool) -> Step {
    let unchanged = match (known, examined.uid_next) {
        (Some(known), Some(uid_next)) => {
            let modseq = examined.highest_modseq.and_then(|m| i64::try_from(m).ok());
            known.synced_uid_next == Some(i64::from(uid_next)) && known.synced_modseq == modseq
        }
        _ => false,
    };
    match (unchanged, dry_run) {
        (true, _) => Step::Skip,
        (false, true) => Step::Count,
        (false, false) => Step::Copy,
    }
}

/// What must be looked for on the destination before copying, as a UID set of the source and the
/// lowest destination UID to search from: the appends in flight when the last attempt stopped; or,
/// when the journal has nothing for a folder with messages (first copy, a folder the source
/// renumbered, a journal lost or started afresh), whatever the destination folder already holds.
pub fn recovery(known: &Known, journalled: usize, listed: usize) -> Option<(String, u32)> {
    match (&known.inflight_uids, known.inflight_floor) {
        (Some(uids), Some(floor)) => Some((uids.clone(), u32::try_from(floor).unwrap_or(1))),
        _ if journalled == 0 && listed > 0 => Some(("1:*".to_owned(), 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn synced(uid_next: i64, modseq: Option<i64>) -> Known {
        Known {
            synced_uid_next: Some(uid_next),
            synced_modseq: modseq,
            ..Known::default()
        }
    }

    fn examined(uid_next: u32, modseq: Option<u64>) -> Examined {
        Examined {
            uid_next: Some(uid_next),
            highest_modseq: modseq,
        }
    }

    #[test]
    fn an_unchanged_folder_is_skipped_even_in_a_dry_run() {
        let known = synced(42, Some(7));
        assert_eq!(
            step(Some(&known), &examined(42, Some(7)), false),
            Step::Skip
        );
        assert_eq!(step(Some(&known), &examined(42, Some(7)), true), Step::Skip);
    }

    #[test]
    fn new_mail_a_flag_change_or_no_history_means_a_copy() {
        let known = synced(42, Some(7));
        assert_eq!(
            step(Some(&known), &examined(43, Some(7)), false),
            Step::Copy
        );
        assert_eq!(
            step(Some(&known), &examined(42, Some(8)), false),
            Step::Copy
        );
        assert_eq!(step(None, &examined(42, Some(7)), false), Step::Copy);
        assert_eq!(step(None, &examined(42, Some(7)), true), Step::Count);
        // A server that gives no UIDNEXT is never taken as unchanged.
        assert_eq!(step(Some(&known), &Examined::default(), false), Step::Copy);
    }

    #[test]
    fn appends_in_flight_are_looked_for_first() {
        let known = Known {
            inflight_uids: Some("5:9".into()),
            inflight_floor: Some(17),
            ..Known::default()
        };
        assert_eq!(recovery(&known, 4, 9), Some(("5:9".into(), 17)));
    }

    #[test]
    fn a_folder_the_journal_knows_nothing_of_is_searched_whole() {
        assert_eq!(recovery(&Known::default(), 0, 3), Some(("1:*".into(), 1)));
        assert_eq!(recovery(&Known::default(), 0, 0), None, "nothing to copy");
        assert_eq!(
            recovery(&Known::default(), 3, 3),
            None,
            "the journal vouches"
        );
    }

    proptest! {
        #[test]
        fn only_an_exact_match_of_the_last_copy_is_skipped(
            synced_next in proptest::option::of(0i64..100),
            synced_modseq in proptest::option::of(0i64..100),
            next in proptest::option::of(0u32..100),
            modseq in proptest::option::of(0u64..100),
            dry_run in proptest::bool::ANY,
        ) {
            let known = Known { synced_uid_next: synced_next, synced_modseq, ..Known::default() };
            let examined = Examined { uid_next: next, highest_modseq: modseq };
            let skipped = step(Some(&known), &examined, dry_run) == Step::Skip;
            let same = next.is_some()
                && synced_next == next.map(i64::from)
                && synced_modseq == modseq.map(|m| m as i64);
            prop_assert_eq!(skipped, same);
        }
    }
}
