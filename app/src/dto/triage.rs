//! The helpdesk's triage queue: requests that need someone, each with why and what to do next.
use serde::{Deserialize, Serialize};

use super::{FailureClass, RequestId, RequestState, UserId};

/// Why a request is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageBucket {
    /// Copying without a heartbeat, or queued for far longer than a start takes.
    Stuck,
    /// The copy stopped short.
    Failed,
    /// Finished, with messages or folders to decide on.
    NeedsAttention,
    /// The person has to act: their old password is no longer accepted, or they connected long
    /// ago and never started.
    WaitingForPerson,
}

impl TriageBucket {
    pub const ALL: [TriageBucket; 4] = [
        TriageBucket::Stuck,
        TriageBucket::Failed,
        TriageBucket::NeedsAttention,
        TriageBucket::WaitingForPerson,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TriageBucket::Stuck => "Stuck",
            TriageBucket::Failed => "Failed",
            TriageBucket::NeedsAttention => "Needs attention",
            TriageBucket::WaitingForPerson => "Waiting for the person",
        }
    }
}

/// Why a request counts as stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stall {
    /// Its worker stopped sending heartbeats (it died, or lost the database).
    WorkerSilent,
    /// Its worker is alive but nothing has been copied for a while (a hung or very slow server).
    NoProgress,
    /// Queued for much longer than a start takes (no worker free, or none running).
    WaitingLong,
}

impl Stall {
    pub fn label(self) -> &'static str {
        match self {
            Stall::WorkerSilent => "Its worker stopped answering; Fountain hands it to another one.",
            Stall::NoProgress => {
                "Nothing copied for a while: the old server may be hung or throttling. It stops and says why if it does not recover; pausing keeps what is copied."
            }
            Stall::WaitingLong => {
                "Waiting far longer than a start takes: check that workers are running and not all busy."
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageRow {
    /// `None`: the person connected their old mailbox long ago and never started.
    pub request_id: Option<RequestId>,
    pub user_id: UserId,
    pub person: String,
    pub email: String,
    /// The request's state; `None` without a request.
    pub state: Option<RequestState>,
    pub bucket: TriageBucket,
    /// Unix seconds of the last change of state (without a request: when they connected).
    pub since: i64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub last_error: Option<String>,
    pub class: Option<FailureClass>,
    /// Why it is stuck, in the stuck bucket.
    pub stall: Option<Stall>,
}

impl TriageRow {
    /// What to do next: from the failure class of a stop, why a request counts as stuck, or what
    /// someone who never started needs.
    pub fn next_step(&self) -> &'static str {
        match (self.request_id, self.class, self.stall) {
            (None, _, _) => {
                "Connected their old mailbox but never started: ask whether they need help choosing folders."
            }
            (Some(_), Some(class), _) => class.suggested_action(),
            (Some(_), None, Some(stall)) => stall.label(),
            (Some(_), None, None) => "",
        }
    }

    /// The request's state in words, or that there is none.
    pub fn state_in_words(&self) -> &'static str {
        self.state.map_or("not started", RequestState::in_words)
    }
}

/// One page of the queue, as asked, with the counts of the whole queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// This page's rows.
    pub rows: Vec<TriageRow>,
    /// Rows the selection holds, on every page (what a bulk action acts on).
    pub total: u64,
    /// From 0; the last page when the one asked for is past it.
    pub page: u32,
    pub per_page: u32,
    /// How many of each class and in each bucket, in the whole queue.
    pub classes: Vec<(FailureClass, u64)>,
    pub buckets: Vec<(TriageBucket, u64)>,
    /// Some request is queued or copying: the queue can change by itself (the page looks again).
    pub moving: bool,
    /// Emails Fountain gave up sending, newest first (at most [`UNDELIVERED_SHOWN`]).
    #[serde(default)]
    pub undelivered: Vec<UndeliveredEmail>,
}

/// Undelivered emails the helpdesk page lists.
pub const UNDELIVERED_SHOWN: u64 = 50;

/// An email the SMTP server refused for good (a mailbox that does not exist, an address that is
/// not one), or that failed too often: nobody got it, and Fountain will not try it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndeliveredEmail {
    pub to: String,
    pub subject: String,
    /// The request it was about, if any (its page has the timeline and "send again").
    pub request_id: Option<RequestId>,
    pub written_at: i64,
    pub gave_up_at: i64,
    pub attempts: i32,
    /// What the SMTP server said the last time.
    pub why: String,
}

impl Triage {
    /// Pages the selection fills (at least one).
    pub fn pages(&self) -> u32 {
        let per_page = u64::from(self.per_page.max(1));
        u32::try_from(self.total.div_ceil(per_page).max(1)).unwrap_or(u32::MAX)
    }
}

/// How the queue is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageSort {
    /// By why it is there (stuck first), then longest in that state first.
    #[default]
    Reason,
    /// Longest in its state first.
    Oldest,
    /// Most recently changed first.
    Newest,
    /// By name.
    Person,
    /// Biggest mailbox first.
    Largest,
}

impl TriageSort {
    pub const ALL: [TriageSort; 5] = [
        TriageSort::Reason,
        TriageSort::Oldest,
        TriageSort::Newest,
        TriageSort::Person,
        TriageSort::Largest,
    ];

    /// As sent in forms and links.
    pub fn as_str(self) -> &'static str {
        match self {
            TriageSort::Reason => "reason",
            TriageSort::Oldest => "oldest",
            TriageSort::Newest => "newest",
            TriageSort::Person => "person",
            TriageSort::Largest => "largest",
        }
    }

    pub fn parse(s: &str) -> Option<TriageSort> {
        TriageSort::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            TriageSort::Reason => "By reason, longest waiting first",
            TriageSort::Oldest => "Longest in its state first",
            TriageSort::Newest => "Most recent first",
            TriageSort::Person => "By name",
            TriageSort::Largest => "Biggest mailbox first",
        }
    }
}

/// Which page of the queue, narrowed and ordered how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageQuery {
    #[serde(default)]
    pub selection: TriageSelection,
    #[serde(default)]
    pub sort: TriageSort,
    /// From 0.
    #[serde(default)]
    pub page: u32,
}

/// Which rows of the triage queue a bulk action is for: those in `bucket` and of `class`, where
/// given (none: every row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageSelection {
    #[serde(default)]
    pub bucket: Option<TriageBucket>,
    #[serde(default)]
    pub class: Option<FailureClass>,
}

impl TriageSelection {
    pub fn holds(&self, row: &TriageRow) -> bool {
        self.bucket.is_none_or(|b| b == row.bucket)
            && self.class.is_none_or(|c| row.class == Some(c))
    }
}

/// What a bulk action did, request by request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub done: Vec<RequestId>,
    /// Those the state machine or their state refused, and why.
    pub refused: Vec<(RequestId, String)>,
    /// People in the selection who never started: no request to act on.
    #[serde(default)]
    pub not_started: u64,
}
