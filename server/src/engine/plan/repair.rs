//! Named repairs IT may apply to a message the destination refused, before it is sent again. Each is
//! a pure function of the bytes, applied to a copy: the original stays in the quarantine (and on the
//! old server), so a repair is never destructive and can be looked at before and after.
//!
//! A repair is *needed* exactly when it would change the message: offering one that does nothing
//! would be a lie to IT.

/// The longest header line RFC 5322 allows, without its CRLF.
pub const MAX_LINE: usize = 998;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    /// A line ending in LF alone (or CR alone) ends in CRLF.
    BareLf,
    /// NUL bytes become spaces, in messages without a part sent as `binary` (the only place a NUL
    /// may stand).
    Nul,
    /// A blank line is put where the headers end, before the first line that is not a header (or at
    /// the end of a message that is only headers).
    Separator,
    /// A header line over 998 bytes is folded at its spaces.
    LongHeader,
}

impl Repair {
    /// In the order they are applied: line endings first, so the others see CRLF lines.
    pub const ALL: [Repair; 4] = [
        Repair::BareLf,
        Repair::Nul,
        Repair::Separator,
        Repair::LongHeader,
    ];

    /// The stored form (also `app::dto::Repair`'s).
    pub fn as_str(self) -> &'static str {
        match self {
            Repair::BareLf => "bare_lf",
            Repair::Nul => "nul",
            Repair::Separator => "separator",
            Repair::LongHeader => "long_header",
        }
    }

    pub fn parse(stored: &str) -> Option<Repair> {
        Repair::ALL.into_iter().find(|r| r.as_str() == stored)
    }

    pub fn apply(self, raw: &[u8]) -> Vec<u8> {
        match self {
            Repair::BareLf => crlf(raw),
            Repair::Nul => no_nul(raw),
            Repair::Separator => separate(raw),
            Repair::LongHeader => fold_long_headers(raw),
        }
    }

    /// Whether applying it changes `raw`.
    pub fn needed(self, raw: &[u8]) -> bool {
        self.apply(raw) != raw
    }
}

/// The repairs that would change `raw`, in the order they apply.
pub fn needed(raw: &[u8]) -> Vec<Repair> {
    Repair::ALL.into_iter().filter(|r| r.needed(raw)).collect()
}

/// `raw` with `repairs` applied, in their fixed order whatever the order asked.
pub fn apply_all(raw: &[u8], repairs: &[Repair]) -> Vec<u8> {
    let mut out = raw.to_vec();
    for repair in Repair::ALL {
        if repairs.contains(&repair) {
            out = repair.apply(&out);
        }
    }
    out
}

/// Parses a stored list (`bare_lf,nul`); unknown names are left out.
pub fn parse_list(stored: &str) -> Vec<Repair> {
    stored.split(',').filter_map(Repair::parse).collect()
}

pub fn list(repairs: &[Repair]) -> String {
    repairs
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

fn no_nul(raw: &[u8]) -> Vec<u8> {
    if has_binary_part(raw) {
        return raw.to_vec();
    }
    raw.iter().map(|&b| if b == 0 { b' ' } else { b }).collect()
}

/// A part declared `Content-Transfer-Encoding: binary` may hold NULs on purpose.
fn has_binary_part(raw: &[u8]) -> bool {
    let lower = raw.to_ascii_lowercase();
    lower
        .windows(b"content-transfer-encoding:".len())
        .enumerate()
        .filter(|(_, w)| *w == b"content-transfer-encoding:")
        .any(|(at, w)| {
            let value = &lower[at + w.len()..];
            let value = value
                .iter()
                .position(|&b| b == b'\n')
                .map_or(value, |end| &value[..end]);
            value.trim_ascii() == b"binary"
        })
}

/// Lines of `raw`, each with its line ending (the last may have none).
fn lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    raw.split_inclusive(|&b| b == b'\n')
}

fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `Name:` with a name of printable ASCII but the colon (RFC 5322 field-name).
fn is_field(line: &[u8]) -> bool {
    let line = content(line);
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => line[..colon].iter().all(|&b| (33..=126).contains(&b)),
        _ => false,
    }
}

fn is_continuation(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t'))
}

/// Where the header section ends: `Ok(at)` after the blank line that ends it, or `Err(at)` where a
/// blank line is missing (before the first line that is not a header, or at the end).
fn header_end(raw: &[u8]) -> Result<usize, usize> {
    let mut at = 0;
    for (i, line) in lines(raw).enumerate() {
        if content(line).is_empty() && line.ends_with(b"\n") {
            return Ok(at + line.len());
        }
        let header = is_field(line) || (i > 0 && is_continuation(line));
        if !header {
            return Err(at);
        }
        at += line.len();
    }
    Err(at)
}

fn separate(raw: &[u8]) -> Vec<u8> {
    match header_end(raw) {
        Ok(_) => raw.to_vec(),
        Err(at) => {
            let mut out = Vec::with_capacity(raw.len() + 4);
            out.extend_from_slice(&raw[..at]);
            if at > 0 && !raw[..at].ends_with(b"\n") {
                // The last header had no line ending: end it, then the blank line.
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&raw[at..]);
            out
        }
    }
}

fn fold_long_headers(raw: &[u8]) -> Vec<u8> {
    let end = header_end(raw).unwrap_or_else(|at| at);
    let (head, body) = raw.split_at(end);
    let mut out = Vec::with_capacity(raw.len() + 16);
    for line in lines(head) {
        fold_line(line, &mut out);
    }
    out.extend_from_slice(body);
    out
}

