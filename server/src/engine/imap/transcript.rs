//! A stream wrapper that keeps what the client wrote: the whole text for the never-delete audits in
//! tests, and for the helpdesk the protocol summary of a run (commands by kind, errors), which is all
//! a product run keeps. Never message bodies or passwords.
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::ImapError;

/// The last errors a summary keeps, and how much of each.
const ERRORS_KEPT: usize = 5;
const ERROR_CHARS: usize = 300;

/// What the sessions given it sent (any number of connections may share one): each command line,
/// literal payloads (message bodies) as their length only and secrets (LOGIN passwords, SASL
/// responses) as `***`; commands counted by kind; errors the sessions met.
#[derive(Debug, Clone)]
pub struct Transcript(Arc<Mutex<Shared>>);

#[derive(Debug)]
struct Shared {
    /// The lines sent; `None` when only counting.
    log: Option<String>,
    commands: BTreeMap<String, u64>,
    errors: u64,
    last_errors: VecDeque<String>,
}

/// Commands by kind and errors, as counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// (`UID FETCH`, 12), by name.
    pub commands: Vec<(String, u64)>,
    pub errors: u64,
    /// The last few, oldest first.
    pub last_errors: Vec<String>,
}

impl Default for Transcript {
    /// Keeps the text (for tests and audits).
    fn default() -> Self {
        Transcript::with_log(Some(String::new()))
    }
}

impl Transcript {
    /// Counts commands and errors and keeps no text: what a long run can afford.
    pub fn counting() -> Self {
        Transcript::with_log(None)
    }

    fn with_log(log: Option<String>) -> Self {
        Transcript(Arc::new(Mutex::new(Shared {
            log,
            commands: BTreeMap::new(),
            errors: 0,
            last_errors: VecDeque::new(),
        })))
    }

    /// The lines sent (empty when only counting).
    pub fn text(&self) -> String {
        self.lock().log.clone().unwrap_or_default()
    }

    pub fn summary(&self) -> Summary {
        let shared = self.lock();
        Summary {
            commands: shared
                .commands
                .iter()
                .map(|(name, n)| (name.clone(), *n))
                .collect(),
            errors: shared.errors,
            last_errors: shared.last_errors.iter().cloned().collect(),
        }
    }

    /// A session met `e`.
    pub(super) fn error(&self, e: &ImapError) {
        let mut shared = self.lock();
        shared.errors += 1;
        if shared.last_errors.len() == ERRORS_KEPT {
            shared.last_errors.pop_front();
        }
        let text: String = e.to_string().chars().take(ERROR_CHARS).collect();
        shared.last_errors.push_back(text);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0.lock().expect("transcript lock")
    }

    fn line(&self, shown: &str, command: Option<String>) {
        let mut shared = self.lock();
        if let Some(log) = &mut shared.log {
            log.push_str(shown);
        }
        if let Some(command) = command {
            *shared.commands.entry(command).or_default() += 1;
        }
    }

    fn literal(&self, len: usize) {
        if let Some(log) = &mut self.lock().log {
            log.push_str(&format!("<{len} bytes>"));
        }
    }
}

/// One connection's place in what it writes: lines are cut, literals skipped, per connection.
#[derive(Debug, Default)]
struct Recorder {
    line: Vec<u8>,
    /// Bytes of a literal still to come, and its full length.
    literal: (usize, usize),
    /// The previous line started a SASL exchange: the next line is a credential.
    in_sasl: bool,
    /// The next line continues a command after its literal (not a command of its own).
    continuing: bool,
}

impl Recorder {
    fn record(&mut self, bytes: &[u8], to: &Transcript) {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.literal.0 > 0 {
                let take = self.literal.0.min(rest.len());
                self.literal.0 -= take;
                rest = &rest[take..];
                if self.literal.0 == 0 {
                    to.literal(self.literal.1);
                    self.continuing = true;
                }
                continue;
            }
            self.line.push(rest[0]);
            rest = &rest[1..];
            if self.line.ends_with(b"\n") {
                let line = std::mem::take(&mut self.line);
                self.finish_line(&line, to);
            }
        }
    }

    fn finish_line(&mut self, raw: &[u8], to: &Transcript) {
        let line = String::from_utf8_lossy(raw);
        let words: Vec<&str> = line.trim_end().split(' ').collect();
        let command = words
            .get(1)
            .map(|w| w.to_ascii_uppercase())
            .unwrap_or_default();
        let continuing = std::mem::take(&mut self.continuing);
        let (shown, kind) = if self.in_sasl {
            self.in_sasl = false;
            ("***\r\n".to_owned(), None)
        } else if continuing {
            (line.clone().into_owned(), None)
        } else if command == "LOGIN" && words.len() >= 4 {
            (
                format!("{} LOGIN {} ***\r\n", words[0], words[2]),
                command_kind(&words),
            )
        } else if command == "AUTHENTICATE" && words.len() >= 3 {
            self.in_sasl = words.len() == 3;
            let initial_response = if words.len() > 3 { " ***" } else { "" };
            (
                format!(
                    "{} AUTHENTICATE {}{initial_response}\r\n",
                    words[0], words[2]
                ),
                command_kind(&words),
            )
        } else {
            (line.clone().into_owned(), command_kind(&words))
        };
        to.line(&shown, kind);
        if let Some(n) = literal_announced(raw) {
            self.literal = (n, n);
        }
    }
}

