//! Connecting and logging in, with a deadline on every network operation.
use std::future::Future;
use std::time::Duration;

use async_imap::Client;
use tokio::net::TcpStream;

use super::auth::{plain, xoauth2, Credentials, OneShot};
use super::command::{quotable, Command, ReplyReader, Seen, Unsendable};
use super::tls::{connector, is_loopback, server_name, Security, Trust};
use super::transcript::{Recorded, Transcript};
use super::wire::{Transport, Wire};

pub(super) type Stream = Recorded<Wire>;
pub(super) type Session = async_imap::Session<Stream>;

/// Where a server is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// Deadline for every single network operation (connect, a command, a chunk of a FETCH).
    pub timeout: Duration,
    pub security: Security,
    pub trust: Trust,
    /// The largest reply to a command Fountain reads itself (NAMESPACE, STATUS SIZE: a few lines):
    /// a server sending more is refused, not buffered.
    pub max_reply_bytes: usize,
    /// Turn on COMPRESS=DEFLATE (RFC 4978) when the server offers it: fewer bytes on a slow link,
    /// for CPU on both sides (off unless asked).
    pub compress: bool,
}

impl Endpoint {
    /// `imap://host:port` with STARTTLS (plain text allowed to loopback only) and a 2-minute deadline.
    pub fn new(host: impl Into<String>, port: u16) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            timeout: Duration::from_secs(120),
            security: Security::StartTls,
            trust: Trust::default(),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            compress: false,
        }
    }
}

impl Endpoint {
    /// From `imaps://host[:port]` (TLS, 993 by default) or `imap://host[:port]` (STARTTLS, 143);
    /// `None` for another scheme or a URL without a host. The user and password parts are not read.
    pub fn from_url(url: &url::Url, timeout: Duration, trust: Trust) -> Option<Endpoint> {
        let (security, default_port) = match url.scheme() {
            "imaps" => (Security::Tls, 993),
            "imap" => (Security::StartTls, 143),
            _ => return None,
        };
        Some(Endpoint {
            host: url.host_str()?.to_owned(),
            port: url.port().unwrap_or(default_port),
            timeout,
            security,
            trust,
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            compress: false,
        })
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {endpoint}: {source}. Check the host and port, and that the server is up.")]
    Connect {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("TLS with {endpoint} failed: {detail}. Check the server's certificate (or give its CA file), \
             the host name, and that the port speaks {expected}.")]
    Tls {
        endpoint: String,
        detail: String,
        expected: &'static str,
    },
    #[error("{endpoint} does not offer STARTTLS, and the password would cross the network in clear text: \
             use imaps:// (port 993), or enable TLS on the server")]
    Insecure { endpoint: String },
    #[error("{endpoint} did not answer within {secs} s during {during}")]
    Timeout {
        endpoint: String,
        during: String,
        secs: u64,
    },
    #[error("{endpoint} refused the login of {user}: {text}. Check the user name and password.")]
    Auth {
        endpoint: String,
        user: String,
        text: String,
    },
    #[error("{endpoint} refused {during}: {text}")]
    Refused {
        endpoint: String,
        during: String,
        text: String,
    },
    #[error("{during} was not sent to {endpoint}: {detail}")]
    Unsendable {
        endpoint: String,
        during: String,
        detail: String,
    },
    #[error("connection to {endpoint} failed during {during}: {detail}")]
    Lost {
        endpoint: String,
        during: String,
        detail: String,
    },
}

impl ImapError {
    /// Which server it happened with (`host:port`).
    pub fn endpoint(&self) -> &str {
        match self {
            ImapError::Connect { endpoint, .. }
            | ImapError::Tls { endpoint, .. }
            | ImapError::Insecure { endpoint }
            | ImapError::Timeout { endpoint, .. }
            | ImapError::Auth { endpoint, .. }
            | ImapError::Refused { endpoint, .. }
            | ImapError::Unsendable { endpoint, .. }
            | ImapError::Lost { endpoint, .. } => endpoint,
        }
    }