/// Folds one header line at its last space or tab before each 998 bytes, when that makes every piece
/// short enough; a line with a run of 998 bytes without a space stays as it is (folding inside a word
/// would change the header's meaning, and folding only part of it would not make it acceptable).
fn fold_line(line: &[u8], out: &mut Vec<u8>) {
    let text = content(line);
    let ending = &line[text.len()..];
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > MAX_LINE {
        // A fold goes before a space, never at the start of the piece (that would leave it empty).
        let Some(fold) = rest[1..=MAX_LINE]
            .iter()
            .rposition(|&b| b == b' ' || b == b'\t')
            .map(|p| p + 1)
        else {
            out.extend_from_slice(line);
            return;
        };
        pieces.push(&rest[..fold]);
        rest = &rest[fold..];
    }
    for piece in pieces {
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(ending);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bare_line_endings_become_crlf() {
        assert_eq!(
            Repair::BareLf.apply(b"A: 1\nB: 2\r\n\nbody\rmore\n"),
            b"A: 1\r\nB: 2\r\n\r\nbody\r\nmore\r\n"
        );
        assert!(!Repair::BareLf.needed(b"A: 1\r\n\r\nbody\r\n"));
    }

    #[test]
    fn nul_becomes_a_space_unless_a_part_is_binary() {
        assert_eq!(Repair::Nul.apply(b"A: 1\r\n\r\na\0b"), b"A: 1\r\n\r\na b");
        let binary = b"Content-Transfer-Encoding:  Binary \r\n\r\na\0b";
        assert!(!Repair::Nul.needed(binary));
    }

    #[test]
    fn the_missing_blank_line_goes_before_the_first_line_that_is_not_a_header() {
        assert_eq!(
            Repair::Separator.apply(b"From: a\r\nSubject: s\r\n  folded\r\nhello there\r\n"),
            b"From: a\r\nSubject: s\r\n  folded\r\n\r\nhello there\r\n"
        );
        // Only headers: the blank line ends them.
        assert_eq!(Repair::Separator.apply(b"From: a\r\n"), b"From: a\r\n\r\n");
        assert_eq!(Repair::Separator.apply(b"From: a"), b"From: a\r\n\r\n");
        // The seed's "invalid header": a line in the headers that is not one.
        assert_eq!(
            Repair::Separator.apply(b"From: a\r\nnot a header\r\nSubject: b\r\n\r\nbody"),
            b"From: a\r\n\r\nnot a header\r\nSubject: b\r\n\r\nbody"
        );
        assert!(!Repair::Separator.needed(b"From: a\r\n\r\n"));
    }

    #[test]
    fn long_header_lines_fold_at_spaces() {
        let long = format!("Subject: {}\r\n\r\nbody", "word ".repeat(400));
        let folded = Repair::LongHeader.apply(long.as_bytes());
        let head = &folded[..folded.len() - 4];
        assert!(lines(head).all(|l| content(l).len() <= MAX_LINE));
        // Unfolding (RFC 5322: remove CRLF before WSP) gives the header back.
        let unfolded = String::from_utf8(folded).unwrap().replace("\r\n ", " ");
        assert_eq!(unfolded, long);
        // Nothing to fold at: left alone, and not offered.
        let word = format!("Subject: {}\r\n\r\n", "x".repeat(1200));
        assert!(!Repair::LongHeader.needed(word.as_bytes()));
    }

    #[test]
    fn stored_lists_read_back() {
        let all = Repair::ALL.to_vec();
        assert_eq!(parse_list(&list(&all)), all);
        assert_eq!(
            parse_list("nul,unknown,,bare_lf"),
            vec![Repair::Nul, Repair::BareLf]
        );
    }

    fn unfold(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i..].starts_with(b"\r\n") && matches!(raw.get(i + 2), Some(b' ' | b'\t')) {
                i += 2;
                continue;
            }
            out.push(raw[i]);
            i += 1;
        }
        out
    }

    fn message() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"\r\n".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\0".to_vec()),
            Just(b" ".to_vec()),
            Just(b"Subject: ".to_vec()),
            Just(b"X-Long: ".to_vec()),
            Just(vec![b'w'; 300]),
            "\\PC{0,12}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..8),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn every_repair_does_what_it_says_and_keeps_the_rest(raw in message()) {
            let fixed = Repair::BareLf.apply(&raw);
            for (i, &b) in fixed.iter().enumerate() {
                if b == b'\n' {
                    prop_assert!(i > 0 && fixed[i - 1] == b'\r', "LF alone at {}", i);
                }
                if b == b'\r' {
                    prop_assert_eq!(fixed.get(i + 1), Some(&b'\n'), "CR alone at {}", i);
                }
            }
            let text = |m: &[u8]| m.iter().copied().filter(|b| !b"\r\n".contains(b)).collect::<Vec<_>>();
            prop_assert_eq!(text(&fixed), text(&raw));

            let fixed = Repair::Nul.apply(&raw);
            prop_assert_eq!(fixed.len(), raw.len());
            prop_assert!(has_binary_part(&raw) || !fixed.contains(&0));

            let fixed = Repair::Separator.apply(&raw);
            prop_assert!(header_end(&fixed).is_ok(), "a separator after the repair");
            prop_assert!(fixed.starts_with(&raw[..header_end(&raw).unwrap_or_else(|at| at)]));

            // Folding only puts CRLF before spaces: unfolded (RFC 5322), the message is the same.
            let fixed = Repair::LongHeader.apply(&raw);
            prop_assert_eq!(unfold(&fixed), unfold(&raw));
        }

        #[test]
        fn needed_repairs_change_the_message_and_then_are_no_longer_needed(raw in message()) {
            for repair in needed(&raw) {
                let fixed = repair.apply(&raw);
                prop_assert_ne!(&fixed, &raw);
                prop_assert!(!repair.needed(&fixed), "{:?} is idempotent", repair);
            }
            let all = apply_all(&raw, &Repair::ALL);
            prop_assert_eq!(apply_all(&raw, &[Repair::LongHeader, Repair::BareLf, Repair::Separator, Repair::Nul]), all);
        }
    }
}
