//! The destination side: it can only add. CREATE, LIST, STATUS, EXAMINE/SELECT with FETCH of headers,
//! APPEND and STORE of flags other than `\Deleted` are all it offers; EXPUNGE, CLOSE (which expunges),
//! `\Deleted` and DELETE do not exist here.
use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{RequestId, Response, ResponseCode, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::auth::Credentials;
use super::command::{Command, Unsendable};
use super::connection::{open, Endpoint, ImapError, Link, Session};
use super::source::{
    fingerprints, list, list_messages, status, status_size, Fingerprinted, FolderStatus,
    ListedFolder,
};
use super::transcript::Transcript;
use crate::engine::plan::flags::{carried, FlagChange};

/// The most of a message's body read at once while it is sent.
const APPEND_STEP: u64 = 256 * 1024;

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

    /// Opens a folder: read-only to look for messages ([`fingerprints`](Self::fingerprints)), read-write
    /// to update flags. Nothing here can expunge: there is no EXPUNGE, and no CLOSE (which would).
    pub async fn open_folder(
        &mut self,
        wire_name: &str,
        writable: bool,
    ) -> Result<FolderStatus, ImapError> {
        let mailbox = if writable {
            self.link
                .run(
                    "SELECT",
                    self.session
                        .select(self.link.quotable("SELECT", wire_name)?),
                )
                .await?
        } else {
            self.link
                .run(
                    "EXAMINE",
                    self.session
                        .examine(self.link.quotable("EXAMINE", wire_name)?),
                )
                .await?
        };
        Ok(FolderStatus::from(&mailbox))
    }

    /// Message-ID, INTERNALDATE and size of the open folder's messages in `uid_set`.
    pub async fn fingerprints(&mut self, uid_set: &str) -> Result<Vec<Fingerprinted>, ImapError> {
        fingerprints(&mut self.session, &self.link, uid_set).await
    }

    /// Applies a flag change to messages (a UID set) of the folder opened writable. `\Deleted` is refused.
    pub async fn store_flags(
        &mut self,
        uid_set: &str,
        change: &FlagChange,
    ) -> Result<(), ImapError> {
        let all = change.add.iter().chain(&change.remove);
        if let Some(bad) = all
            .clone()
            .find(|f| !carried(f) || f.chars().any(|c| c.is_control() || c == ' ' || c == ')'))
        {
            return Err(self.link.counted(ImapError::Refused {
                endpoint: self.link.label.clone(),
                during: "STORE".into(),
                text: format!("refusing to change the flag {bad:?} on the destination"),
            }));
        }
        for (sign, flags) in [("+", &change.add), ("-", &change.remove)] {
            if flags.is_empty() {
                continue;
            }
            let query = format!("{sign}FLAGS.SILENT ({})", flags.join(" "));
            let op = async {
                let stream = self.session.uid_store(uid_set, &query).await?;
                futures_util::TryStreamExt::try_collect::<Vec<_>>(stream).await
            };
            self.link.run("UID STORE", op).await?;
        }
        Ok(())
    }

    /// The bytes a folder holds: STATUS=SIZE (RFC 8438) where the server has it, else (when `or_count`)
    /// the sum of its messages' RFC822.SIZE, which opens the folder read-only and costs O(messages).
    pub async fn folder_bytes(
        &mut self,
        wire_name: &str,
        or_count: bool,
    ) -> Result<Option<u64>, ImapError> {
        if let Some(size) =
            status_size(&mut self.session, &self.link, &self.capabilities, wire_name).await?
        {
            return Ok(Some(size));
        }
        if !or_count {
            return Ok(None);
        }
        let status = self.open_folder(wire_name, false).await?;
        if status.messages == 0 {
            return Ok(Some(0));
        }
        let sizes = list_messages(&mut self.session, &self.link).await?;
        Ok(Some(sizes.iter().map(|m| m.size).sum()))
    }

    /// Creates a folder; one that already exists is fine.
    pub async fn create(&mut self, wire_name: &str) -> Result<(), ImapError> {
        match self
            .link
            .run(
                "CREATE",
                self.session
                    .create(self.link.quotable("CREATE", wire_name)?),
            )
            .await
        {
            Err(ImapError::Refused { text, .. }) if text.to_ascii_lowercase().contains("exist") => {
                Ok(())
            }
            other => other,
        }
    }

    /// Subscribes the user to a folder (adds to their folder list; changes no mail).
    pub async fn subscribe(&mut self, wire_name: &str) -> Result<(), ImapError> {
        self.link
            .run(
                "SUBSCRIBE",
                self.session
                    .subscribe(self.link.quotable("SUBSCRIBE", wire_name)?),
            )
            .await
    }

    /// Whether [`append_many`](Self::append_many) can be used (MULTIAPPEND with LITERAL+).
    pub fn can_append_many(&self) -> bool {
        self.has("MULTIAPPEND") && self.has("LITERAL+")
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
        let (len, has_nul) = (body.len() as u64, body.contains(&0));
        let mut reader = body;
        self.append_from(wire_name, flags, internal_date, len, has_nul, &mut reader)
            .await
    }

    /// [`append`](Self::append) of a message read from `body` as it is sent (exactly `len` bytes;
    /// `has_nul`: it holds NUL bytes), so a big message is never held whole in memory.
    pub async fn append_from<R: AsyncRead + Unpin>(
        &mut self,
        wire_name: &str,
        flags: &[String],
        internal_date: Option<&str>,
        len: u64,
        has_nul: bool,
        body: &mut R,
    ) -> Result<Option<Appended>, ImapError> {
        let message = Outgoing {
            flags,
            internal_date,
            body: &[],
        };
        self.check(wire_name, std::slice::from_ref(&message))?;
        // NUL bytes can only travel in a BINARY literal (RFC 3516), sent synchronising to be safe.
        let binary = has_nul && self.has("BINARY");
        let plus = self.has("LITERAL+") && !binary;
        let command = message
            .command(wire_name, len, plus, binary)
            .map_err(|e| self.link.unsendable("APPEND", e))?;
        let literal_plus = self.has("LITERAL+");
        let link = &self.link;
        let session = &mut self.session;
        let op = async {
            let tag = send(session, &command, literal_plus).await?;
            if !plus {
                match session.read_response().await? {
                    Some(r) if matches!(r.parsed(), Response::Continue { .. }) => {}
                    Some(r) => return Err(refusal(r.parsed())),
                    None => return Err(async_imap::error::Error::ConnectionLost),
                }
            }
            let stream = session.get_mut();
            // Large steps: a spooled body is read on tokio's blocking pool, one hand-off per read
            // (8 KiB steps made a 200 MB message tens of thousands of them).
            let step = len.clamp(1, APPEND_STEP) as usize;
            let mut body = tokio::io::BufReader::with_capacity(step, body.take(len));
            let sent = tokio::io::copy_buf(&mut body, stream).await?;
            if sent != len {
                // The literal is short: the connection cannot be used any more (a reconnect retries).
                return Err(async_imap::error::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("the message ended after {sent} of {len} bytes"),
                )));
            }
            stream.write_all(b"\r\n").await?;
            stream.flush().await?;
            read_appenduid(session, &tag).await
        };
        let uids = link.run("APPEND", op).await?;
        Ok(uids.and_then(|(uid_validity, uids)| {
            Some(Appended {
                uid_validity,
                uid: *uids.first()?,
            })
        }))
    }

    /// Appends several messages with one MULTIAPPEND (RFC 3502): the server stores all of them or none.
    /// Bodies holding NUL bytes must go one by one ([`append`](Self::append)), in BINARY literals.
    /// Returns the destination UIDs in order when the server reports them (UIDPLUS).
    pub async fn append_many(
        &mut self,
        wire_name: &str,
        messages: &[Outgoing<'_>],
    ) -> Result<Vec<Option<u32>>, ImapError> {
        self.check(wire_name, messages)?;
        let Some(first) = messages.first() else {
            return Ok(Vec::new());
        };
        let command = first
            .command(wire_name, first.body.len() as u64, true, false)
            .map_err(|e| self.link.unsendable("MULTIAPPEND", e))?;
        // Every further message: ` (flags) "date" {n+}` (MULTIAPPEND continues the same command).
        let mut further = Vec::with_capacity(messages.len());
        for next in &messages[1..] {
            let tail = next
                .tail(Command::continued(), next.body.len() as u64, true, false)
                .map_err(|e| self.link.unsendable("MULTIAPPEND", e))?;
            further.push(tail.parts(true).concat());
        }
        let link = &self.link;
        let session = &mut self.session;
        let op = async {
            let tag = send(session, &command, true).await?;
            let stream = session.get_mut();
            for (i, message) in messages.iter().enumerate() {
                stream.write_all(message.body).await?;
                if let Some(next) = further.get(i) {
                    stream.write_all(next).await?;
                    stream.write_all(b"\r\n").await?;
                }
            }
            stream.write_all(b"\r\n").await?;
            stream.flush().await?;
            read_appenduid(session, &tag).await
        };
        let uids = link.run("MULTIAPPEND", op).await?;
        Ok(match uids {
            Some((_, uids)) if uids.len() == messages.len() => uids.into_iter().map(Some).collect(),
            _ => vec![None; messages.len()],
        })
    }

    /// Refuses, before anything is sent, what must never reach the destination.
    fn check(&self, wire_name: &str, messages: &[Outgoing<'_>]) -> Result<(), ImapError> {
        let refuse = |text: &str| {
            Err(self.link.counted(ImapError::Refused {
                endpoint: self.link.label.clone(),
                during: "APPEND".into(),
                text: text.into(),
            }))
        };
        let flags = || messages.iter().flat_map(|m| m.flags.iter());
        if wire_name.chars().any(char::is_control)
            || flags().any(|f| f.chars().any(|c| c.is_control() || c == ' '))
        {
            return refuse("a mailbox name or flag contains control characters");
        }
        if flags().any(|f| f.eq_ignore_ascii_case("\\Deleted")) {
            return refuse("refusing to set \\Deleted on the destination");
        }
        Ok(())
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.link.timeout, self.session.logout()).await;
    }
}

