//! Reads `~{n}` literals (RFC 3516's literal8) as plain `{n}` literals. Cyrus answers `BODY[]` of a
//! message holding NUL bytes with one, which async-imap's parser does not know: without this, one such
//! message would stop the whole copy (the seed's "abort on the first corrupt message"). The bytes of a
//! literal are never looked at, so a body that happens to contain `~{5}` passes untouched.

/// The byte-stream filter, fed what the server sends in whatever pieces it arrives.
#[derive(Debug, Default, Clone)]
pub struct Literal8Filter {
    /// Bytes of the current literal still to pass through untouched.
    in_literal: u64,
    /// A `~` seen last, not yet passed on: it is dropped if a `{` follows.
    tilde: bool,
    scan: Scan,
}

/// Where we are in a possible `{n}\r\n` literal announcement.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Scan {
    #[default]
    Text,
    Open {
        n: u64,
        digits: bool,
    },
    Closed {
        n: u64,
    },
    Cr {
        n: u64,
    },
}

impl Literal8Filter {
    /// Appends the filtered form of `input` to `out`.
    pub fn filter(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            if self.in_literal > 0 {
                let take = usize::try_from(self.in_literal)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                out.extend_from_slice(&input[..take]);
                self.in_literal -= take as u64;
                input = &input[take..];
                continue;
            }
            let byte = input[0];
            input = &input[1..];
            if std::mem::take(&mut self.tilde) && byte != b'{' {
                out.push(b'~');
                self.scan = Scan::Text;
            }
            if byte == b'~' {
                self.tilde = true;
                continue;
            }
            out.push(byte);
            self.scan = match (self.scan, byte) {
                (_, b'{') => Scan::Open {
                    n: 0,
                    digits: false,
                },
                (Scan::Open { n, .. }, b'0'..=b'9') => Scan::Open {
                    n: n.saturating_mul(10).saturating_add(u64::from(byte - b'0')),
                    digits: true,
                },
                (Scan::Open { n, digits: true }, b'}') => Scan::Closed { n },
                (Scan::Closed { n }, b'\r') => Scan::Cr { n },
                (Scan::Cr { n }, b'\n') => {
                    self.in_literal = n;
                    Scan::Text
                }
                _ => Scan::Text,
            };
        }
    }

    /// At the end of the stream: a `~` held back was just a `~`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.tilde) {
            out.push(b'~');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(pieces: &[&[u8]]) -> Vec<u8> {
        let mut f = Literal8Filter::default();
        let mut out = Vec::new();
        for p in pieces {
            f.filter(p, &mut out);
        }
        f.finish(&mut out);
        out
    }

    #[test]
    fn binary_literals_become_plain_ones() {
        assert_eq!(
            run(&[b"* 1 FETCH (UID 7 BODY[] ~{5}\r\nab\0cd)\r\n"]),
            b"* 1 FETCH (UID 7 BODY[] {5}\r\nab\0cd)\r\n"
        );
    }

    #[test]
    fn literal_contents_are_never_touched() {
        let reply: &[u8] = b"* 1 FETCH (BODY[] {12}\r\nx ~{3}\r\nabc ) ~ok\r\n";
        assert_eq!(run(&[reply]), reply);
    }

    #[test]
    fn a_tilde_split_from_its_brace_is_still_seen() {
        assert_eq!(
            run(&[b"BODY[] ~", b"{2}\r\n", b"\0\0)"]),
            b"BODY[] {2}\r\n\0\0)"
        );
        assert_eq!(run(&[b"text ~"]), b"text ~");
    }

    proptest! {
        /// However the stream is cut into pieces, the result is the same.
        #[test]
        fn pieces_do_not_matter(
            body in prop::collection::vec(any::<u8>(), 0..200),
            cuts in prop::collection::vec(0usize..260, 0..8),
            binary in any::<bool>(),
        ) {
            let mut stream = format!("* 1 FETCH (UID 1 BODY[] {}{{{}}}\r\n", if binary { "~" } else { "" }, body.len()).into_bytes();
            stream.extend_from_slice(&body);
            stream.extend_from_slice(b")\r\nA1 OK done ~x\r\n");
            let whole = run(&[&stream]);
            let mut expected = format!("* 1 FETCH (UID 1 BODY[] {{{}}}\r\n", body.len()).into_bytes();
            expected.extend_from_slice(&body);
            expected.extend_from_slice(b")\r\nA1 OK done ~x\r\n");
            prop_assert_eq!(&whole, &expected);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut at = 0;
            for c in cuts {
                pieces.push(&stream[at..c]);
                at = c;
            }
            pieces.push(&stream[at..]);
            prop_assert_eq!(run(&pieces), expected);
        }
    }
}
