//! The one builder for every IMAP command Fountain writes by hand (STATUS SIZE, APPEND, NAMESPACE), and
//! the incremental reader of raw replies. Folder names and flags come from servers and people, so
//! quoting has a single home: a string is quoted when a quoted string can hold it, sent as a literal
//! when it holds CR, LF or 8-bit bytes, and refused when it holds NUL (no IMAP string can). Nothing an
//! argument holds can end a command or start another one.

/// Why an argument cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    #[error("{what} holds a NUL byte, which no IMAP command can carry")]
    Nul { what: &'static str },
    #[error("{what} {text:?} is not a valid IMAP atom")]
    NotAnAtom { what: &'static str, text: String },
    #[error("{what} holds a line break, which this command can only send as a quoted string")]
    LineBreak { what: &'static str },
}

/// How a string argument travels.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Encoded {
    Quoted(String),
    Literal(Vec<u8>),
}

/// RFC 3501 `quoted`: 7-bit text without CR and LF (`"` and `\` escaped); anything else a literal.
fn encode(what: &'static str, bytes: &[u8]) -> Result<Encoded, Unsendable> {
    if bytes.contains(&0) {
        return Err(Unsendable::Nul { what });
    }
    if bytes.iter().all(|&b| b < 0x80 && b != b'\r' && b != b'\n') {
        let mut quoted = String::with_capacity(bytes.len() + 2);
        quoted.push('"');
        for &b in bytes {
            if b == b'"' || b == b'\\' {
                quoted.push('\\');
            }
            quoted.push(b as char);
        }
        quoted.push('"');
        Ok(Encoded::Quoted(quoted))
    } else {
        Ok(Encoded::Literal(bytes.to_vec()))
    }
}

/// A string for a command that async-imap builds itself (it can only quote): refused when it holds
/// anything a quoted string cannot carry safely (NUL, CR, LF).
pub fn quotable<'a>(what: &'static str, s: &'a str) -> Result<&'a str, Unsendable> {
    if s.contains('\0') {
        return Err(Unsendable::Nul { what });
    }
    if s.contains(['\r', '\n']) {
        return Err(Unsendable::LineBreak { what });
    }
    Ok(s)
}

/// RFC 3501 ATOM-CHAR: printable ASCII but `(){ %*"\]` (a flag may start with `\`).
fn is_atom(s: &str, flag: bool) -> bool {
    let body = if flag {
        s.strip_prefix('\\').unwrap_or(s)
    } else {
        s
    };
    !body.is_empty()
        && body.bytes().all(|b| {
            (0x21..0x7f).contains(&b)
                && !matches!(
                    b,
                    b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']'
                )
        })
}

/// One command, as text with string arguments placed safely. Built with [`Command::new`] and the
/// argument methods, sent with [`Command::parts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The text so far, and the literals in order: `text[0] lit[0] text[1] lit[1] … text[n]`.
    texts: Vec<String>,
    literals: Vec<Vec<u8>>,
}

impl Command {
    /// A command verb of ours (`STATUS`, `APPEND`): a fixed atom, never built from input.
    pub fn new(verb: &'static str) -> Command {
        debug_assert!(verb.split(' ').all(|w| is_atom(w, false)), "{verb}");
        Command {
            texts: vec![verb.to_owned()],
            literals: Vec::new(),
        }
    }

    /// More of a command already started (MULTIAPPEND's next message): no verb of its own.
    pub fn continued() -> Command {
        Command {
            texts: vec![String::new()],
            literals: Vec::new(),
        }
    }

    fn push_text(&mut self, s: &str) {
        self.texts.last_mut().expect("never empty").push_str(s);
    }

    /// A string argument (a mailbox name, say), quoted or as a literal.
    pub fn string(mut self, what: &'static str, bytes: &[u8]) -> Result<Command, Unsendable> {
        self.push_text(" ");
        match encode(what, bytes)? {
            Encoded::Quoted(q) => self.push_text(&q),
            Encoded::Literal(l) => {
                self.literals.push(l);
                self.texts.push(String::new());
            }
        }
        Ok(self)
    }

    /// Fixed syntax of ours, such as `(SIZE)`.
    pub fn syntax(mut self, text: &'static str) -> Command {
        self.push_text(" ");
        self.push_text(text);
        self
    }

    /// A parenthesised list of flags (`\Seen`, keywords), each checked to be an atom.
    pub fn flags(mut self, flags: &[String]) -> Result<Command, Unsendable> {
        if let Some(bad) = flags.iter().find(|f| !is_atom(f, true)) {
            return Err(Unsendable::NotAnAtom {
                what: "a flag",
                text: bad.clone(),
            });
        }
        self.push_text(&format!(" ({})", flags.join(" ")));
        Ok(self)
    }

    /// The announcement of a literal the caller sends itself (an APPEND's message): `{n}`, `{n+}`,
    /// `~{n}` for BINARY. It must be the last thing in the command.
    pub fn literal_announcement(
        mut self,
        len: u64,
        binary: bool,
        non_synchronising: bool,
    ) -> Command {
        let tilde = if binary { "~" } else { "" };
        let plus = if non_synchronising { "+" } else { "" };
        self.push_text(&format!(" {tilde}{{{len}{plus}}}"));
        self
    }

