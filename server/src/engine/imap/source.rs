//! The source side: read-only. Folders are EXAMINEd and bodies fetched with `BODY.PEEK[]`, so reading
//! never sets `\Seen`; there is no method that changes anything.
use futures_util::TryStreamExt;

use super::auth::Credentials;
use super::command::Command;
use super::connection::{open, parse_status_size, raw_command, Endpoint, ImapError, Link, Session};
use super::transcript::Transcript;
use crate::engine::plan::chunks::Listed;
use crate::engine::plan::fingerprint::{message_id, Fingerprint};
use crate::engine::plan::folders::SpecialUse;

/// A folder from LIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFolder {
    pub wire_name: String,
    pub separator: Option<char>,
    pub special_use: Option<SpecialUse>,
    /// `\Noselect` folders only hold others.
    pub selectable: bool,
}

/// What STATUS / EXAMINE say about a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    pub messages: u32,
    pub uid_next: Option<u32>,
    pub uid_validity: Option<u32>,
    /// CONDSTORE's HIGHESTMODSEQ (from EXAMINE, when the server has it): any flag change raises it.
    pub highest_modseq: Option<u64>,
}

impl From<&async_imap::types::Mailbox> for FolderStatus {
    fn from(mailbox: &async_imap::types::Mailbox) -> Self {
        FolderStatus {
            messages: mailbox.exists,
            uid_next: mailbox.uid_next,
            uid_validity: mailbox.uid_validity,
            highest_modseq: mailbox.highest_modseq,
        }
    }
}

/// One message as fetched, ready to append elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMessage {
    pub uid: u32,
    /// System flags (`\Seen`, …) and keywords, as IMAP atoms.
    pub flags: Vec<String>,
    /// INTERNALDATE as an IMAP date-time (`"17-Jul-1996 02:44:25 -0700"` without the quotes).
    pub internal_date: Option<String>,
    pub body: Vec<u8>,
}

/// A chunk as fetched: the messages small enough to hold, and the UIDs of those to stream one at a
/// time (their first piece filled the per-message bound, or the chunk's bytes were spent: a server
/// that under-reports sizes cannot make Fountain hold more than the bounds).
#[derive(Debug, Default)]
pub struct FetchedChunk {
    pub messages: Vec<SourceMessage>,
    pub to_stream: Vec<u32>,
}

/// A message as the fingerprint query sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprinted {
    pub uid: u32,
    pub fingerprint: Fingerprint,
    pub flags: Vec<String>,
}

/// A message's delivery headers as read, for who it was for and when it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSample {
    pub uid: u32,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: Option<i64>,
    /// The header fields asked for, raw.
    pub header: Vec<u8>,
}

pub struct Source {
    session: Session,
    link: Link,
    pub capabilities: Vec<String>,
    /// The personal namespace (prefix, separator), when the server has NAMESPACE.
    pub namespace: Option<(String, char)>,
}

impl Source {
    pub async fn connect(
        endpoint: &Endpoint,
        credentials: &Credentials,
        transcript: Transcript,
    ) -> Result<Self, ImapError> {
        let (mut session, link, capabilities, namespace) =
            open(endpoint, credentials, transcript).await?;
        // So that EXAMINE reports HIGHESTMODSEQ and FETCH takes CHANGEDSINCE (RFC 7162).
        let has = |c: &str| capabilities.iter().any(|have| have == c);
        if has("CONDSTORE") && has("ENABLE") {
            link.run(
                "ENABLE CONDSTORE",
                session.run_command_and_check_ok("ENABLE CONDSTORE"),
            )
            .await?;
        }
        Ok(Source {
            session,
            link,
            capabilities,
            namespace,
        })
    }

    pub async fn list(&mut self) -> Result<Vec<ListedFolder>, ImapError> {
        list(&mut self.session, &self.link).await
    }

    pub async fn status(&mut self, wire_name: &str) -> Result<FolderStatus, ImapError> {
        status(&mut self.session, &self.link, wire_name).await
    }