    /// Its kind in one word, for metrics.
    pub fn class(&self) -> &'static str {
        match self {
            ImapError::Connect { .. } => "connect",
            ImapError::Tls { .. } => "tls",
            ImapError::Insecure { .. } => "insecure",
            ImapError::Timeout { .. } => "timeout",
            ImapError::Auth { .. } => "auth",
            ImapError::Refused { .. } => "refused",
            ImapError::Unsendable { .. } => "unsendable",
            ImapError::Lost { .. } => "lost",
        }
    }

    /// The connection dropped or went silent at the greeting or the login: what a server that
    /// takes no more sessions does (Dovecot past its `process_limit`).
    pub fn is_turned_away(&self) -> bool {
        match self {
            ImapError::Lost { during, .. } | ImapError::Timeout { during, .. } => {
                matches!(during.as_str(), "greeting" | "login")
            }
            _ => false,
        }
    }

    /// Whether reconnecting and trying again can help (as opposed to a refusal by the server).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ImapError::Connect { .. } | ImapError::Timeout { .. } | ImapError::Lost { .. }
        )
    }
}

/// The state every session keeps for its errors and deadlines.
pub(super) struct Link {
    pub label: String,
    pub timeout: Duration,
    pub max_reply_bytes: usize,
    /// Where the session's errors are counted.
    pub transcript: Transcript,
}

impl Link {
    /// Runs one network operation under the deadline, mapping async-imap's errors.
    pub async fn run<T>(
        &self,
        during: &str,
        op: impl Future<Output = async_imap::error::Result<T>>,
    ) -> Result<T, ImapError> {
        match tokio::time::timeout(self.timeout, op).await {
            Err(_) => Err(self.timed_out(during)),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.map(during, e)),
        }
    }

    /// A command Fountain refused to send (a name or flag no IMAP command can carry safely).
    pub fn unsendable(&self, during: &str, e: Unsendable) -> ImapError {
        self.counted(ImapError::Unsendable {
            endpoint: self.label.clone(),
            during: during.to_owned(),
            detail: e.to_string(),
        })
    }

    /// `e`, counted in the session's protocol summary.
    pub fn counted(&self, e: ImapError) -> ImapError {
        self.transcript.error(&e);
        crate::metrics::imap_error(&self.label, e.class());
        e
    }

    /// A folder name for a command async-imap builds (it can only quote): refused if it holds NUL,
    /// CR or LF, so nothing a server named a folder can end the command.
    pub fn quotable<'a>(&self, during: &str, wire_name: &'a str) -> Result<&'a str, ImapError> {
        quotable("a folder name", wire_name).map_err(|e| self.unsendable(during, e))
    }

    pub fn timed_out(&self, during: &str) -> ImapError {
        self.counted(ImapError::Timeout {
            endpoint: self.label.clone(),
            during: during.to_owned(),
            secs: self.timeout.as_secs(),
        })
    }

    pub fn map(&self, during: &str, e: async_imap::error::Error) -> ImapError {
        use async_imap::error::Error;
        let endpoint = self.label.clone();
        let during = during.to_owned();
        self.counted(match e {
            Error::No(text) | Error::Bad(text) => ImapError::Refused {
                endpoint,
                during,
                text,
            },
            Error::Append => ImapError::Refused {
                endpoint,
                during,
                text: "the server did not accept the message".into(),
            },
            other => ImapError::Lost {
                endpoint,
                during,
                detail: other.to_string(),
            },
        })
    }
}

/// Connects and reads the greeting (after STARTTLS where the endpoint asks for it), logging in as
/// nobody: whether the server answers, over TLS Fountain trusts (`fountain check`).
pub async fn reach(endpoint: &Endpoint) -> Result<(), ImapError> {
    let link = link(endpoint, Transcript::default());
    let mut client = greeted(endpoint, &link, Transcript::default()).await?;
    let logout = client.run_command_and_check_ok("LOGOUT", None);
    let _ = tokio::time::timeout(endpoint.timeout, logout).await;
    Ok(())
}

