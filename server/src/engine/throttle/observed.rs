//! What a server's budget has seen lately, for IT's servers page: the adaptive limit's recent
//! history, the operations' latency and the errors of the last minute. Pure: callers pass the time.
use std::collections::VecDeque;

/// Limit changes kept (at one per few seconds at most, an hour or more of history).
const HISTORY: usize = 120;
/// Errors are counted over this window.
const ERROR_WINDOW_MS: i64 = 60_000;
/// Weight of a new latency sample in the moving average.
const SMOOTHING: f64 = 0.2;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Observed {
    /// (Unix seconds, limit) each time the limit in force changed, oldest first.
    history: VecDeque<(i64, usize)>,
    /// When each error of the last minute happened (Unix milliseconds), oldest first.
    errors: VecDeque<i64>,
    /// Seconds per operation, smoothed.
    latency: Option<f64>,
}

impl Observed {
    /// The limit in force is `limit` at `now_ms`: kept when it differs from the last one seen.
    pub fn limit(&mut self, limit: usize, now_ms: i64) {
        if self.history.back().is_some_and(|(_, last)| *last == limit) {
            return;
        }
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back((now_ms.div_euclid(1000), limit));
    }

    /// An operation took `seconds`.
    pub fn latency(&mut self, seconds: f64) {
        if !seconds.is_finite() || seconds < 0.0 {
            return;
        }
        self.latency = Some(
            self.latency
                .map_or(seconds, |l| l * (1.0 - SMOOTHING) + seconds * SMOOTHING),
        );
    }

    /// An operation failed at `now_ms`.
    pub fn error(&mut self, now_ms: i64) {
        self.forget_old_errors(now_ms);
        self.errors.push_back(now_ms);
    }

    /// Errors in the minute up to `now_ms`.
    pub fn errors_last_minute(&mut self, now_ms: i64) -> usize {
        self.forget_old_errors(now_ms);
        self.errors.len()
    }

    pub fn history(&self) -> Vec<(i64, usize)> {
        self.history.iter().copied().collect()
    }

    /// Milliseconds per operation, smoothed; `None` before the first.
    pub fn latency_ms(&self) -> Option<f64> {
        self.latency.map(|s| s * 1000.0)
    }

    fn forget_old_errors(&mut self, now_ms: i64) {
        while self
            .errors
            .front()
            .is_some_and(|at| *at <= now_ms - ERROR_WINDOW_MS)
        {
            self.errors.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_history_keeps_changes_only() {
        let mut seen = Observed::default();
        seen.limit(2, 1_000);
        seen.limit(2, 2_000);
        seen.limit(3, 3_500);
        seen.limit(1, 9_999);
        assert_eq!(seen.history(), [(1, 2), (3, 3), (9, 1)]);
    }

    #[test]
    fn errors_count_over_the_last_minute() {
        let mut seen = Observed::default();
        seen.error(0);
        seen.error(30_000);
        assert_eq!(seen.errors_last_minute(59_999), 2);
        assert_eq!(seen.errors_last_minute(60_000), 1);
        assert_eq!(seen.errors_last_minute(200_000), 0);
    }

    #[test]
    fn latency_is_smoothed_and_ignores_nonsense() {
        let mut seen = Observed::default();
        assert_eq!(seen.latency_ms(), None);
        seen.latency(0.1);
        seen.latency(f64::NAN);
        seen.latency(-1.0);
        assert_eq!(seen.latency_ms(), Some(100.0));
        seen.latency(0.2);
        let ms = seen.latency_ms().unwrap();
        assert!(ms > 100.0 && ms < 200.0, "{ms}");
    }

    proptest! {
        #[test]
        fn the_history_is_bounded_and_never_repeats_a_limit(
            limits in prop::collection::vec(1usize..10, 0..500),
        ) {
            let mut seen = Observed::default();
            for (i, limit) in limits.iter().enumerate() {
                seen.limit(*limit, i as i64 * 100);
            }
            let history = seen.history();
            prop_assert!(history.len() <= HISTORY);
            prop_assert!(history.windows(2).all(|w| w[0].1 != w[1].1 && w[0].0 <= w[1].0));
            if let Some(last) = limits.last() {
                prop_assert_eq!(history.last().map(|h| h.1), Some(*last));
            }
        }
    }
}