    /// The folders the user subscribed to (LSUB), by wire name.
    pub async fn subscribed(&mut self) -> Result<Vec<String>, ImapError> {
        let op = async {
            let stream = self.session.lsub(Some(""), Some("*")).await?;
            stream.try_collect::<Vec<_>>().await
        };
        let names = self.link.run("LSUB", op).await?;
        Ok(names.iter().map(|n| n.name().to_owned()).collect())
    }

    /// The bytes a folder holds, where the server offers STATUS=SIZE (RFC 8438); else `None`.
    pub async fn folder_bytes(&mut self, wire_name: &str) -> Result<Option<u64>, ImapError> {
        status_size(&mut self.session, &self.link, &self.capabilities, wire_name).await
    }

    /// Opens a folder read-only.
    pub async fn examine(&mut self, wire_name: &str) -> Result<FolderStatus, ImapError> {
        let mailbox = self
            .link
            .run(
                "EXAMINE",
                self.session
                    .examine(self.link.quotable("EXAMINE", wire_name)?),
            )
            .await?;
        Ok(FolderStatus::from(&mailbox))
    }

    /// Message-ID, INTERNALDATE, size and flags of the examined folder's messages in `uid_set`.
    pub async fn fingerprints(&mut self, uid_set: &str) -> Result<Vec<Fingerprinted>, ImapError> {
        fingerprints(&mut self.session, &self.link, uid_set).await
    }

    /// The flags of the examined folder's messages; with `changed_since` (a HIGHESTMODSEQ), only of
    /// those whose flags changed after it.
    pub async fn flags(
        &mut self,
        changed_since: Option<u64>,
    ) -> Result<Vec<(u32, Vec<String>)>, ImapError> {
        let query = match changed_since {
            Some(modseq) => format!("(UID FLAGS) (CHANGEDSINCE {modseq})"),
            None => "(UID FLAGS)".to_owned(),
        };
        fetch_each(
            &mut self.session,
            &self.link,
            "UID FETCH (flags)",
            "1:*",
            &query,
            |f| {
                Some((
                    f.uid?,
                    f.flags().filter_map(|flag| flag_atom(&flag)).collect(),
                ))
            },
        )
        .await
    }

    /// The header `fields` (`"TO CC"`) and INTERNALDATE of the examined folder's newest `max`
    /// messages the server took on or after `since` (Unix seconds; SEARCH has a day's precision, so
    /// the day before is asked for and the dates compared here).
    pub async fn headers_since(
        &mut self,
        since: i64,
        fields: &str,
        max: usize,
    ) -> Result<Vec<HeaderSample>, ImapError> {
        let query = format!("SINCE {}", search_date(since - 86_400));
        let found = self
            .link
            .run("UID SEARCH", self.session.uid_search(&query))
            .await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        let newest = &uids[uids.len().saturating_sub(max)..];
        if newest.is_empty() {
            return Ok(Vec::new());
        }
        let samples = fetch_each(
            &mut self.session,
            &self.link,
            "UID FETCH (headers)",
            &crate::engine::plan::chunks::uid_set(newest),
            &format!("(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({fields})])"),
            |f| {
                Some(HeaderSample {
                    uid: f.uid?,
                    internal_date: f.internal_date().map(|d| d.timestamp()),
                    header: f.header().unwrap_or_default().to_vec(),
                })
            },
        )
        .await?;
        Ok(samples
            .into_iter()
            .filter(|s| s.internal_date.is_none_or(|at| at >= since))
            .collect())
    }

    /// UIDs and sizes of every message in the examined folder.
    pub async fn list_messages(&mut self) -> Result<Vec<Listed>, ImapError> {
        list_messages(&mut self.session, &self.link).await
    }

    /// Fetches the messages of a UID set whole, however big: for checks and tools. The copy uses
    /// [`fetch_chunk`](Self::fetch_chunk) and [`fetch_piece`](Self::fetch_piece), which are bounded.
    pub async fn fetch(&mut self, uid_set: &str) -> Result<Vec<SourceMessage>, ImapError> {
        // Each response's buffer is freed once its body is copied out: a chunk is held once.
        fetch_each(
            &mut self.session,
            &self.link,
            "UID FETCH (bodies)",
            uid_set,
            "(UID FLAGS INTERNALDATE BODY.PEEK[])",
            |f| f.uid.and(f.body()).map(|body| source_message(f, body)),
        )
        .await
    }

