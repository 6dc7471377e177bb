//! Messages the new server refused (or the old one could not give), kept aside in the quarantine, and
//! what division IT decides for each: send it again, repair it and send it, or accept that it stays
//! behind on the old server.
use serde::{Deserialize, Serialize};

use super::{FailureClass, QuarantineId, RequestId, RequestState};

/// A named repair of a refused message (the server's `engine::plan::repair`, same stored names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    BareLf,
    Nul,
    Separator,
    LongHeader,
}

impl Repair {
    pub const ALL: [Repair; 4] = [
        Repair::BareLf,
        Repair::Nul,
        Repair::Separator,
        Repair::LongHeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Repair::BareLf => "bare_lf",
            Repair::Nul => "nul",
            Repair::Separator => "separator",
            Repair::LongHeader => "long_header",
        }
    }

    pub fn parse(stored: &str) -> Option<Repair> {
        Repair::ALL.into_iter().find(|r| r.as_str() == stored)
    }

    pub fn label(self) -> &'static str {
        match self {
            Repair::BareLf => "Line endings: bare LF → CRLF",
            Repair::Nul => "NUL bytes → spaces",
            Repair::Separator => "Add the missing blank line after the headers",
            Repair::LongHeader => "Fold header lines over 998 characters",
        }
    }
}

/// What IT decided for a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Send it again as it is (after the new server's limits changed).
    Retry,
    /// Send it again with the repairs it needs applied to a copy.
    Repair,
    /// It stays on the old server, not migrated; the person is told and can download it.
    Accept,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 3] = [
        DecisionKind::Retry,
        DecisionKind::Repair,
        DecisionKind::Accept,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Retry => "retry",
            DecisionKind::Repair => "repair",
            DecisionKind::Accept => "accept",
        }
    }

    pub fn parse(stored: &str) -> Option<DecisionKind> {
        DecisionKind::ALL.into_iter().find(|d| d.as_str() == stored)
    }

    pub fn in_words(self) -> &'static str {
        match self {
            DecisionKind::Retry => "Send again",
            DecisionKind::Repair => "Repair and send again",
            DecisionKind::Accept => "Accept as not migrated",
        }
    }
}

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DecisionKind,
    pub repairs: Vec<Repair>,
    pub by: String,
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

/// One quarantined message as IT (and, read-only, the helpdesk) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedItem {
    pub id: QuarantineId,
    pub folder: String,
    pub uid: u32,
    /// From its headers, decoded and made printable (absent when they could not be read).
    pub date: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// On the old server, when known.
    pub size: Option<u64>,
    /// The server's refusal, in words.
    pub reason: String,
    /// Fountain holds the whole message (else only its headers: it stays on the old server).
    pub kept_whole: bool,
    /// The repairs that would change it (only for messages held whole).
    pub repairs: Vec<Repair>,
    /// `None` while it waits for IT.
    pub decision: Option<Decision>,
    /// Sent again with repairs by a later run: done, the original kept.
    pub repaired: bool,
}

/// A request with quarantined messages, in IT's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorruptMailbox {
    pub request: RequestId,
    pub email: String,
    pub display_name: String,
    pub state: RequestState,
    pub class: Option<FailureClass>,
    /// Messages waiting for a decision.
    pub pending: u64,
    pub total: u64,
}

/// One page of IT's queue of corrupt mailboxes, with the counts of the whole queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorruptQueue {
    pub rows: Vec<CorruptMailbox>,
    /// Mailboxes in the queue, on every page.
    pub total: u64,
    /// From 0; the last page when the one asked for is past it.
    pub page: u32,
    pub per_page: u32,
    /// Messages waiting for a decision in the whole queue (what a decision for the queue acts on).
    pub pending: u64,
}

impl CorruptQueue {
    /// Pages the queue fills (at least one).
    pub fn pages(&self) -> u32 {
        let per_page = u64::from(self.per_page.max(1));
        u32::try_from(self.total.div_ceil(per_page).max(1)).unwrap_or(u32::MAX)
    }
}

/// A decision for every waiting message of every mailbox in the queue: send them all again (after the
/// new server's limits changed), or repair and send every one a repair fixes. Accepting as not
/// migrated is decided mailbox by mailbox, since each person is told which of their messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueDecision {
    Retry,
    Repair,
}

impl QueueDecision {
    pub fn kind(self) -> DecisionKind {
        match self {
            QueueDecision::Retry => DecisionKind::Retry,
            QueueDecision::Repair => DecisionKind::Repair,
        }
    }
}

/// What a decision for the queue did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDecisionOutcome {
    /// Messages decided.
    pub decided: u64,
    /// Messages left waiting: held headers-only or needing no repair (for a repair), each to be
    /// decided on its request's page.
    pub skipped: u64,
    /// Requests queued to run again (none of their messages waits any more).
    pub queued: Vec<RequestId>,
    /// Requests that could not be decided for, and why (the rest went ahead).
    pub refused: Vec<(RequestId, String)>,
}

/// What a repair would do to a message, before anything is sent: its headers line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairPreview {
    pub repairs: Vec<Repair>,
    pub headers: Vec<DiffLine>,
    /// The body in a sentence: unchanged, or how its size changes.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub change: Change,
    /// The line made printable: a bare LF, a lone CR and NUL are shown as symbols.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionOutcome {
    pub decided: u64,
    /// Messages of the request still waiting for a decision.
    pub pending: u64,
    /// The request was queued to run again (every message has a decision).
    pub queued: bool,
}

/// A message left behind on the old server, as its owner is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftBehind {
    pub id: QuarantineId,
    pub uid: u32,
    pub date: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// Why IT accepted it.
    pub reason: String,
}

/// A message sent with repairs, as its owner is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repaired {
    pub uid: u32,
    pub subject: Option<String>,
    pub repairs: Vec<Repair>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_read_back() {
        for r in Repair::ALL {
            assert_eq!(Repair::parse(r.as_str()), Some(r));
        }
        for d in DecisionKind::ALL {
            assert_eq!(DecisionKind::parse(d.as_str()), Some(d));
        }
        assert_eq!(Repair::parse("bogus"), None);
    }
}
