//! The few headers IT needs to recognise a refused message (date, from, subject), read from bytes
//! that may be anything: encoded words in any charset decoded, the result made printable and short.
use mail_parser::MessageParser;

/// The most characters kept of one header.
pub const MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub date: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
}

/// What the headers of `raw` say; a header that is missing or unreadable is `None`.
pub fn summarize(raw: &[u8]) -> Summary {
    let Some(message) = MessageParser::default().parse_headers(raw) else {
        return Summary::default();
    };
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(address)) => Some(format!("{name} <{address}>")),
            (None, Some(address)) => Some(address.to_owned()),
            (Some(name), None) => Some(name.to_owned()),
            (None, None) => None,
        });
    Summary {
        date: message.date().map(|d| d.to_rfc3339()),
        from: from.and_then(|f| printable(&f)),
        subject: message.subject().and_then(printable),
    }
}

/// One line of at most [`MAX_CHARS`] characters without control characters (each run of them, tabs
/// and line breaks included, becomes one space); `None` when nothing is left.
pub fn printable(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut space = false;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if out.chars().count() >= MAX_CHARS {
            out.push('…');
            return Some(out);
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encoded_words_in_other_charsets_are_decoded() {
        let raw = b"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\r\n\
            Subject: =?UTF-8?B?0J/RgNC40LLQtdGCINC40Lcg0JzQvtGB0LrQstGL?=\r\n\
            Date: Tue, 1 Dec 2026 10:00:00 +0100\r\n\r\nbody";
        let s = summarize(raw);
        assert_eq!(s.from.as_deref(), Some("André <andre@example.org>"));
        assert_eq!(s.subject.as_deref(), Some("Привет из Москвы"));
        assert_eq!(s.date.as_deref(), Some("2026-12-01T10:00:00+01:00"));
    }

    #[test]
    fn broken_headers_give_what_can_be_read() {
        let s = summarize(b"From: a@example.org\nthis is not a header\nSubject: x\n\nbody");
        assert_eq!(s.from.as_deref(), Some("a@example.org"));
        assert_eq!(summarize(b"").subject, None);
        assert_eq!(printable("a\r\n\tb\u{0}c  "), Some("a b c".into()));
        assert_eq!(printable(" \u{7}\n"), None);
    }

    proptest! {
        #[test]
        fn any_bytes_give_short_printable_lines(raw in prop::collection::vec(any::<u8>(), 0..600)) {
            let s = summarize(&raw);
            for field in [s.date, s.from, s.subject].into_iter().flatten() {
                prop_assert!(!field.is_empty());
                prop_assert!(field.chars().count() <= MAX_CHARS + 1);
                prop_assert!(!field.chars().any(|c| c.is_control()), "{:?}", field);
            }
        }

        #[test]
        fn any_unicode_subject_survives(subject in "\\PC{1,80}") {
            let raw = format!("Subject: {subject}\r\n\r\n");
            let s = summarize(raw.as_bytes());
            prop_assert_eq!(s.subject, printable(subject.trim()));
        }
    }
}