fn link(endpoint: &Endpoint, transcript: Transcript) -> Link {
    Link {
        label: endpoint.to_string(),
        timeout: endpoint.timeout,
        max_reply_bytes: endpoint.max_reply_bytes,
        transcript,
    }
}

/// Connects, reads the greeting, logs in, and reads the capabilities.
pub(super) async fn open(
    endpoint: &Endpoint,
    credentials: &Credentials,
    transcript: Transcript,
) -> Result<(Session, Link, Vec<String>, Option<(String, char)>), ImapError> {
    let link = link(endpoint, transcript.clone());
    let client = greeted(endpoint, &link, transcript).await?;
    let mut session = log_in(client, credentials, endpoint, &link).await?;
    let capabilities = link.run("CAPABILITY", session.capabilities()).await?;
    let capabilities: Vec<String> = capabilities
        .iter()
        .map(|c| match c {
            async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
            async_imap::types::Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
            async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
        })
        .collect();
    if endpoint.compress && capabilities.iter().any(|c| c == "COMPRESS=DEFLATE") {
        compress(&mut session, &link).await?;
    }
    let namespace = if capabilities.iter().any(|c| c == "NAMESPACE") {
        personal_namespace(&mut session, &link).await?
    } else {
        None
    };
    Ok((session, link, capabilities, namespace))
}

/// Connects, reads the greeting, and moves to TLS by STARTTLS where the endpoint asks for it.
async fn greeted(
    endpoint: &Endpoint,
    link: &Link,
    transcript: Transcript,
) -> Result<Client<Stream>, ImapError> {
    let tcp = tokio::time::timeout(
        endpoint.timeout,
        TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
    )
    .await
    .map_err(|_| link.timed_out("connect"))?
    .map_err(|source| {
        link.counted(ImapError::Connect {
            endpoint: link.label.clone(),
            source,
        })
    })?;
    // Many small commands and replies: Nagle would add a round trip to each (Cyrus is slow without this).
    let _ = tcp.set_nodelay(true);
    let wire = match endpoint.security {
        Security::Tls => handshake(endpoint, link, tcp, "imaps (TLS from the first byte)").await?,
        Security::StartTls => Wire::new(Transport::Plain(tcp)),
    };
    let mut client = Client::new(Recorded::new(wire, transcript));
    greeting(&mut client, link).await?;
    if endpoint.security == Security::StartTls {
        client = start_tls(client, endpoint, link).await?;
    }
    Ok(client)
}

/// Logs in with `credentials` (LOGIN, a master user's LOGIN, or SASL PLAIN / XOAUTH2) within the
/// endpoint's timeout; a refusal says whose login failed, never the secret.
async fn log_in(
    client: Client<Stream>,
    credentials: &Credentials,
    endpoint: &Endpoint,
    link: &Link,
) -> Result<Session, ImapError> {
    let login = async {
        match credentials {
            Credentials::Login { user, password } => client.login(user, password).await,
            Credentials::Master {
                user,
                master,
                password,
            } => client.login(format!("{user}*{master}"), password).await,
            Credentials::Proxy {
                user,
                admin,
                password,
            } => {
                client
                    .authenticate("PLAIN", OneShot(plain(user, admin, password)))
                    .await
            }
            Credentials::XOAuth2 { user, token } => {
                client
                    .authenticate("XOAUTH2", OneShot(xoauth2(user, token)))
                    .await
            }
        }
    };
    match tokio::time::timeout(endpoint.timeout, login).await {
        Err(_) => Err(link.timed_out("login")),
        Ok(Ok(session)) => Ok(session),
        Ok(Err((e, _client))) => Err(match e {
            async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => link
                .counted(ImapError::Auth {
                    endpoint: link.label.clone(),
                    user: credentials.user().to_owned(),
                    text,
                }),
            other => link.map("login", other),
        }),
    }
}

