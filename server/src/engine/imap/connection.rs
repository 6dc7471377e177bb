//! Connecting and logging in, with a deadline on every network operation.
use std::future::Future;
use std::time::Duration;

use async_imap::Client;
use tokio::net::TcpStream;

use super::auth::{plain, xoauth2, Credentials, OneShot};
use super::transcript::{Recorded, Transcript};

pub(super) type Stream = Recorded<TcpStream>;
pub(super) type Session = async_imap::Session<Stream>;

/// Where a server is. (TLS and STARTTLS come with the engine's next slice; loopback is plain.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// Deadline for every single network operation (connect, a command, a chunk of a FETCH).
    pub timeout: Duration,
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
    #[error("connection to {endpoint} failed during {during}: {detail}")]
    Lost {
        endpoint: String,
        during: String,
        detail: String,
    },
}

impl ImapError {
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

    pub fn timed_out(&self, during: &str) -> ImapError {
        ImapError::Timeout {
            endpoint: self.label.clone(),
            during: during.to_owned(),
            secs: self.timeout.as_secs(),
        }
    }

    pub fn map(&self, during: &str, e: async_imap::error::Error) -> ImapError {
        use async_imap::error::Error;
        let endpoint = self.label.clone();
        let during = during.to_owned();
        match e {
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
        }
    }
}

/// Connects, reads the greeting, logs in, and reads the capabilities.
pub(super) async fn open(
    endpoint: &Endpoint,
    credentials: &Credentials,
    transcript: Transcript,
) -> Result<(Session, Link, Vec<String>, Option<(String, char)>), ImapError> {
    let link = Link {
        label: endpoint.to_string(),
        timeout: endpoint.timeout,
    };
    let tcp = tokio::time::timeout(
        endpoint.timeout,
        TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
    )
    .await
    .map_err(|_| link.timed_out("connect"))?
    .map_err(|source| ImapError::Connect {
        endpoint: link.label.clone(),
        source,
    })?;
    // Many small commands and replies: Nagle would add a round trip to each (Cyrus is slow without this).
    let _ = tcp.set_nodelay(true);
    let mut client = Client::new(Recorded::new(tcp, transcript));
    match tokio::time::timeout(endpoint.timeout, client.read_response()).await {
        Err(_) => return Err(link.timed_out("greeting")),
        Ok(Err(e)) => {
            return Err(ImapError::Lost {
                endpoint: link.label.clone(),
                during: "greeting".into(),
                detail: e.to_string(),
            })
        }
        Ok(Ok(None)) => {
            return Err(ImapError::Lost {
                endpoint: link.label.clone(),
                during: "greeting".into(),
                detail: "closed".into(),
            })
        }
        Ok(Ok(Some(_greeting))) => {}
    }
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
    let mut session = match tokio::time::timeout(endpoint.timeout, login).await {
        Err(_) => return Err(link.timed_out("login")),
        Ok(Ok(session)) => session,
        Ok(Err((e, _client))) => {
            return Err(match e {
                async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
                    ImapError::Auth {
                        endpoint: link.label.clone(),
                        user: credentials.user().to_owned(),
                        text,
                    }
                }
                other => link.map("login", other),
            })
        }
    };
    let capabilities = link.run("CAPABILITY", session.capabilities()).await?;
    let capabilities: Vec<String> = capabilities
        .iter()
        .map(|c| match c {
            async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
            async_imap::types::Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
            async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
        })
        .collect();
    let namespace = if capabilities.iter().any(|c| c == "NAMESPACE") {
        personal_namespace(&mut session, &link).await?
    } else {
        None
    };
    Ok((session, link, capabilities, namespace))
}

/// `"name"` with IMAP quoting.
pub(super) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The personal namespace (prefix, separator) from NAMESPACE (RFC 2342). async-imap has no NAMESPACE, so
/// this one exchange goes over the raw stream, right after login while nothing else is in flight.
async fn personal_namespace(
    session: &mut Session,
    link: &Link,
) -> Result<Option<(String, char)>, ImapError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let stream = session.get_mut();
        stream.write_all(b"FNS1 NAMESPACE\r\n").await?;
        stream.flush().await?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 4096];
        while !tagged_reply_complete(&reply) {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ));
            }
            reply.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(reply)
    };
    let reply = match tokio::time::timeout(link.timeout, exchange).await {
        Err(_) => return Err(link.timed_out("NAMESPACE")),
        Ok(Err(e)) => {
            return Err(ImapError::Lost {
                endpoint: link.label.clone(),
                during: "NAMESPACE".into(),
                detail: e.to_string(),
            })
        }
        Ok(Ok(r)) => r,
    };
    Ok(parse_personal_namespace(&String::from_utf8_lossy(&reply)))
}

fn tagged_reply_complete(reply: &[u8]) -> bool {
    reply.ends_with(b"\r\n")
        && String::from_utf8_lossy(reply)
            .lines()
            .any(|l| l.starts_with("FNS1 "))
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
    use super::parse_personal_namespace;

    #[test]
    fn namespace_replies() {
        assert_eq!(
            parse_personal_namespace(
                "* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\nFNS1 OK done\r\n"
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
            parse_personal_namespace("FNS1 BAD unknown command\r\n"),
            None
        );
    }
}