    /// Whether sending needs the server's continuation between parts (a synchronising literal).
    pub fn has_literals(&self) -> bool {
        !self.literals.is_empty()
    }

    /// What to write, in order. With `literal_plus` (the server has LITERAL+) everything is one part;
    /// otherwise the server's `+` continuation must be read before each part after the first. Every
    /// part but the last ends with CRLF (after its literal's announcement); the sender ends the last.
    pub fn parts(&self, literal_plus: bool) -> Vec<Vec<u8>> {
        let plus = if literal_plus { "+" } else { "" };
        let mut parts = vec![Vec::new()];
        for (i, text) in self.texts.iter().enumerate() {
            let current = parts.last_mut().expect("never empty");
            current.extend_from_slice(text.as_bytes());
            if let Some(literal) = self.literals.get(i) {
                current.extend_from_slice(format!("{{{}{plus}}}\r\n", literal.len()).as_bytes());
                if !literal_plus {
                    parts.push(Vec::new());
                }
                parts
                    .last_mut()
                    .expect("never empty")
                    .extend_from_slice(literal);
            }
        }
        parts
    }

    /// The first part as text (it is ASCII: literals only start after it), for async-imap's
    /// `run_command`, which adds the tag and the CRLF.
    pub fn first_line(parts: &[Vec<u8>]) -> &str {
        std::str::from_utf8(&parts[0]).expect("command text before any literal is ASCII")
    }
}

/// What the raw reply reader saw in the bytes fed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Nothing decisive yet: read more.
    More,
    /// The server's `+` continuation: send the next part.
    Continuation,
    /// The tagged line that ends the reply.
    Done,
}

/// A raw reply, read incrementally and bounded: each byte is looked at once, literals in the reply
/// (`{n}`) are stepped over so their content can never look like the end, and a reply larger than
/// `max_bytes` is an error, not an allocation.
#[derive(Debug)]
pub struct ReplyReader {
    tag: Vec<u8>,
    max_bytes: usize,
    buf: Vec<u8>,
    /// Where the next unread line starts.
    scanned: usize,
    /// Literal bytes still to skip.
    literal_left: usize,
    /// Whether `scanned` is at the start of a response line (not just after a literal inside one).
    at_line_start: bool,
    continuations: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's reply is over {max_bytes} bytes")]
pub struct ReplyTooLong {
    pub max_bytes: usize,
}

impl ReplyReader {
    pub fn new(tag: &str, max_bytes: usize) -> ReplyReader {
        ReplyReader {
            tag: format!("{tag} ").into_bytes(),
            max_bytes,
            buf: Vec::new(),
            scanned: 0,
            literal_left: 0,
            at_line_start: true,
            continuations: 0,
        }
    }

    /// Takes the next bytes read from the server.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Seen, ReplyTooLong> {
        if self.buf.len() + bytes.len() > self.max_bytes {
            return Err(ReplyTooLong {
                max_bytes: self.max_bytes,
            });
        }
        self.buf.extend_from_slice(bytes);
        loop {
            if self.literal_left > 0 {
                let take = self.literal_left.min(self.buf.len() - self.scanned);
                self.scanned += take;
                self.literal_left -= take;
                if self.literal_left > 0 {
                    return Ok(Seen::More);
                }
                self.at_line_start = false;
            }
            let rest = &self.buf[self.scanned..];
            let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
                return Ok(Seen::More);
            };
            let line = &rest[..end];
            let starts = self.at_line_start;
            self.scanned += end + 2;
            if let Some(n) = literal_length(line) {
                self.literal_left = n;
                continue;
            }
            self.at_line_start = true;
            if starts && line.starts_with(&self.tag) {
                return Ok(Seen::Done);
            }
            if starts && (line == b"+" || line.starts_with(b"+ ")) {
                self.continuations += 1;
                return Ok(Seen::Continuation);
            }
        }
    }

    /// The reply so far, as text (a server's 8-bit bytes replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf).into_owned()
    }
}