async fn greeting(client: &mut Client<Stream>, link: &Link) -> Result<(), ImapError> {
    let lost = |detail: String| {
        link.counted(ImapError::Lost {
            endpoint: link.label.clone(),
            during: "greeting".into(),
            detail,
        })
    };
    match tokio::time::timeout(link.timeout, client.read_response()).await {
        Err(_) => Err(link.timed_out("greeting")),
        Ok(Err(e)) => Err(lost(e.to_string())),
        Ok(Ok(None)) => Err(lost("closed".into())),
        Ok(Ok(Some(_greeting))) => Ok(()),
    }
}

/// Upgrades the connection with STARTTLS. A server without it is spoken to in plain text only when
/// it is on this machine.
async fn start_tls(
    mut client: Client<Stream>,
    endpoint: &Endpoint,
    link: &Link,
) -> Result<Client<Stream>, ImapError> {
    let asked = client.run_command_and_check_ok("STARTTLS", None);
    match tokio::time::timeout(link.timeout, asked).await {
        Err(_) => return Err(link.timed_out("STARTTLS")),
        Ok(Ok(())) => {}
        // A local test server without TLS: expected, not an error of the run.
        Ok(Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)))
            if is_loopback(&endpoint.host) =>
        {
            return Ok(client)
        }
        Ok(Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_))) => {
            return Err(link.counted(ImapError::Insecure {
                endpoint: link.label.clone(),
            }))
        }
        Ok(Err(other)) => return Err(link.map("STARTTLS", other)),
    }
    let (wire, transcript) = client.into_inner().into_parts();
    let Some(tcp) = wire.into_plain() else {
        // A server that sent data after its STARTTLS OK is attempting a man-in-the-middle injection.
        return Err(link.counted(ImapError::Tls {
            endpoint: link.label.clone(),
            detail: "the server sent data before the TLS handshake".into(),
            expected: "IMAP with STARTTLS",
        }));
    };
    let wire = handshake(endpoint, link, tcp, "IMAP with STARTTLS").await?;
    Ok(Client::new(Recorded::new(wire, transcript)))
}

async fn handshake(
    endpoint: &Endpoint,
    link: &Link,
    tcp: TcpStream,
    expected: &'static str,
) -> Result<Wire, ImapError> {
    let tls_error = |detail: String| {
        link.counted(ImapError::Tls {
            endpoint: link.label.clone(),
            detail,
            expected,
        })
    };
    let connector = connector(&endpoint.trust).map_err(|e| tls_error(e.to_string()))?;
    let name = server_name(&endpoint.host).map_err(|e| tls_error(e.to_string()))?;
    match tokio::time::timeout(link.timeout, connector.connect(name, tcp)).await {
        Err(_) => Err(link.timed_out("TLS handshake")),
        Ok(Ok(tls)) => Ok(Wire::new(Transport::Tls(Box::new(tls)))),
        // A certificate or protocol problem will not go away by retrying; a dropped connection may.
        Ok(Err(e))
            if e.get_ref()
                .is_some_and(|inner| inner.is::<tokio_rustls::rustls::Error>()) =>
        {
            Err(tls_error(e.to_string()))
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => Err(tls_error(e.to_string())),
        Ok(Err(e)) => Err(link.counted(ImapError::Lost {
            endpoint: link.label.clone(),
            during: "TLS handshake".into(),
            detail: e.to_string(),
        })),
    }
}

/// The personal namespace (prefix, separator) from NAMESPACE (RFC 2342), which async-imap lacks.
async fn personal_namespace(
    session: &mut Session,
    link: &Link,
) -> Result<Option<(String, char)>, ImapError> {
    let reply = raw_command(session, link, &Command::new("NAMESPACE"), false).await?;
    Ok(parse_personal_namespace(&reply))
}

/// Asks for COMPRESS DEFLATE and turns it on when the server says OK. The reply is read a byte at a
/// time, so nothing the server sends after its OK is read as plain text.
async fn compress(session: &mut Session, link: &Link) -> Result<(), ImapError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const TAG: &str = "FZIP";
    let exchange = async {
        let stream = session.get_mut();
        stream
            .write_all(format!("{TAG} COMPRESS DEFLATE\r\n").as_bytes())
            .await?;
        stream.flush().await?;
        let mut line = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            if stream.read(&mut byte).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            line.push(byte[0]);
            if line.len() > link.max_reply_bytes {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the reply to COMPRESS is too long",
                ));
            }
            if line.ends_with(b"\r\n") {
                match compress_answer(TAG, &line) {
                    Some(accepted) => return Ok(accepted),
                    None => line.clear(), // an untagged line
                }
            }
        }
    };
    let lost = |detail: String| {
        link.counted(ImapError::Lost {
            endpoint: link.label.clone(),
            during: "COMPRESS".into(),
            detail,
        })
    };
    match tokio::time::timeout(link.timeout, exchange).await {
        Err(_) => Err(link.timed_out("COMPRESS")),
        Ok(Err(e)) => Err(lost(e.to_string())),
        // Refused (say, already compressed by a proxy): the session goes on as it was.
        Ok(Ok(false)) => Ok(()),
        Ok(Ok(true)) => {
            session
                .get_mut()
                .inner_mut()
                .compress()
                .map_err(|e| lost(e.to_string()))?;
            tracing::debug!(server = %link.label, "COMPRESS=DEFLATE on");
            Ok(())
        }
    }
}

