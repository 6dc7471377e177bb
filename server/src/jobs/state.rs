//! A migration request's life, as a pure state machine: every change of state in the product goes
//! through [`transition`], so a request can never be "done" without a worker having finished it, and
//! nothing can leave "cancelled".
use app::dto::RequestAction;
pub use app::dto::RequestState;

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
    /// Its wave's schedule gives it a turn: to the workers.
    Release,
    /// Its wave's schedule takes it back (the window closed, the wave paused, fewer copies at once);
    /// a copy stops at its next heartbeat and resumes exactly from the journal when released again.
    Hold,
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
        (S::Scheduled, E::Release) => S::Queued,
        (S::Queued | S::Copying, E::Hold) => S::Scheduled,
        (S::Queued, E::Claimed) => S::Copying,
        (S::Copying, E::Finished) => S::Done,
        (S::Copying, E::FinishedWithQuarantine) => S::NeedsAttention,
        (S::Copying, E::Broke) => S::Failed,
        (S::Copying, E::WorkerLost) => S::Queued,
        (S::Scheduled | S::Queued | S::Copying, E::Pause) => S::Paused,
        (S::Paused, E::Resume) => S::Queued,
        (
            S::Scheduled | S::Queued | S::Copying | S::Paused | S::NeedsAttention | S::Failed,
            E::Cancel,
        ) => S::Cancelled,
        (S::Failed | S::NeedsAttention, E::Retry) => S::Queued,
        (S::Done | S::NeedsAttention, E::CatchUp) => S::Queued,
        _ => return Err(NotAllowed { state, event }),
    };
    Ok(next)
}

/// [`transition`] for a request its wave's schedule holds (`in_wave`): what would go back to the
/// workers at once (resumed, retried, caught up) waits for its turn instead, so a wave never runs
/// more copies than it may. A lost worker's request keeps the turn it had.
pub fn transition_in(
    state: RequestState,
    event: Event,
    in_wave: bool,
) -> Result<RequestState, NotAllowed> {
    let next = transition(state, event)?;
    let keeps_turn = matches!(event, Event::Release | Event::WorkerLost);
    Ok(if in_wave && next == RequestState::Queued && !keeps_turn {
        RequestState::Scheduled
    } else {
        next
    })
}

/// The event a person's button stands for.
pub fn event_for(action: RequestAction) -> Event {
    match action {
        RequestAction::Pause => Event::Pause,
        RequestAction::Resume => Event::Resume,
        RequestAction::Cancel => Event::Cancel,
        RequestAction::Retry => Event::Retry,
        RequestAction::CatchUp => Event::CatchUp,
    }
}

/// The buttons a request in `state` offers: the actions its state machine accepts, except a catch-up
/// where a retry is offered (a retry copies what arrived, too).
pub fn offered_actions(state: RequestState) -> Vec<RequestAction> {
    use RequestAction::*;
    let accepted = |a: RequestAction| transition(state, event_for(a)).is_ok();
    [Pause, Resume, Retry, CatchUp, Cancel]
        .into_iter()
        .filter(|&a| accepted(a) && !(a == CatchUp && accepted(Retry)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EVENTS: [Event; 12] = [
        Event::Release,
        Event::Hold,
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
    fn each_state_offers_the_buttons_people_know() {
        use RequestAction::*;
        use RequestState as S;
        assert_eq!(offered_actions(S::Scheduled), vec![Pause, Cancel]);
        assert_eq!(offered_actions(S::Queued), vec![Pause, Cancel]);
        assert_eq!(offered_actions(S::Copying), vec![Pause, Cancel]);
        assert_eq!(offered_actions(S::Paused), vec![Resume, Cancel]);
        assert_eq!(offered_actions(S::NeedsAttention), vec![Retry, Cancel]);
        assert_eq!(offered_actions(S::Failed), vec![Retry, Cancel]);
        assert_eq!(offered_actions(S::Done), vec![CatchUp]);
        assert_eq!(offered_actions(S::Cancelled), vec![]);
    }

    #[test]
    fn every_offered_action_is_accepted_by_the_state_machine() {
        for s in RequestState::ALL {
            for a in offered_actions(s) {
                assert!(transition(s, event_for(a)).is_ok(), "{s} offers {a:?}");
            }
        }
    }

    #[test]
    fn a_wave_holds_and_releases_and_what_would_jump_the_queue_waits_its_turn() {
        use RequestState as S;
        assert_eq!(transition(S::Scheduled, Event::Release), Ok(S::Queued));
        assert_eq!(transition(S::Copying, Event::Hold), Ok(S::Scheduled));
        assert!(
            transition(S::Scheduled, Event::Claimed).is_err(),
            "held is not claimable"
        );
        assert!(
            transition(S::Paused, Event::Hold).is_err(),
            "a person's pause stays theirs"
        );
        for (state, event) in [
            (S::Paused, Event::Resume),
            (S::Failed, Event::Retry),
            (S::Done, Event::CatchUp),
        ] {
            assert_eq!(transition_in(state, event, true), Ok(S::Scheduled));
            assert_eq!(transition_in(state, event, false), Ok(S::Queued));
        }
        assert_eq!(
            transition_in(S::Copying, Event::WorkerLost, true),
            Ok(S::Queued)
        );
        assert_eq!(
            transition_in(S::Scheduled, Event::Release, true),
            Ok(S::Queued)
        );
    }

    proptest! {
        /// In a wave, nothing reaches the workers' queue but by the wave's release (or by keeping the
        /// turn it had when its worker was lost).
        #[test]
        fn in_a_wave_only_the_schedule_queues(events in prop::collection::vec(0usize..12, 0..60)) {
            let mut s = RequestState::Scheduled;
            for i in events {
                let e = EVENTS[i];
                if let Ok(next) = transition_in(s, e, true) {
                    if next == RequestState::Queued && s != RequestState::Queued {
                        prop_assert!(matches!(e, Event::Release | Event::WorkerLost), "{e:?} from {s}");
                    }
                    s = next;
                }
            }
        }

        /// Whatever happens: nothing leaves "cancelled", "done" and "needs attention" are only reached
        /// from a worker's copy, and only a queued request is claimed.
        #[test]
        fn invariants(events in prop::collection::vec(0usize..12, 0..60)) {
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
