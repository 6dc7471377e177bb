//! The helpdesk's triage queue: requests that need someone, each with why and what to do next.
use serde::{Deserialize, Serialize};

use super::{FailureClass, RequestId, RequestState};

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
    /// The person has to act (their old password is no longer accepted).
    WaitingForPerson,
}

impl TriageBucket {
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
    pub request_id: RequestId,
    pub person: String,
    pub email: String,
    pub state: RequestState,
    pub bucket: TriageBucket,
    /// Unix seconds of the last change of state.
    pub since: i64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub last_error: Option<String>,
    pub class: Option<FailureClass>,
    /// Why it is stuck, in the stuck bucket.
    pub stall: Option<Stall>,
}

/// The queue, oldest first within each bucket, and how many of each class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub rows: Vec<TriageRow>,
    pub classes: Vec<(FailureClass, u64)>,
    /// Some request is queued or copying: the queue can change by itself (the page looks again).
    pub moving: bool,
}

/// Which rows of the triage queue a bulk action is for: those in `bucket` and of `class`, where
/// given (none: every row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageSelection {
    pub bucket: Option<TriageBucket>,
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
}