/// `Some(accepted)` for the tagged answer to COMPRESS (`TAG OK …` or `TAG NO/BAD …`), `None` for
/// another line.
fn compress_answer(tag: &str, line: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(tag.as_bytes())?.strip_prefix(b" ")?;
    Some(rest.len() >= 2 && rest[..2].eq_ignore_ascii_case(b"OK"))
}

/// [`Endpoint::max_reply_bytes`] unless configured: 4 MiB.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 4 << 20;

/// Runs a command async-imap cannot parse the answer of, over the raw stream, and returns the whole
/// reply up to its tagged line (at most [`Endpoint::max_reply_bytes`]). Only between commands, when nothing
/// else is in flight. `literal_plus`: the server takes non-synchronising literals.
pub(super) async fn raw_command(
    session: &mut Session,
    link: &Link,
    command: &Command,
    literal_plus: bool,
) -> Result<String, ImapError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const TAG: &str = "FRAW";
    let parts = command.parts(literal_plus);
    let during = Command::first_line(&parts)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    let exchange = async {
        let stream = session.get_mut();
        let mut reader = ReplyReader::new(TAG, link.max_reply_bytes);
        let mut buf = [0u8; 4096];
        for (i, part) in parts.iter().enumerate() {
            if i == 0 {
                stream.write_all(format!("{TAG} ").as_bytes()).await?;
            }
            stream.write_all(part).await?;
            if i + 1 == parts.len() {
                stream.write_all(b"\r\n").await?;
            }
            stream.flush().await?;
            // Before the next part, the server must ask for it; the end of the reply ends everything.
            let waiting_for_more = i + 1 < parts.len();
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "closed",
                    ));
                }
                match reader
                    .feed(&buf[..n])
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?
                {
                    Seen::Done => return Ok(reader.text()),
                    Seen::Continuation if waiting_for_more => break,
                    Seen::Continuation | Seen::More => {}
                }
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the server asked for more than the command holds",
        ))
    };
    match tokio::time::timeout(link.timeout, exchange).await {
        Err(_) => Err(link.timed_out(&during)),
        Ok(Err(e)) => Err(link.counted(ImapError::Lost {
            endpoint: link.label.clone(),
            during,
            detail: e.to_string(),
        })),
        Ok(Ok(reply)) => Ok(reply),
    }
}

