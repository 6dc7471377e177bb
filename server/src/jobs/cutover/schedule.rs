//! When catch-ups run after delivery moved: at the switch (what arrived between the copy and the
//! switch), then every few minutes for the first hours (mail still routed by old DNS answers and
//! retries queued at senders), then daily until the schedule ends. Pure.

const DAY: i64 = 86_400;

/// Seconds, from `[migration.cutover]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUpSchedule {
    pub every_secs: i64,
    /// How long after the switch catch-ups come every `every_secs`; daily after that.
    pub frequent_secs: i64,
    /// No catch-up is asked for later than this after the switch.
    pub until_secs: i64,
}

impl CatchUpSchedule {
    /// The first catch-up: at the switch.
    pub fn first(&self, switched_at: i64) -> i64 {
        switched_at
    }

    /// The catch-up after one asked for at `ran_at`; `None` once the schedule is over.
    pub fn after(&self, switched_at: i64, ran_at: i64) -> Option<i64> {
        let from = ran_at.max(switched_at);
        let step = if from < switched_at.saturating_add(self.frequent_secs) {
            self.every_secs.max(1)
        } else {
            DAY
        };
        let next = from.saturating_add(step);
        (next <= switched_at.saturating_add(self.until_secs)).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: i64 = 3_600;

    #[test]
    fn hourly_for_a_day_then_daily_for_two_weeks() {
        let s = CatchUpSchedule {
            every_secs: HOUR,
            frequent_secs: 24 * HOUR,
            until_secs: 14 * DAY,
        };
        let switched = 1_000_000;
        let mut runs = vec![s.first(switched)];
        while let Some(next) = s.after(switched, *runs.last().unwrap()) {
            runs.push(next);
        }
        // At the switch, 24 hourly (the last at +24 h), then daily up to +14 days.
        assert_eq!(runs.len(), 1 + 24 + 13);
        assert_eq!(runs[24], switched + 24 * HOUR);
        assert_eq!(runs[25], switched + 2 * DAY);
        assert_eq!(*runs.last().unwrap(), switched + 14 * DAY);
    }

    #[test]
    fn a_late_run_does_not_bunch_the_next_ones() {
        let s = CatchUpSchedule {
            every_secs: HOUR,
            frequent_secs: 24 * HOUR,
            until_secs: 14 * DAY,
        };
        // A worker was down for five hours: the next is an hour after the late run, not five at once.
        assert_eq!(s.after(0, 5 * HOUR), Some(6 * HOUR));
    }

    proptest! {
        #[test]
        fn catch_ups_move_forward_and_stop(
            every in 1i64..100_000, frequent in 0i64..10_000_000, until in 0i64..100_000_000,
            switched in -1_000_000_000i64..3_000_000_000, ran in -1_000_000_000i64..3_000_000_000,
        ) {
            let s = CatchUpSchedule { every_secs: every, frequent_secs: frequent, until_secs: until };
            if let Some(next) = s.after(switched, ran) {
                prop_assert!(next > ran && next > switched);
                prop_assert!(next <= switched + until);
            }
        }
    }
}