    /// Fetches a chunk with every body bounded: at most `inline_max` bytes of each message
    /// (`BODY.PEEK[]<0.inline_max>`), and at most `keep_max` bytes held in all. A message that fills
    /// its bound, or arrives once the chunk's bytes are spent, is not kept: it is to be streamed.
    pub async fn fetch_chunk(
        &mut self,
        uid_set: &str,
        inline_max: u64,
        keep_max: u64,
    ) -> Result<FetchedChunk, ImapError> {
        let query = format!("(UID FLAGS INTERNALDATE BODY.PEEK[]<0.{inline_max}>)");
        let mut kept = 0u64;
        let mut to_stream = Vec::new();
        let messages = fetch_each(
            &mut self.session,
            &self.link,
            "UID FETCH (bodies)",
            uid_set,
            &query,
            |f| {
                let uid = f.uid?;
                let body = f.body()?;
                let len = body.len() as u64;
                if len >= inline_max || kept + len > keep_max {
                    to_stream.push(uid);
                    return None;
                }
                kept += len;
                Some(source_message(f, body))
            },
        )
        .await?;
        Ok(FetchedChunk {
            messages,
            to_stream,
        })
    }

    /// `len` bytes of one message from `offset` as its `body` (fewer at its end; none past it), with
    /// its flags and date when `offset` is 0. `None` when the server did not return the message.
    pub async fn fetch_piece(
        &mut self,
        uid: u32,
        offset: u64,
        len: u64,
    ) -> Result<Option<SourceMessage>, ImapError> {
        let query = if offset == 0 {
            format!("(UID FLAGS INTERNALDATE BODY.PEEK[]<0.{len}>)")
        } else {
            format!("(UID BODY.PEEK[]<{offset}.{len}>)")
        };
        let mut pieces = fetch_each(
            &mut self.session,
            &self.link,
            "UID FETCH (a piece)",
            &uid.to_string(),
            &query,
            |f| (f.uid? == uid).then(|| source_message(f, f.body().unwrap_or_default())),
        )
        .await?;
        Ok(pieces.pop())
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.link.timeout, self.session.logout()).await;
    }
}

/// A day as IMAP SEARCH writes it (`3-Dec-2026`), in UTC.
fn search_date(unix: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = app::format::format_unix(unix);
    let (y, rest) = day.split_at(4);
    let month: usize = rest[1..3].parse().unwrap_or(1);
    let d: u32 = rest[4..6].parse().unwrap_or(1);
    format!("{d}-{}-{y}", MONTHS[month.clamp(1, 12) - 1])
}

/// The message a FETCH response describes, with `body` as its bytes (the whole or a piece).
fn source_message(f: &async_imap::types::Fetch, body: &[u8]) -> SourceMessage {
    SourceMessage {
        uid: f.uid.unwrap_or_default(),
        flags: f.flags().filter_map(|flag| flag_atom(&flag)).collect(),
        internal_date: f
            .internal_date()
            .map(|d| d.format("%d-%b-%Y %H:%M:%S %z").to_string()),
        body: body.to_vec(),
    }
}

/// The flag as an atom to APPEND with, or `None` for flags a client cannot or must not set
/// (`\Recent` is the server's; `\Deleted` is never carried to the destination).
fn flag_atom(flag: &async_imap::types::Flag<'_>) -> Option<String> {
    use async_imap::types::Flag;
    match flag {
        Flag::Seen => Some("\\Seen".into()),
        Flag::Answered => Some("\\Answered".into()),
        Flag::Flagged => Some("\\Flagged".into()),
        Flag::Draft => Some("\\Draft".into()),
        Flag::Deleted | Flag::Recent | Flag::MayCreate => None,
        Flag::Custom(k) => Some(k.to_string()),
    }
}

/// STATUS (SIZE) where the server has STATUS=SIZE. async-imap cannot parse it: over the raw stream.
pub(super) async fn status_size(
    session: &mut Session,
    link: &Link,
    capabilities: &[String],
    wire_name: &str,
) -> Result<Option<u64>, ImapError> {
    if !capabilities.iter().any(|c| c == "STATUS=SIZE") {
        return Ok(None);
    }
    let command = Command::new("STATUS")
        .string("a folder name", wire_name.as_bytes())
        .map_err(|e| link.unsendable("STATUS", e))?
        .syntax("(SIZE)");
    let literal_plus = capabilities.iter().any(|c| c == "LITERAL+");
    let reply = raw_command(session, link, &command, literal_plus).await?;
    Ok(parse_status_size(&reply))
}

