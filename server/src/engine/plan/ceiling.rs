//! How many connections a server takes at once, learned from its refusals. An aging server with a
//! process limit drops a login beyond it (Dovecot's `process_limit`: the login hangs, then the
//! connection closes) while the sessions it has go on working. A refused connection while others
//! are open says "this many and no more": new connections wait for one to close instead of failing
//! again, and one more is tried now and then, in case the server was only busy.
use std::time::{Duration, Instant};

/// How long a learned ceiling holds before one more connection is tried.
pub const PROBE_AFTER: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionCeiling {
    /// Connections the server was seen to take, and when that was last learned or probed.
    learned: Option<(usize, Instant)>,
}

impl ConnectionCeiling {
    /// A new connection failed (dropped or timed out before the session began) while `others_open`
    /// of this process's connections to the server worked. Returns whether the ceiling came down.
    /// With none open, the server is down or unreachable, not full: nothing is learned.
    pub fn refused(&mut self, others_open: usize, now: Instant) -> bool {
        if others_open == 0 {
            return false;
        }
        let lower = match self.learned {
            Some((seen, _)) => others_open.min(seen),
            None => others_open,
        };
        let changed = self.learned.map(|(seen, _)| seen) != Some(lower);
        // Only a lowering restarts the clock: a refusal at the ceiling itself (a probe, or one
        // person's login failing again and again) must not keep it down for good.
        if changed {
            self.learned = Some((lower, now));
        }
        changed
    }

    /// Connections allowed at once now, within `configured`: the learned ceiling, one higher for
    /// each [`PROBE_AFTER`] without a refusal, until it is the configured cap again.
    pub fn allowed(&mut self, configured: usize, now: Instant) -> usize {
        let Some((seen, since)) = self.learned else {
            return configured;
        };
        let probes =
            (now.saturating_duration_since(since).as_secs() / PROBE_AFTER.as_secs()) as usize;
        if probes > 0 {
            let raised = seen.saturating_add(probes);
            self.learned = (raised < configured).then_some((raised, now));
        }
        self.learned
            .map_or(configured, |(seen, _)| seen.min(configured))
    }

    /// The ceiling as it stands at `now` (for the servers page and metrics): a learned one rises
    /// with time, not only when a connection is asked for. `None`: the configured cap rules.
    pub fn standing(&mut self, configured: usize, now: Instant) -> Option<usize> {
        self.allowed(configured, now);
        self.learned()
    }

    /// The learned ceiling, if any.
    fn learned(&self) -> Option<usize> {
        self.learned.map(|(seen, _)| seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_refusal_with_others_open_sets_the_ceiling() {
        let (mut c, t0) = (ConnectionCeiling::default(), Instant::now());
        assert_eq!(c.allowed(8, t0), 8);
        assert!(c.refused(2, t0));
        assert_eq!(c.allowed(8, t0), 2);
        assert!(!c.refused(2, t0), "learned already");
        assert!(c.refused(1, t0), "fewer still");
        assert!(!c.refused(3, t0), "never up by a refusal");
        assert_eq!(c.learned(), Some(1));
    }

    #[test]
    fn a_server_that_is_down_teaches_nothing() {
        let (mut c, t0) = (ConnectionCeiling::default(), Instant::now());
        assert!(!c.refused(0, t0));
        assert_eq!((c.allowed(8, t0), c.learned()), (8, None));
    }

    #[test]
    fn one_more_is_tried_after_a_quiet_while_until_the_cap() {
        let (mut c, t0) = (ConnectionCeiling::default(), Instant::now());
        c.refused(2, t0);
        assert_eq!(c.allowed(4, t0 + PROBE_AFTER / 2), 2);
        assert_eq!(c.allowed(4, t0 + PROBE_AFTER), 3);
        // The probe is refused: back to what works, and the clock starts again.
        let t1 = t0 + PROBE_AFTER + Duration::from_secs(5);
        assert!(c.refused(2, t1));
        assert_eq!(c.allowed(4, t1 + PROBE_AFTER - Duration::from_secs(1)), 2);
        assert_eq!(c.allowed(4, t1 + PROBE_AFTER), 3);
        assert_eq!(c.allowed(4, t1 + PROBE_AFTER * 2), 4);
        assert_eq!(c.learned(), None, "the configured cap again");
    }

    #[test]
    fn refusals_at_the_ceiling_do_not_hold_it_down() {
        let (mut c, t0) = (ConnectionCeiling::default(), Instant::now());
        c.refused(2, t0);
        // One person's login fails every minute while two sessions work: nothing new is learned.
        for minute in 1..=3 {
            assert!(!c.refused(2, t0 + Duration::from_secs(60 * minute)));
        }
        assert_eq!(c.allowed(8, t0 + PROBE_AFTER), 3);
    }

    #[test]
    fn the_standing_ceiling_rises_with_time_alone() {
        let (mut c, t0) = (ConnectionCeiling::default(), Instant::now());
        assert_eq!(c.standing(4, t0), None);
        c.refused(2, t0);
        assert_eq!(c.standing(4, t0 + PROBE_AFTER / 2), Some(2));
        assert_eq!(c.standing(4, t0 + PROBE_AFTER), Some(3));
        assert_eq!(c.standing(4, t0 + PROBE_AFTER * 2), None, "the cap again");
    }

    #[test]
    fn a_lowered_configured_cap_still_rules() {
        let (mut c, t0) = (ConnectionCeiling::default(), Instant::now());
        c.refused(5, t0);
        assert_eq!(c.allowed(3, t0), 3);
    }

    proptest! {
        #[test]
        fn always_between_one_and_the_cap(
            events in proptest::collection::vec((0usize..20, 0u64..400, any::<bool>()), 0..50),
            configured in 1usize..20,
        ) {
            let (mut c, mut now) = (ConnectionCeiling::default(), Instant::now());
            for (open, secs, refused) in events {
                now += Duration::from_secs(secs);
                if refused {
                    c.refused(open, now);
                }
                let allowed = c.allowed(configured, now);
                prop_assert!((1..=configured).contains(&allowed));
            }
        }
    }
}
