//! A stream wrapper that keeps what the client wrote, for the never-delete audits in tests and the
//! helpdesk's transcript summary.
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The commands a session sent, line by line. Literal payloads (message bodies) are kept as their length
/// only, and secrets (LOGIN passwords, SASL responses) as `***`.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Recorder>>);

#[derive(Debug, Default)]
struct Recorder {
    log: String,
    line: Vec<u8>,
    /// Bytes of a literal still to come, and its full length.
    literal: (usize, usize),
    /// The previous line started a SASL exchange: the next line is a credential.
    in_sasl: bool,
}

impl Transcript {
    pub fn text(&self) -> String {
        self.0.lock().expect("transcript lock").log.clone()
    }

    fn record(&self, bytes: &[u8]) {
        let mut r = self.0.lock().expect("transcript lock");
        let mut rest = bytes;
        while !rest.is_empty() {
            if r.literal.0 > 0 {
                let take = r.literal.0.min(rest.len());
                r.literal.0 -= take;
                rest = &rest[take..];
                if r.literal.0 == 0 {
                    let len = r.literal.1;
                    r.log.push_str(&format!("<{len} bytes>"));
                }
                continue;
            }
            r.line.push(rest[0]);
            rest = &rest[1..];
            if r.line.ends_with(b"\n") {
                let line = std::mem::take(&mut r.line);
                r.finish_line(&line);
            }
        }
    }
}

impl Recorder {
    fn finish_line(&mut self, raw: &[u8]) {
        let line = String::from_utf8_lossy(raw);
        let words: Vec<&str> = line.trim_end().split(' ').collect();
        let command = words
            .get(1)
            .map(|w| w.to_ascii_uppercase())
            .unwrap_or_default();
        let shown = if self.in_sasl {
            self.in_sasl = false;
            "***\r\n".to_owned()
        } else if command == "LOGIN" && words.len() >= 4 {
            format!("{} LOGIN {} ***\r\n", words[0], words[2])
        } else if command == "AUTHENTICATE" && words.len() >= 3 {
            self.in_sasl = words.len() == 3;
            let initial_response = if words.len() > 3 { " ***" } else { "" };
            format!(
                "{} AUTHENTICATE {}{initial_response}\r\n",
                words[0], words[2]
            )
        } else {
            line.into_owned()
        };
        self.log.push_str(&shown);
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

#[derive(Debug)]
pub struct Recorded<S> {
    inner: S,
    transcript: Transcript,
}

impl<S> Recorded<S> {
    pub fn new(inner: S, transcript: Transcript) -> Self {
        Recorded { inner, transcript }
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
            self.transcript.record(&buf[..*n]);
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
    use super::Transcript;

    #[test]
    fn secrets_and_bodies_are_not_recorded() {
        let t = Transcript::default();
        // Written in pieces, the way an encoder may.
        t.record(b"A1 ");
        t.record(b"LOGIN \"alice\" \"s3cret\"\r\n");
        t.record(b"A2 AUTHENTICATE PLAIN\r\n");
        t.record(b"YWxpY2UAY3lyYWRtaW4AcHc=\r\n");
        t.record(b"A3 AUTHENTICATE XOAUTH2 dXNlcj1h\r\n");
        t.record(b"A4 APPEND \"INBOX\" () {10+}\r\n0123");
        t.record(b"45\r\n78\r\n");
        t.record(b"A5 SELECT INBOX\r\n");
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
}
