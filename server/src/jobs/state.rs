//! A migration request's life, as a pure state machine: every change of state in the product goes
//! through [`transition`], so a request can never be "done" without a worker having finished it, and
//! nothing can leave "cancelled".
use std::fmt;

/// Where a migration request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
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

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A worker took it.
    Claimed,
    /// The engine finished with every message copied.
    Finished,
    /// The engine finished, some messages quarantined.
    FinishedWithQuarantine,
    /// The engine gave up (after its own retries).
    Broke,
    /// Its worker stopped answering (heartbeat expired): back in the queue, to resume exactly.
    WorkerLost,
    Pause,
    Resume,
    Cancel,
    /// The helpdesk (or the user) tries again after a failure or quarantine.
    Retry,
    /// Copy what arrived since a finished copy (after delivery moved to the new server).
    CatchUp,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Queued,
        RequestState::Copying,
        RequestState::Paused,
        RequestState::Done,
        RequestState::NeedsAttention,
        RequestState::Failed,
        RequestState::Cancelled,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
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

    /// A worker is (or should be) busy with it.
    pub fn is_active(self) -> bool {
        matches!(self, RequestState::Queued | RequestState::Copying)
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {state} request cannot take {event:?}")]
pub struct NotAllowed {
    pub state: RequestState,
    pub event: Event,
}

/// The state after `event`, or why it does not apply.
pub fn transition(state: RequestState, event: Event) -> Result<RequestState, NotAllowed> {
    use Event as E;
    use RequestState as S;
    let next = match (state, event) {
        (S::Queued, E::Claimed) => S::Copying,
        (S::Copying, E::Finished) => S::Done,
        (S::Copying, E::FinishedWithQuarantine) => S::NeedsAttention,
        (S::Copying, E::Broke) => S::Failed,
        (S::Copying, E::WorkerLost) => S::Queued,
        (S::Queued | S::Copying, E::Pause) => S::Paused,
        (S::Paused, E::Resume) => S::Queued,
        (S::Queued | S::Copying | S::Paused | S::NeedsAttention | S::Failed, E::Cancel) => {
            S::Cancelled
        }
        (S::Failed | S::NeedsAttention, E::Retry) => S::Queued,
        (S::Done | S::NeedsAttention, E::CatchUp) => S::Queued,
        _ => return Err(NotAllowed { state, event }),
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EVENTS: [Event; 10] = [
        Event::Claimed,
        Event::Finished,
        Event::FinishedWithQuarantine,
        Event::Broke,
        Event::WorkerLost,
        Event::Pause,
        Event::Resume,
        Event::Cancel,
        Event::Retry,
        Event::CatchUp,
    ];

    #[test]
    fn the_happy_path() {
        let mut s = RequestState::Queued;
        for e in [
            Event::Claimed,
            Event::Finished,
            Event::CatchUp,
            Event::Claimed,
        ] {
            s = transition(s, e).unwrap();
        }
        assert_eq!(s, RequestState::Copying);
    }

    #[test]
    fn a_lost_worker_requeues_and_pause_resume_requeues() {
        assert_eq!(
            transition(RequestState::Copying, Event::WorkerLost),
            Ok(RequestState::Queued)
        );
        let paused = transition(RequestState::Copying, Event::Pause).unwrap();
        assert_eq!(transition(paused, Event::Resume), Ok(RequestState::Queued));
        assert!(
            transition(paused, Event::Claimed).is_err(),
            "paused is not claimable"
        );
    }

    #[test]
    fn stored_names_round_trip() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestState::parse("nonsense"), None);
    }

    proptest! {
        /// Whatever happens: nothing leaves "cancelled", "done" and "needs attention" are only reached
        /// from a worker's copy, and only a queued request is claimed.
        #[test]
        fn invariants(events in prop::collection::vec(0usize..10, 0..60)) {
            let mut s = RequestState::Queued;
            for i in events {
                let e = EVENTS[i];
                match transition(s, e) {
                    Ok(next) => {
                        prop_assert!(s != RequestState::Cancelled);
                        if matches!(next, RequestState::Done | RequestState::NeedsAttention) && next != s {
                            prop_assert_eq!(s, RequestState::Copying);
                        }
                        if e == Event::Claimed {
                            prop_assert_eq!(s, RequestState::Queued);
                        }
                        s = next;
                    }
                    Err(err) => prop_assert_eq!(err, NotAllowed { state: s, event: e }),
                }
            }
        }
    }
}
