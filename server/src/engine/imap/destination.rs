//! The destination side: it can only add. CREATE, LIST, STATUS, APPEND and STORE +FLAGS are all it
//! offers; EXPUNGE, `\Deleted` and DELETE do not exist here.
use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{Response, ResponseCode, Status};
use tokio::io::AsyncWriteExt;

use super::auth::Credentials;
use super::connection::{open, quote, Endpoint, ImapError, Link, Session};
use super::source::{list, status, FolderStatus, ListedFolder};
use super::transcript::Transcript;

/// Where an appended message landed (from APPENDUID, when the server has UIDPLUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub uid_validity: u32,
    pub uid: u32,
}

pub struct Destination {
    session: Session,
    link: Link,
    pub capabilities: Vec<String>,
    /// The personal namespace (prefix, separator), when the server has NAMESPACE.
    pub namespace: Option<(String, char)>,
}

impl Destination {
    pub async fn connect(
        endpoint: &Endpoint,
        credentials: &Credentials,
        transcript: Transcript,
    ) -> Result<Self, ImapError> {
        let (session, link, capabilities, namespace) =
            open(endpoint, credentials, transcript).await?;
        Ok(Destination {
            session,
            link,
            capabilities,
            namespace,
        })
    }

    fn has(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    pub async fn list(&mut self) -> Result<Vec<ListedFolder>, ImapError> {
        list(&mut self.session, &self.link).await
    }

    pub async fn status(&mut self, wire_name: &str) -> Result<FolderStatus, ImapError> {
        status(&mut self.session, &self.link, wire_name).await
    }

    /// Creates a folder; one that already exists is fine.
    pub async fn create(&mut self, wire_name: &str) -> Result<(), ImapError> {
        match self
            .link
            .run("CREATE", self.session.create(wire_name))
            .await
        {
            Err(ImapError::Refused { text, .. }) if text.to_ascii_lowercase().contains("exist") => {
                Ok(())
            }
            other => other,
        }
    }

    /// Appends one message byte for byte, with its flags and INTERNALDATE. Uses a non-synchronising
    /// literal where the server offers LITERAL+ (one round trip less per message).
    pub async fn append(
        &mut self,
        wire_name: &str,
        flags: &[String],
        internal_date: Option<&str>,
        body: &[u8],
    ) -> Result<Option<Appended>, ImapError> {
        if wire_name.chars().any(char::is_control)
            || flags
                .iter()
                .any(|f| f.chars().any(|c| c.is_control() || c == ' '))
        {
            return Err(ImapError::Refused {
                endpoint: self.link.label.clone(),
                during: "APPEND".into(),
                text: "a mailbox name or flag contains control characters".into(),
            });
        }
        if flags.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted")) {
            return Err(ImapError::Refused {
                endpoint: self.link.label.clone(),
                during: "APPEND".into(),
                text: "refusing to set \\Deleted on the destination".into(),
            });
        }
        let plus = self.has("LITERAL+");
        let command = format!(
            "APPEND {} ({}){} {{{}{}}}",
            quote(wire_name),
            flags.join(" "),
            internal_date
                .map(|d| format!(" \"{d}\""))
                .unwrap_or_default(),
            body.len(),
            if plus { "+" } else { "" },
        );
        let link = &self.link;
        let session = &mut self.session;
        let op = async {
            let tag = session.run_command(&command).await?;
            if !plus {
                match session.read_response().await? {
                    Some(r) if matches!(r.parsed(), Response::Continue { .. }) => {}
                    Some(r) => return Err(refusal(r.parsed())),
                    None => return Err(async_imap::error::Error::ConnectionLost),
                }
            }
            let stream = session.get_mut();
            stream.write_all(body).await?;
            stream.write_all(b"\r\n").await?;
            stream.flush().await?;
            loop {
                let Some(response) = session.read_response().await? else {
                    return Err(async_imap::error::Error::ConnectionLost);
                };
                if let Response::Done {
                    tag: done,
                    status,
                    outcome,
                } = response.parsed()
                {
                    if *done != tag {
                        continue;
                    }
                    if *status != Status::Ok {
                        return Err(refusal(response.parsed()));
                    }
                    return Ok(match &outcome.code {
                        Some(ResponseCode::AppendUid(uid_validity, set)) => match set.first() {
                            Some(UidSetMember::Uid(uid)) => Some(Appended {
                                uid_validity: *uid_validity,
                                uid: *uid,
                            }),
                            Some(UidSetMember::UidRange(r)) => Some(Appended {
                                uid_validity: *uid_validity,
                                uid: *r.start(),
                            }),
                            None => None,
                        },
                        _ => None,
                    });
                }
            }
        };
        link.run("APPEND", op).await
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.link.timeout, self.session.logout()).await;
    }
}

fn refusal(response: &Response<'_>) -> async_imap::error::Error {
    let text = match response {
        Response::Done { outcome, .. } | Response::Data { outcome, .. } => outcome
            .information
            .as_deref()
            .unwrap_or("refused")
            .to_owned(),
        other => format!("{other:?}"),
    };
    async_imap::error::Error::No(text)
}
