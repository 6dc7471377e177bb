//! What a repair changes, shown to IT before it is applied: the header section line by line (a
//! longest-common-subsequence diff), line endings and NULs made visible, and the body in a sentence.
use app::dto::{Change, DiffLine};

use crate::engine::plan::quarantine::header_section;

/// Lines compared at most on each side; beyond, the rest is shown removed and added.
const MAX_LINES: usize = 400;

/// The header lines of `before` and `after`, as removed, added or the same.
pub fn header_diff(before: &[u8], after: &[u8]) -> Vec<DiffLine> {
    let (a, b) = (lines(header_section(before)), lines(header_section(after)));
    let (a_cut, b_cut) = (a.len().min(MAX_LINES), b.len().min(MAX_LINES));
    let mut out = lcs_diff(&a[..a_cut], &b[..b_cut]);
    out.extend(a[a_cut..].iter().map(|l| line(Change::Removed, l)));
    out.extend(b[b_cut..].iter().map(|l| line(Change::Added, l)));
    out
}

/// The body's change in words.
pub fn body_change(before: &[u8], after: &[u8]) -> String {
    let (a, b) = (body(before), body(after));
    if a == b {
        "The body is unchanged.".into()
    } else {
        let changed = a.iter().zip(b).filter(|(x, y)| x != y).count() + a.len().abs_diff(b.len());
        format!(
            "The body changes: {} bytes before, {} after ({changed} bytes differ or are added).",
            a.len(),
            b.len()
        )
    }
}

fn body(raw: &[u8]) -> &[u8] {
    &raw[header_section(raw).len()..]
}

fn lines(section: &[u8]) -> Vec<&[u8]> {
    section.split_inclusive(|&b| b == b'\n').collect()
}

fn lcs_diff(a: &[&[u8]], b: &[&[u8]]) -> Vec<DiffLine> {
    // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lengths = vec![vec![0u16; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i][j] = if a[i] == b[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(line(Change::Same, a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || lengths[i][j + 1] >= lengths[i + 1][j]) {
            out.push(line(Change::Added, b[j]));
            j += 1;
        } else {
            out.push(line(Change::Removed, a[i]));
            i += 1;
        }
    }
    out
}

/// A line made printable: CRLF is the normal ending and not shown; a bare LF, a lone CR, NUL and
/// other control bytes are shown as symbols, and bytes that are not UTF-8 as U+FFFD.
fn line(change: Change, raw: &[u8]) -> DiffLine {
    let (text, ending) = match raw.strip_suffix(b"\r\n") {
        Some(text) => (text, ""),
        None => match raw.strip_suffix(b"\n") {
            Some(text) => (text, "␊ (bare LF)"),
            None => (raw, ""),
        },
    };
    let mut shown: String = String::from_utf8_lossy(text)
        .chars()
        .map(|c| match c {
            '\0' => '␀',
            '\r' => '␍',
            '\t' => '\t',
            c if c.is_control() => '�',
            c => c,
        })
        .collect();
    shown.push_str(ending);
    DiffLine {
        change,
        text: shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(diff: &[DiffLine], keep: impl Fn(Change) -> bool) -> Vec<String> {
        diff.iter()
            .filter(|l| keep(l.change))
            .map(|l| l.text.clone())
            .collect()
    }

    #[test]
    fn a_repair_shows_as_lines_removed_and_added() {
        let before = b"From: a\nSubject: s\r\n\r\nbody\n";
        let after = b"From: a\r\nSubject: s\r\n\r\nbody\r\n";
        let diff = header_diff(before, after);
        assert_eq!(
            texts(&diff, |c| c == Change::Removed),
            ["From: a␊ (bare LF)"]
        );
        assert_eq!(texts(&diff, |c| c == Change::Added), ["From: a"]);
        assert_eq!(texts(&diff, |c| c == Change::Same), ["Subject: s", ""]);
        assert!(body_change(before, after).starts_with("The body changes"));
        assert_eq!(body_change(before, before), "The body is unchanged.");
    }

    proptest! {
        #[test]
        fn the_diff_holds_both_sides_in_order(
            a in prop::collection::vec("[a-c]{0,3}", 0..12),
            b in prop::collection::vec("[a-c]{0,3}", 0..12),
        ) {
            let msg = |ls: &[String]| ls.iter().map(|l| format!("X: {l}\r\n")).collect::<String>() + "\r\n";
            let (before, after) = (msg(&a), msg(&b));
            let diff = header_diff(before.as_bytes(), after.as_bytes());
            let old = texts(&diff, |c| c != Change::Added);
            let new = texts(&diff, |c| c != Change::Removed);
            let shown = |m: &str| m.split_inclusive('\n').map(|l| l.trim_end_matches("\r\n").to_owned()).collect::<Vec<_>>();
            prop_assert_eq!(old, shown(&before));
            prop_assert_eq!(new, shown(&after));
        }
    }
}
