//! Pauses before trying again, spread at random: many workers that met the same trouble (a server
//! back after an outage, an SMTP relay that refused everyone) must not all come back in lockstep.

use std::time::Duration;

/// How far a pause is spread: from half of it to one and a half times it.
const SPREAD: f64 = 0.5;

/// `pause` spread at random around itself (see [`spread`]).
pub fn jittered(pause: Duration) -> Duration {
    spread(pause, rand::random::<f64>())
}

/// `pause` scaled by `1 - SPREAD + 2·SPREAD·at`, for `at` in `[0, 1)` (out-of-range or NaN `at` is
/// clamped): the same `pause` with different `at`s lands anywhere from half to one and a half of it.
pub fn spread(pause: Duration, at: f64) -> Duration {
    let at = if at.is_finite() {
        at.clamp(0.0, 1.0)
    } else {
        0.5
    };
    pause.mul_f64(1.0 - SPREAD + 2.0 * SPREAD * at)
}

/// `pause` doubled, up to `most`.
pub fn doubled(pause: Duration, most: Duration) -> Duration {
    pause.saturating_mul(2).min(most)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spreads_from_half_to_one_and_a_half() {
        let pause = Duration::from_secs(30);
        assert_eq!(spread(pause, 0.0), Duration::from_secs(15));
        assert_eq!(spread(pause, 0.5), pause);
        assert_eq!(spread(pause, 1.0), Duration::from_secs(45));
        assert_eq!(spread(pause, f64::NAN), pause);
    }

    #[test]
    fn doubling_stops_at_the_most() {
        let most = Duration::from_secs(300);
        assert_eq!(
            doubled(Duration::from_secs(2), most),
            Duration::from_secs(4)
        );
        assert_eq!(doubled(Duration::from_secs(200), most), most);
        assert_eq!(doubled(Duration::MAX, most), most);
    }

    #[test]
    fn workers_do_not_come_back_together() {
        let pauses: std::collections::HashSet<_> =
            (0..20).map(|_| jittered(Duration::from_secs(60))).collect();
        assert!(pauses.len() > 10, "{pauses:?}");
    }

    proptest! {
        #[test]
        fn a_spread_pause_stays_within_its_bounds(ms in 0u64..10_000_000, at in any::<f64>()) {
            let pause = Duration::from_millis(ms);
            let spread = spread(pause, at);
            let slack = Duration::from_nanos(1);
            prop_assert!(spread + slack >= pause / 2 && spread <= pause * 3 / 2 + slack);
        }
    }
}