/// `… {123}` or `… ~{123}` at the end of a line: the literal that follows it.
fn literal_length(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = inner[open + 1..]
        .strip_suffix(b"+")
        .unwrap_or(&inner[open + 1..]);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sent(c: &Command, plus: bool) -> Vec<String> {
        c.parts(plus)
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    }

    #[test]
    fn plain_names_are_quoted_and_escaped() {
        let c = Command::new("STATUS")
            .string("a folder name", br#"Odd "name" \ here"#)
            .unwrap()
            .syntax("(SIZE)");
        assert_eq!(sent(&c, false), [r#"STATUS "Odd \"name\" \\ here" (SIZE)"#]);
    }

    #[test]
    fn line_breaks_and_8bit_go_as_literals() {
        let c = Command::new("STATUS")
            .string("a folder name", b"evil\r\nA1 DELETE INBOX")
            .unwrap()
            .syntax("(SIZE)");
        assert_eq!(
            sent(&c, false),
            ["STATUS {21}\r\n", "evil\r\nA1 DELETE INBOX (SIZE)"]
        );
        assert_eq!(
            sent(&c, true),
            ["STATUS {21+}\r\nevil\r\nA1 DELETE INBOX (SIZE)"]
        );
        let c = Command::new("STATUS")
            .string("a folder name", "Entwürfe".as_bytes())
            .unwrap();
        assert_eq!(c.parts(true)[0], b"STATUS {9+}\r\nEntw\xc3\xbcrfe");
    }

    #[test]
    fn nul_and_bad_flags_are_refused() {
        assert!(matches!(
            Command::new("STATUS").string("a folder name", b"a\0b"),
            Err(Unsendable::Nul { .. })
        ));
        for bad in ["\\Seen)", "a b", "x\r\n", "", "\\", "k{3}"] {
            assert!(
                Command::new("APPEND").flags(&[bad.to_owned()]).is_err(),
                "{bad:?}"
            );
        }
        let ok = Command::new("APPEND")
            .flags(&["\\Seen".into(), "$Label1".into(), "Junk".into()])
            .unwrap();
        assert_eq!(sent(&ok, true), ["APPEND (\\Seen $Label1 Junk)"]);
        assert!(quotable("a folder name", "x\ny").is_err());
        assert!(quotable("a folder name", "x\0y").is_err());
        assert_eq!(quotable("a folder name", "Корзина"), Ok("Корзина"));
    }

    #[test]
    fn the_reader_finds_the_end_and_skips_literals() {
        let mut r = ReplyReader::new("FRAW", 1 << 20);
        assert_eq!(
            r.feed(b"* LIST () \"/\" {12}\r\nFRAW OK no\r\n\r\n")
                .unwrap(),
            Seen::More
        );
        assert_eq!(r.feed(b"+ go\r\n").unwrap(), Seen::Continuation);
        assert_eq!(r.feed(b"FRAW O").unwrap(), Seen::More);
        assert_eq!(r.feed(b"K done\r\n").unwrap(), Seen::Done);
        let mut small = ReplyReader::new("FRAW", 10);
        assert!(small.feed(b"* 0123456789").is_err());
    }

    fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            "\\PC{0,20}".prop_map(String::into_bytes),
            "[a-z\r\n\"\\\\ ]{0,20}".prop_map(String::into_bytes),
        ]
    }

    /// Reads a command's wire form the way a server would: the tag line ends at the first CRLF that
    /// is not inside an announced literal.
    fn server_reads(wire: &[u8]) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        let mut at = 0;
        let mut current = Vec::new();
        while at < wire.len() {
            let Some(end) = wire[at..].windows(2).position(|w| w == b"\r\n") else {
                current.extend_from_slice(&wire[at..]);
                break;
            };
            let line = &wire[at..at + end];
            current.extend_from_slice(line);
            at += end + 2;
            match literal_length(line) {
                Some(n) => {
                    current.extend_from_slice(&wire[at..(at + n).min(wire.len())]);
                    at += n;
                }
                None => lines.push(std::mem::take(&mut current)),
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }

    proptest! {
        #[test]
        fn no_argument_can_end_the_command(name in any_bytes(), plus in any::<bool>()) {
            let Ok(c) = Command::new("STATUS").string("a folder name", &name) else {
                prop_assert!(name.contains(&0));
                return Ok(());
            };
            let c = c.syntax("(SIZE)");
            let mut wire = Vec::new();
            for part in c.parts(plus) {
                wire.extend_from_slice(&part);
            }
            wire.extend_from_slice(b"\r\n");
            // Whatever the name holds, the server sees exactly one command line.
            prop_assert_eq!(server_reads(&wire).len(), 1, "{:?}", String::from_utf8_lossy(&wire));
            prop_assert!(wire.ends_with(b" (SIZE)\r\n"));
        }

        #[test]
        fn quoted_strings_unquote_to_the_input(name in "[ -~]{0,30}") {
            let c = Command::new("X").string("s", name.as_bytes()).unwrap();
            let text = String::from_utf8(c.parts(false).remove(0)).unwrap();
            let quoted = text.strip_prefix("X \"").unwrap().strip_suffix('"').unwrap();
            let mut unquoted = String::new();
            let mut chars = quoted.chars();
            while let Some(ch) = chars.next() {
                unquoted.push(if ch == '\\' { chars.next().unwrap() } else { ch });
            }
            prop_assert_eq!(unquoted, name);
        }

        #[test]
        fn the_reader_agrees_however_the_reply_is_split(split in 0usize..60) {
            let reply = b"* STATUS {7}\r\nA\r\nFRAW (SIZE 5)\r\nFRAW OK done\r\n";
            let mut r = ReplyReader::new("FRAW", 1 << 16);
            let cut = split.min(reply.len() - 1);
            let first = r.feed(&reply[..cut]).unwrap();
            prop_assert_eq!(first, Seen::More);
            prop_assert_eq!(r.feed(&reply[cut..]).unwrap(), Seen::Done);
        }
    }
}
