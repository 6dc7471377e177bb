//! Recognising a message that is already on the destination without the journal: by Message-ID,
//! INTERNALDATE (the instant: servers may normalise the zone) and size. Used when the journal cannot
//! say (the source renumbered a folder, or the process died between the destination's OK and the
//! journal write).
use std::collections::BTreeMap;

/// What identifies a message across servers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint {
    /// The Message-ID header, normalised (angle brackets and surrounding space kept as sent, folding
    /// removed); `None` when the message has none.
    pub message_id: Option<String>,
    /// INTERNALDATE as seconds since the epoch.
    pub internal_date: Option<i64>,
    pub size: u64,
}

/// The Message-ID from a header block (`BODY[HEADER.FIELDS (MESSAGE-ID)]`): the first one, unfolded.
pub fn message_id(header: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(header);
    let mut lines = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("message-id") {
            continue;
        }
        let mut value = value.trim().to_owned();
        // Folded continuation lines start with white space.
        while let Some(next) = lines.peek() {
            if !next.starts_with([' ', '\t']) {
                break;
            }
            value.push_str(next.trim());
            lines.next();
        }
        return (!value.is_empty()).then_some(value);
    }
    None
}

/// Pairs each source message with a distinct destination message of the same fingerprint, lowest
/// UIDs first. Messages are counted, not just compared: two identical source messages need two copies.
pub fn match_fingerprints(
    source: &[(u32, Fingerprint)],
    destination: &[(u32, Fingerprint)],
) -> Vec<(u32, u32)> {
    let mut available: BTreeMap<&Fingerprint, Vec<u32>> = BTreeMap::new();
    let mut destination: Vec<&(u32, Fingerprint)> = destination.iter().collect();
    destination.sort_by_key(|(uid, _)| std::cmp::Reverse(*uid));
    for (uid, fingerprint) in destination {
        // Reverse order, so `pop` hands out the lowest UID first.
        available.entry(fingerprint).or_default().push(*uid);
    }
    let mut source: Vec<&(u32, Fingerprint)> = source.iter().collect();
    source.sort_by_key(|(uid, _)| *uid);
    source
        .into_iter()
        .filter_map(|(uid, fingerprint)| {
            let dest_uid = available.get_mut(fingerprint)?.pop()?;
            Some((*uid, dest_uid))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fp(id: Option<&str>, date: i64, size: u64) -> Fingerprint {
        Fingerprint {
            message_id: id.map(str::to_owned),
            internal_date: Some(date),
            size,
        }
    }

    #[test]
    fn message_ids_from_headers() {
        assert_eq!(
            message_id(b"Message-ID: <a@b>\r\n\r\n").as_deref(),
            Some("<a@b>")
        );
        assert_eq!(
            message_id(b"message-id:\r\n  <folded@x>\r\n\r\n").as_deref(),
            Some("<folded@x>")
        );
        assert_eq!(message_id(b"\r\n"), None);
        assert_eq!(message_id(b"Message-ID:   \r\n\r\n"), None);
        assert_eq!(
            message_id(b"Message-Id: <first@x>\nMessage-Id: <second@x>\n").as_deref(),
            Some("<first@x>")
        );
    }

    #[test]
    fn matches_need_every_part_equal() {
        let source = [
            (1, fp(Some("<a>"), 100, 10)),
            (2, fp(Some("<b>"), 100, 10)),
            (3, fp(None, 100, 10)),
            (4, fp(Some("<a>"), 101, 10)),
            (5, fp(Some("<a>"), 100, 11)),
        ];
        let dest = [(7, fp(Some("<a>"), 100, 10)), (8, fp(None, 100, 10))];
        assert_eq!(match_fingerprints(&source, &dest), vec![(1, 7), (3, 8)]);
    }

    #[test]
    fn duplicates_are_counted() {
        let same = fp(Some("<dup>"), 5, 50);
        let source = [(10, same.clone()), (11, same.clone()), (12, same.clone())];
        let dest = [(21, same.clone()), (20, same)];
        assert_eq!(match_fingerprints(&source, &dest), vec![(10, 20), (11, 21)]);
    }

    proptest! {
        /// Every pairing is of equal fingerprints, no UID is used twice, and the number of pairs is the
        /// multiset intersection's size.
        #[test]
        fn matching_is_a_maximal_one_to_one_pairing(
            source in prop::collection::vec((0u8..4, 0i64..3, 0u64..3), 0..30),
            dest in prop::collection::vec((0u8..4, 0i64..3, 0u64..3), 0..30),
        ) {
            let make = |v: &[(u8, i64, u64)], base: u32| -> Vec<(u32, Fingerprint)> {
                v.iter().enumerate().map(|(i, (id, date, size))| {
                    let id = (*id > 0).then(|| format!("<{id}>"));
                    (base + i as u32, fp(id.as_deref(), *date, *size))
                }).collect()
            };
            let (source, dest) = (make(&source, 1), make(&dest, 1000));
            let pairs = match_fingerprints(&source, &dest);
            let find = |v: &[(u32, Fingerprint)], uid: u32| v.iter().find(|(u, _)| *u == uid).unwrap().1.clone();
            let mut seen_s = std::collections::BTreeSet::new();
            let mut seen_d = std::collections::BTreeSet::new();
            for (s, d) in &pairs {
                prop_assert_eq!(find(&source, *s), find(&dest, *d));
                prop_assert!(seen_s.insert(*s) && seen_d.insert(*d));
            }
            let count = |v: &[(u32, Fingerprint)]| {
                let mut m = BTreeMap::new();
                for (_, f) in v { *m.entry(f.clone()).or_insert(0usize) += 1; }
                m
            };
            let (cs, cd) = (count(&source), count(&dest));
            let expected: usize = cs.iter().map(|(f, n)| (*n).min(*cd.get(f).unwrap_or(&0))).sum();
            prop_assert_eq!(pairs.len(), expected);
        }
    }
}