/// The SIZE of `* STATUS name (SIZE n)` (RFC 8438), when the tagged reply is OK.
pub fn parse_status_size(reply: &str) -> Option<u64> {
    let ok = reply
        .lines()
        .any(|l| l.to_ascii_uppercase().starts_with("FRAW OK"));
    let line = reply
        .lines()
        .find(|l| l.to_ascii_uppercase().starts_with("* STATUS "))?;
    let upper = line.to_ascii_uppercase();
    let at = upper.rfind("SIZE ")?;
    let digits: String = line[at + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|_| ok)
}

/// `* NAMESPACE (("INBOX." ".")) NIL NIL` → `("INBOX.", '.')`; `NIL` personal namespace → `None`.
pub fn parse_personal_namespace(reply: &str) -> Option<(String, char)> {
    let line = reply
        .lines()
        .find(|l| l.to_ascii_uppercase().starts_with("* NAMESPACE "))?;
    let rest = line["* NAMESPACE ".len()..].trim_start();
    let rest = rest.strip_prefix("((")?;
    let mut quoted = rest.split('"');
    quoted.next()?; // before the first quote
    let prefix = quoted.next()?.to_owned();
    quoted.next()?; // between the strings
    let separator = quoted.next()?.chars().next()?;
    Some((prefix, separator))
}

#[cfg(test)]
mod tests {
    use super::{compress_answer, parse_personal_namespace, parse_status_size};
    use proptest::prelude::*;

    #[test]
    fn compress_answers() {
        assert_eq!(
            compress_answer("FZIP", b"FZIP OK DEFLATE active\r\n"),
            Some(true)
        );
        assert_eq!(compress_answer("FZIP", b"FZIP ok\r\n"), Some(true));
        assert_eq!(
            compress_answer("FZIP", b"FZIP NO [COMPRESSIONACTIVE] already\r\n"),
            Some(false)
        );
        assert_eq!(
            compress_answer("FZIP", b"FZIP BAD unknown\r\n"),
            Some(false)
        );
        assert_eq!(compress_answer("FZIP", b"* OK still here\r\n"), None);
        assert_eq!(compress_answer("FZIP", b"FZIPOK\r\n"), None);
    }

    proptest! {
        #[test]
        fn only_the_tagged_ok_turns_compression_on(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            let answer = compress_answer("FZIP", &line);
            prop_assert_eq!(answer.is_some(), line.starts_with(b"FZIP "));
            prop_assert_eq!(answer == Some(true), line.len() >= 7 && line[5..7].eq_ignore_ascii_case(b"OK"));
        }
    }

    #[test]
    fn status_size_replies() {
        assert_eq!(
            parse_status_size("* STATUS \"INBOX\" (SIZE 12345)\r\nFRAW OK done\r\n"),
            Some(12345)
        );
        assert_eq!(
            parse_status_size("* STATUS \"SIZE 9\" (SIZE 7)\r\nFRAW OK done\r\n"),
            Some(7)
        );
        assert_eq!(parse_status_size("FRAW BAD unknown status item\r\n"), None);
        assert_eq!(
            parse_status_size("* STATUS x (SIZE 5)\r\nFRAW NO no\r\n"),
            None
        );
    }

    #[test]
    fn namespace_replies() {
        assert_eq!(
            parse_personal_namespace(
                "* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\nFRAW OK done\r\n"
            ),
            Some(("INBOX.".to_owned(), '.'))
        );
        assert_eq!(
            parse_personal_namespace("* NAMESPACE ((\"\" \"/\")) NIL ((\"shared/\" \"/\"))\r\n"),
            Some((String::new(), '/'))
        );
        assert_eq!(
            parse_personal_namespace("* NAMESPACE NIL NIL NIL\r\n"),
            None
        );
        assert_eq!(
            parse_personal_namespace("FRAW BAD unknown command\r\n"),
            None
        );
    }
}
