//! How many operations one server gets at once: additive increase while its latency stays near the
//! best seen, multiplicative decrease when latency climbs or an operation fails (TCP's AIMD). The
//! seed's old server melted above two parallel syncs: this finds such a limit from the server's own
//! answers instead of by trial and error on production.

/// Latency above this multiple of the best seen means the server is straining.
const STRAIN: f64 = 2.0;
/// Weight of a new sample in the moving average.
const SMOOTHING: f64 = 0.3;

#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveLimit {
    limit: f64,
    min: usize,
    max: usize,
    /// Seconds per unit of work: the best sample, and the recent average.
    best: Option<f64>,
    recent: Option<f64>,
}

impl AdaptiveLimit {
    /// Starts at `start` (clamped to `1..=max`), never going outside `1..=max`.
    pub fn new(start: usize, max: usize) -> Self {
        let max = max.max(1);
        AdaptiveLimit {
            limit: start.clamp(1, max) as f64,
            min: 1,
            max,
            best: None,
            recent: None,
        }
    }

    /// Operations allowed at once now.
    pub fn current(&self) -> usize {
        (self.limit.floor() as usize).clamp(self.min, self.max)
    }

    /// Recent time per unit of work over the best seen (`None` before any, and after an error).
    pub fn strain(&self) -> Option<f64> {
        match (self.recent, self.best) {
            (Some(recent), Some(best)) if best > 0.0 => Some(recent / best),
            _ => None,
        }
    }

    /// IT changed the server's connection cap: the limit stays within the new one.
    pub fn set_max(&mut self, max: usize) {
        self.max = max.max(1);
        self.limit = self.limit.min(self.max as f64);
    }

    /// An operation succeeded taking `cost` seconds per unit of work (e.g. per MB moved).
    pub fn on_success(&mut self, cost: f64) {
        if !cost.is_finite() || cost < 0.0 {
            return;
        }
        let best = self.best.map_or(cost, |b| b.min(cost));
        self.best = Some(best);
        let recent = self
            .recent
            .map_or(cost, |r| r * (1.0 - SMOOTHING) + cost * SMOOTHING);
        self.recent = Some(recent);
        if recent > best * STRAIN && best > 0.0 {
            // Slower than it can be: ease off before it turns into errors.
            self.limit = (self.limit * 0.75).max(self.min as f64);
        } else {
            // One more slot per `limit` healthy operations: about one per round of work.
            self.limit = (self.limit + 1.0 / self.limit).min(self.max as f64);
        }
    }

    /// An operation failed (timeout, dropped connection, a server's "try later"): halve.
    pub fn on_error(&mut self) {
        self.limit = (self.limit / 2.0).max(self.min as f64);
        // The server may be in a new regime: measure afresh.
        self.recent = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grows_while_healthy_up_to_the_maximum() {
        let mut limit = AdaptiveLimit::new(2, 6);
        assert_eq!(limit.current(), 2);
        for _ in 0..100 {
            limit.on_success(0.1);
        }
        assert_eq!(limit.current(), 6);
    }

    #[test]
    fn halves_on_errors_and_never_reaches_zero() {
        let mut limit = AdaptiveLimit::new(8, 8);
        limit.on_error();
        assert_eq!(limit.current(), 4);
        for _ in 0..10 {
            limit.on_error();
        }
        assert_eq!(limit.current(), 1);
    }

    #[test]
    fn backs_off_when_latency_climbs() {
        let mut limit = AdaptiveLimit::new(4, 8);
        for _ in 0..5 {
            limit.on_success(0.1);
        }
        let before = limit.current();
        // The server slows to 5x its best: the limit must come down.
        for _ in 0..10 {
            limit.on_success(0.5);
        }
        assert!(limit.current() < before, "{limit:?}");
        assert_eq!(limit.current(), 1);
    }

    proptest! {
        #[test]
        fn always_within_bounds(
            start in 0usize..20,
            max in 0usize..20,
            events in prop::collection::vec(prop::option::of(0.0f64..10.0), 0..200),
        ) {
            let mut limit = AdaptiveLimit::new(start, max);
            for event in events {
                match event {
                    Some(cost) => limit.on_success(cost),
                    None => limit.on_error(),
                }
                prop_assert!((1..=max.max(1)).contains(&limit.current()));
            }
        }

        #[test]
        fn a_new_maximum_holds_at_once(
            start in 0usize..20,
            max in 0usize..20,
            new_max in 0usize..20,
            events in prop::collection::vec(prop::option::of(0.0f64..10.0), 0..50),
        ) {
            let mut limit = AdaptiveLimit::new(start, max);
            limit.set_max(new_max);
            prop_assert!((1..=new_max.max(1)).contains(&limit.current()));
            for event in events {
                match event {
                    Some(cost) => limit.on_success(cost),
                    None => limit.on_error(),
                }
                prop_assert!((1..=new_max.max(1)).contains(&limit.current()));
            }
        }
    }
}
