//! Whose turn it is in a running wave: the schedule's decision, pure. Inside the window a wave keeps
//! as many of its requests with the workers as it has slots, largest first (a copy that has begun
//! goes before any that has not, so nobody restarts the queue behind them); outside the window, or
//! paused, it keeps none, and what was copying stops, to resume from the journal at its next turn.
use app::dto::RequestState;

/// One of the wave's open requests, as the schedule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    pub id: i64,
    pub state: RequestState,
    /// It has run before (a worker claimed it at least once).
    pub started: bool,
    /// The mailbox's size, as the plan knows it (0 when unknown).
    pub bytes: u64,
}

/// What the schedule does now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moves {
    /// Back to waiting (from queued or copying).
    pub hold: Vec<i64>,
    /// To the workers (from scheduled).
    pub release: Vec<i64>,
}

/// Whether the window is open at `now`: from its start (none: already) until its end (none: open).
pub fn window_open(start: Option<i64>, end: Option<i64>, now: i64) -> bool {
    start.is_none_or(|s| now >= s) && end.is_none_or(|e| now < e)
}

/// Which requests go to the workers and which come back, given whether the wave may run now
/// (`open`: running, inside its window) and its slots (copies at once, within the old server's).
pub fn moves(open: bool, slots: usize, requests: &[Turn]) -> Moves {
    let with_workers = |t: &&Turn| matches!(t.state, RequestState::Queued | RequestState::Copying);
    let mut active: Vec<&Turn> = requests.iter().filter(with_workers).collect();
    if !open {
        return Moves {
            hold: active.iter().map(|t| t.id).collect(),
            release: Vec::new(),
        };
    }
    let mut out = Moves::default();
    if active.len() > slots {
        // Fewer slots than copies (IT lowered the concurrency): the waiting ones go back first, then
        // the copies that come last in the order.
        active.sort_by_key(|t| (t.state != RequestState::Copying, priority(t)));
        out.hold = active[slots..].iter().map(|t| t.id).collect();
        return out;
    }
    let mut waiting: Vec<&Turn> = requests
        .iter()
        .filter(|t| t.state == RequestState::Scheduled)
        .collect();
    waiting.sort_by_key(|t| priority(t));
    out.release = waiting
        .iter()
        .take(slots - active.len())
        .map(|t| t.id)
        .collect();
    out
}

/// Begun first, then largest first, then oldest.
fn priority(t: &Turn) -> (bool, std::cmp::Reverse<u64>, i64) {
    (!t.started, std::cmp::Reverse(t.bytes), t.id)
}

/// Whether a running wave is over: none of its requests is open (waiting, copying, paused, or
/// stopped short for someone to look at), and either everyone in it has had their copy or its
/// window has closed (people invited who never came are not waited for after that).
pub fn finished(open_requests: u64, members_without_copy: u64, window_closed: bool) -> bool {
    open_requests == 0 && (members_without_copy == 0 || window_closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use RequestState as S;

    fn turn(id: i64, state: RequestState, started: bool, bytes: u64) -> Turn {
        Turn {
            id,
            state,
            started,
            bytes,
        }
    }

    #[test]
    fn the_window_is_half_open() {
        assert!(window_open(None, None, 5));
        assert!(window_open(Some(5), Some(10), 5));
        assert!(!window_open(Some(5), Some(10), 10));
        assert!(!window_open(Some(5), None, 4));
    }

    #[test]
    fn largest_first_and_begun_copies_before_any_new_one() {
        let requests = [
            turn(1, S::Scheduled, false, 10),
            turn(2, S::Scheduled, false, 900),
            turn(3, S::Scheduled, true, 5),
            turn(4, S::Copying, true, 50),
        ];
        let m = moves(true, 3, &requests);
        assert_eq!(m.release, vec![3, 2]);
        assert!(m.hold.is_empty());
    }

    #[test]
    fn closing_holds_everything_with_the_workers() {
        let requests = [
            turn(1, S::Copying, true, 10),
            turn(2, S::Queued, false, 9),
            turn(3, S::Scheduled, false, 8),
            turn(4, S::Paused, true, 7),
        ];
        assert_eq!(
            moves(false, 2, &requests),
            Moves {
                hold: vec![1, 2],
                release: vec![]
            }
        );
    }

    #[test]
    fn fewer_slots_send_back_the_waiting_before_the_copying() {
        let requests = [
            turn(1, S::Copying, true, 10),
            turn(2, S::Queued, false, 900),
            turn(3, S::Copying, true, 20),
        ];
        assert_eq!(moves(true, 2, &requests).hold, vec![2]);
        assert_eq!(moves(true, 1, &requests).hold, vec![1, 2]);
    }

    #[test]
    fn a_wave_is_over_when_nothing_is_open_and_nobody_is_left_or_the_window_closed() {
        assert!(finished(0, 0, false));
        assert!(!finished(1, 0, true));
        assert!(!finished(0, 3, false));
        assert!(finished(0, 3, true));
    }

    fn any_state() -> impl Strategy<Value = RequestState> {
        prop::sample::select(vec![
            S::Scheduled,
            S::Queued,
            S::Copying,
            S::Paused,
            S::Failed,
        ])
    }

    proptest! {
        /// After the moves a wave never has more with the workers than its slots (none when closed);
        /// when open it fills its slots as far as it has people waiting; and whoever is released is
        /// no smaller than anyone left waiting who has not begun either.
        #[test]
        fn never_more_than_the_slots_and_largest_first(
            requests in prop::collection::vec((any_state(), any::<bool>(), 0u64..1_000_000), 0..40),
            slots in 1usize..8,
            open in any::<bool>(),
        ) {
            let requests: Vec<Turn> = requests
                .into_iter()
                .enumerate()
                .map(|(i, (state, started, bytes))| turn(i as i64, state, started, bytes))
                .collect();
            let m = moves(open, slots, &requests);
            let after = |t: &Turn| {
                if m.hold.contains(&t.id) { S::Scheduled }
                else if m.release.contains(&t.id) { S::Queued }
                else { t.state }
            };
            for id in &m.hold {
                let t = requests.iter().find(|t| t.id == *id).unwrap();
                prop_assert!(matches!(t.state, S::Queued | S::Copying));
            }
            for id in &m.release {
                let t = requests.iter().find(|t| t.id == *id).unwrap();
                prop_assert_eq!(t.state, S::Scheduled);
            }
            let active = requests.iter().filter(|t| matches!(after(t), S::Queued | S::Copying)).count();
            let before = requests.iter().filter(|t| matches!(t.state, S::Queued | S::Copying)).count();
            let waiting = requests.iter().filter(|t| t.state == S::Scheduled).count();
            if open {
                prop_assert_eq!(active, before.min(slots).max((before + waiting).min(slots)));
                prop_assert!(active <= slots);
            } else {
                prop_assert_eq!(active, 0);
            }
            let smallest_new = requests.iter().filter(|t| m.release.contains(&t.id) && !t.started).map(|t| t.bytes).min();
            let largest_left = requests.iter().filter(|t| after(t) == S::Scheduled && t.state == S::Scheduled && !t.started).map(|t| t.bytes).max();
            if let (Some(released), Some(left)) = (smallest_new, largest_left) {
                prop_assert!(released >= left);
            }
            let left_started = requests.iter().any(|t| after(t) == S::Scheduled && t.state == S::Scheduled && t.started);
            if left_started {
                prop_assert!(smallest_new.is_none(), "a new copy began before one already begun");
            }
        }
    }
}