/// `{N}`, `{N+}` or `~{N}` at the end of a line: N literal bytes follow.
fn literal_announced(raw: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(raw)
        .ok()?
        .trim_end_matches(['\r', '\n']);
    let inner = text.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    inner[open + 1..]
        .trim_end_matches('+')
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// `SELECT`, `UID FETCH`: the command of a tagged line split at spaces, if it names one.
fn command_kind(words: &[&str]) -> Option<String> {
    let name = |i: usize| {
        words
            .get(i)
            .filter(|w| {
                !w.is_empty() && w.len() <= 20 && w.bytes().all(|b| b.is_ascii_alphabetic())
            })
            .map(|w| w.to_ascii_uppercase())
    };
    let first = name(1)?;
    if first == "UID" {
        return name(2).map(|second| format!("UID {second}"));
    }
    Some(first)
}

#[derive(Debug)]
pub struct Recorded<S> {
    inner: S,
    transcript: Transcript,
    recorder: Recorder,
}

impl<S> Recorded<S> {
    pub fn new(inner: S, transcript: Transcript) -> Self {
        Recorded {
            inner,
            transcript,
            recorder: Recorder::default(),
        }
    }

    /// The stream under the recorder (to turn compression on).
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The stream and its transcript, apart (to put TLS under the recorder after STARTTLS).
    pub fn into_parts(self) -> (S, Transcript) {
        (self.inner, self.transcript)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            let this = &mut *self;
            this.recorder.record(&buf[..*n], &this.transcript);
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `pieces` written on one connection into `t`.
    fn write(t: &Transcript, pieces: &[&[u8]]) {
        let mut recorder = Recorder::default();
        for piece in pieces {
            recorder.record(piece, t);
        }
    }

    #[test]
    fn secrets_and_bodies_are_not_recorded() {
        let t = Transcript::default();
        // Written in pieces, the way an encoder may.
        write(
            &t,
            &[
                b"A1 ",
                b"LOGIN \"alice\" \"s3cret\"\r\n",
                b"A2 AUTHENTICATE PLAIN\r\n",
                b"YWxpY2UAY3lyYWRtaW4AcHc=\r\n",
                b"A3 AUTHENTICATE XOAUTH2 dXNlcj1h\r\n",
                b"A4 APPEND \"INBOX\" () {10+}\r\n0123",
                b"45\r\n78\r\n",
                b"A5 SELECT INBOX\r\n",
            ],
        );
        let text = t.text();
        assert!(
            !text.contains("s3cret") && !text.contains("YWxp") && !text.contains("dXNl"),
            "{text}"
        );
        assert!(text.contains("A1 LOGIN \"alice\" ***"), "{text}");
        assert!(
            text.contains("A4 APPEND \"INBOX\" () {10+}\r\n<10 bytes>\r\nA5 SELECT INBOX"),
            "{text}"
        );
        assert!(!text.contains("0123"), "{text}");
    }

    #[test]
    fn commands_are_counted_by_kind_and_continuations_are_not_commands() {
        let t = Transcript::counting();
        write(
            &t,
            &[
                b"A1 LOGIN alice secret\r\n",
                b"A2 SELECT INBOX\r\nA3 uid fetch 1:* (FLAGS)\r\n",
                // MULTIAPPEND: the second message continues the command after the first literal.
                b"A4 APPEND \"INBOX\" () {3+}\r\nabc () {2+}\r\nde\r\n",
                b"A5 UID FETCH 2 BODY.PEEK[]\r\nA6 SELECT Sent\r\n",
            ],
        );
        let summary = t.summary();
        assert_eq!(
            summary.commands,
            [
                ("APPEND".to_owned(), 1),
                ("LOGIN".to_owned(), 1),
                ("SELECT".to_owned(), 2),
                ("UID FETCH".to_owned(), 2),
            ]
        );
        assert_eq!(t.text(), "", "counting keeps no text");
    }

    #[test]
    fn connections_sharing_a_transcript_keep_their_own_lines() {
        let t = Transcript::default();
        let (mut one, mut two) = (Recorder::default(), Recorder::default());
        one.record(b"A1 SEL", &t);
        two.record(b"B1 NOOP\r\n", &t);
        one.record(b"ECT INBOX\r\n", &t);
        assert_eq!(t.text(), "B1 NOOP\r\nA1 SELECT INBOX\r\n");
        assert_eq!(t.summary().commands.len(), 2);
    }

    #[test]
    fn the_last_errors_are_kept_short() {
        let t = Transcript::counting();
        for i in 0..8 {
            t.error(&ImapError::Refused {
                endpoint: "old:993".into(),
                during: "APPEND".into(),
                text: format!("{i} {}", "x".repeat(1000)),
            });
        }
        let summary = t.summary();
        assert_eq!(summary.errors, 8);
        assert_eq!(summary.last_errors.len(), ERRORS_KEPT);
        assert!(summary.last_errors[0].starts_with("old:993 refused APPEND: 3 "));
        assert!(summary
            .last_errors
            .iter()
            .all(|e| e.chars().count() <= ERROR_CHARS));
    }

    proptest! {
        #[test]
        fn a_password_never_reaches_the_summary_or_the_text(
            password in "[A-Za-z0-9!#%&]{6,30}",
            noise in prop::collection::vec(any::<u8>(), 0..200),
            cut in 0usize..60,
        ) {
            let t = Transcript::default();
            let login = format!("A1 LOGIN alice {password}\r\n");
            let (a, b) = login.as_bytes().split_at(cut.min(login.len()));
            let mut recorder = Recorder::default();
            recorder.record(a, &t);
            recorder.record(b, &t);
            recorder.record(&noise, &t);
            let text = t.text();
            prop_assert!(!text.contains(&password), "{}", text);
            for (name, _) in t.summary().commands {
                prop_assert!(!name.contains(&password));
                prop_assert!(name.len() <= 41 && !name.is_empty());
            }
        }
    }
}