/// One message to append.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub flags: &'a [String],
    pub internal_date: Option<&'a str>,
    pub body: &'a [u8],
}

impl Outgoing<'_> {
    /// `APPEND mailbox (flags) "date" {n+}`: everything before the message itself.
    fn command(
        &self,
        wire_name: &str,
        len: u64,
        non_synchronising: bool,
        binary: bool,
    ) -> Result<Command, Unsendable> {
        let start = Command::new("APPEND").string("a folder name", wire_name.as_bytes())?;
        self.tail(start, len, non_synchronising, binary)
    }

    /// ` (flags) "date" {n+}` after what `start` holds.
    fn tail(
        &self,
        start: Command,
        len: u64,
        non_synchronising: bool,
        binary: bool,
    ) -> Result<Command, Unsendable> {
        let mut command = start.flags(self.flags)?;
        if let Some(date) = self.internal_date {
            command = command.string("an INTERNALDATE", date.as_bytes())?;
        }
        Ok(command.literal_announcement(len, binary, non_synchronising))
    }
}

/// Starts a command built by hand: its first part through async-imap (which tags it), each later part
/// after the server's continuation. Returns the tag; the caller reads the rest of the reply.
async fn send(
    session: &mut Session,
    command: &Command,
    literal_plus: bool,
) -> async_imap::error::Result<RequestId> {
    let parts = command.parts(literal_plus);
    let tag = session.run_command(Command::first_line(&parts)).await?;
    for part in &parts[1..] {
        match session.read_response().await? {
            Some(r) if matches!(r.parsed(), Response::Continue { .. }) => {}
            Some(r) => return Err(refusal(r.parsed())),
            None => return Err(async_imap::error::Error::ConnectionLost),
        }
        let stream = session.get_mut();
        stream.write_all(part).await?;
        stream.write_all(b"\r\n").await?;
        stream.flush().await?;
    }
    Ok(tag)
}

/// Reads up to the tagged reply; its APPENDUID (validity, UIDs in order) when it has one.
async fn read_appenduid(
    session: &mut Session,
    tag: &RequestId,
) -> async_imap::error::Result<Option<(u32, Vec<u32>)>> {
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
            if done != tag {
                continue;
            }
            if *status != Status::Ok {
                return Err(refusal(response.parsed()));
            }
            return Ok(match &outcome.code {
                Some(ResponseCode::AppendUid(uid_validity, set)) => {
                    Some((*uid_validity, expand(set)))
                }
                _ => None,
            });
        }
    }
}

fn expand(set: &[UidSetMember]) -> Vec<u32> {
    set.iter()
        .flat_map(|m| match m {
            UidSetMember::Uid(u) => *u..=*u,
            UidSetMember::UidRange(r) => r.clone(),
        })
        .collect()
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