/// Runs a UID FETCH and converts each response as it arrives, so that only the converted values stay
/// in memory (async-imap gives every response its own buffer of at least 4 KiB: collecting 50,000 of
/// them first would hold 200 MB).
pub(super) async fn fetch_each<T>(
    session: &mut Session,
    link: &Link,
    during: &str,
    uid_set: &str,
    query: &str,
    mut convert: impl FnMut(&async_imap::types::Fetch) -> Option<T>,
) -> Result<Vec<T>, ImapError> {
    let fetch = async {
        let mut stream = session.uid_fetch(uid_set, query).await?;
        let mut out = Vec::new();
        while let Some(f) = stream.try_next().await? {
            out.extend(convert(&f));
        }
        Ok(out)
    };
    link.run(during, fetch).await
}

pub(super) async fn list_messages(
    session: &mut Session,
    link: &Link,
) -> Result<Vec<Listed>, ImapError> {
    fetch_each(
        session,
        link,
        "UID FETCH (sizes)",
        "1:*",
        "(UID RFC822.SIZE)",
        |f| {
            Some(Listed {
                uid: f.uid?,
                size: u64::from(f.size.unwrap_or(0)),
            })
        },
    )
    .await
}

pub(super) async fn fingerprints(
    session: &mut Session,
    link: &Link,
    uid_set: &str,
) -> Result<Vec<Fingerprinted>, ImapError> {
    fetch_each(
        session,
        link,
        "UID FETCH (fingerprints)",
        uid_set,
        "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
        |f| {
            Some(Fingerprinted {
                uid: f.uid?,
                fingerprint: Fingerprint {
                    message_id: f.header().and_then(message_id),
                    internal_date: f.internal_date().map(|d| d.timestamp()),
                    size: u64::from(f.size?),
                },
                flags: f.flags().filter_map(|flag| flag_atom(&flag)).collect(),
            })
        },
    )
    .await
}

pub(super) async fn list(
    session: &mut Session,
    link: &Link,
) -> Result<Vec<ListedFolder>, ImapError> {
    use async_imap::imap_proto::NameAttribute;
    let op = async {
        let stream = session.list(Some(""), Some("*")).await?;
        stream.try_collect::<Vec<_>>().await
    };
    let names = link.run("LIST", op).await?;
    Ok(names
        .iter()
        .map(|n| {
            let attrs = n.attributes();
            let special_use = attrs.iter().find_map(|a| match a {
                NameAttribute::Sent => Some(SpecialUse::Sent),
                NameAttribute::Drafts => Some(SpecialUse::Drafts),
                NameAttribute::Trash => Some(SpecialUse::Trash),
                NameAttribute::Junk => Some(SpecialUse::Junk),
                NameAttribute::Archive => Some(SpecialUse::Archive),
                NameAttribute::Extension(e) => SpecialUse::from_attribute(e),
                _ => None,
            });
            ListedFolder {
                wire_name: n.name().to_owned(),
                separator: n.delimiter().and_then(|d| d.chars().next()),
                special_use,
                selectable: !attrs.iter().any(|a| matches!(a, NameAttribute::NoSelect)),
            }
        })
        .collect())
}

pub(super) async fn status(
    session: &mut Session,
    link: &Link,
    wire_name: &str,
) -> Result<FolderStatus, ImapError> {
    let mailbox = link
        .run(
            "STATUS",
            session.status(
                link.quotable("STATUS", wire_name)?,
                "(MESSAGES UIDNEXT UIDVALIDITY)",
            ),
        )
        .await?;
    Ok(FolderStatus::from(&mailbox))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_dates_are_imap_dates() {
        assert_eq!(search_date(0), "1-Jan-1970");
        assert_eq!(search_date(1_796_256_000), "3-Dec-2026");
        assert_eq!(search_date(951_782_400), "29-Feb-2000");
    }
}
