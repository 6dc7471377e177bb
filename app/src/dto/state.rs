//! Where a migration request is: one type for the server, which stores and changes it (through its
//! state machine), and the pages, which word it. The server also says which actions each state
//! offers ([`super::RequestView::actions`]), so the pages never re-implement its rules.
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// In a wave, waiting for its turn (the wave's start, its window, its copies at once); the wave's
    /// schedule releases it to the queue.
    Scheduled,
    /// Waiting for a worker.
    Queued,
    /// A worker is copying (its heartbeat says it is alive).
    Copying,
    /// Stopped on request; nothing is lost, it resumes from the journal.
    Paused,
    /// Every selected message is on the destination.
    Done,
    /// Copied what could be copied; some messages are quarantined and IT has been told.
    NeedsAttention,
    /// The copy could not go on (e.g. the old password no longer works); resumable once fixed.
    Failed,
    /// Stopped for good by the user or the helpdesk; what was copied stays.
    Cancelled,
}

impl RequestState {
    pub const ALL: [RequestState; 8] = [
        RequestState::Scheduled,
        RequestState::Queued,
        RequestState::Copying,
        RequestState::Paused,
        RequestState::Done,
        RequestState::NeedsAttention,
        RequestState::Failed,
        RequestState::Cancelled,
    ];

    /// The stored (and serialized) form.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Scheduled => "scheduled",
            RequestState::Queued => "queued",
            RequestState::Copying => "copying",
            RequestState::Paused => "paused",
            RequestState::Done => "done",
            RequestState::NeedsAttention => "needs_attention",
            RequestState::Failed => "failed",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn parse(stored: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_str() == stored)
    }

    /// In a sentence: "the request is needs attention" reads as people say it.
    pub fn in_words(self) -> &'static str {
        match self {
            RequestState::NeedsAttention => "needs attention",
            other => other.as_str(),
        }
    }

    /// A worker is (or should be) busy with it.
    pub fn is_active(self) -> bool {
        matches!(self, RequestState::Queued | RequestState::Copying)
    }

    /// It stopped short of done and someone has to look (the person, the helpdesk or IT).
    pub fn is_trouble(self) -> bool {
        matches!(self, RequestState::NeedsAttention | RequestState::Failed)
    }

    /// It has not ended: it is running, or it can be resumed or retried.
    pub fn is_open(self) -> bool {
        !matches!(self, RequestState::Done | RequestState::Cancelled)
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `state == "done"`: tests and logs compare with the stored form.
impl PartialEq<&str> for RequestState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_match_the_serialized_form() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(RequestState::parse("nonsense"), None);
    }

    #[test]
    fn words_have_no_underscores() {
        for s in RequestState::ALL {
            assert!(!s.in_words().contains('_'), "{s}");
        }
        assert_eq!(RequestState::NeedsAttention.in_words(), "needs attention");
    }
}
