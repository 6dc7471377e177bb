//! The load guard: whether a server is straining so hard that no new copy should start on it. Pure:
//! the budget passes what it measured and the time.
//!
//! The adaptive limit already eases off as latency climbs (fewer operations in flight: running
//! copies slow down). The guard goes further when the server is in real trouble — its time per unit
//! of work at [`TRIP_RATIO`] times its best with operations taking [`SLOW_MS`] or more, or
//! [`TRIP_ERRORS`] failed operations in a minute — and
//! keeps new claims off it until it has been well again for [`CALM_MS`]: back near its best and no
//! error for a minute, or nothing measured for [`IDLE_MS`] (with no copy running, only a new one can
//! tell; one is let in to look).

/// Time per unit of work this many times the best seen trips the guard.
pub const TRIP_RATIO: f64 = 4.0;
/// … and only when an operation takes at least this long: a fast server's jitter is no strain.
pub const SLOW_MS: f64 = 200.0;
/// Failed operations in the last minute that trip it.
pub const TRIP_ERRORS: usize = 3;
/// Back under this many times the best counts as well.
pub const RECOVER_RATIO: f64 = 1.5;
/// Nothing measured for this long counts as well (nothing to say otherwise).
pub const IDLE_MS: i64 = 20_000;
/// Well for this long reopens the server to new copies.
pub const CALM_MS: i64 = 5_000;

/// Why new copies wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trip {
    /// Its time per unit of work is this many times its best.
    Slow { ratio: f64 },
    /// Operations failed in the last minute.
    Failing { errors: usize },
}

impl std::fmt::Display for Trip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trip::Slow { ratio } => write!(
                f,
                "it answers {ratio:.0} times slower than its best: no new copy starts on it until it recovers"
            ),
            Trip::Failing { errors } => write!(
                f,
                "{errors} operations failed on it in the last minute: no new copy starts on it until it recovers"
            ),
        }
    }
}

/// What the budget measured, as it stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Recent time per unit of work over the best seen (`None` before any, or after an error).
    pub strain: Option<f64>,
    pub errors_last_minute: usize,
    /// Milliseconds per operation, smoothed.
    pub latency_ms: Option<f64>,
    /// Since the last operation ended (`None`: none yet).
    pub idle_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadGuard {
    tripped: Option<Trip>,
    /// Since when it has been well while tripped.
    well_since: Option<i64>,
}

impl LoadGuard {
    /// Takes a reading at `now_ms`; why new copies wait, if they do.
    pub fn observe(&mut self, reading: Reading, now_ms: i64) -> Option<Trip> {
        let trip = if reading.errors_last_minute >= TRIP_ERRORS {
            Some(Trip::Failing {
                errors: reading.errors_last_minute,
            })
        } else {
            reading
                .strain
                .filter(|&r| {
                    r >= TRIP_RATIO
                        && reading.latency_ms.is_some_and(|ms| ms >= SLOW_MS)
                        && reading.idle_ms.is_none_or(|i| i < IDLE_MS)
                })
                .map(|ratio| Trip::Slow { ratio })
        };
        if let Some(trip) = trip {
            self.tripped = Some(trip);
            self.well_since = None;
            return self.tripped;
        }
        self.tripped?;
        let idle = reading.idle_ms.is_some_and(|i| i >= IDLE_MS);
        let near_best = reading.strain.is_some_and(|r| r <= RECOVER_RATIO)
            || reading.latency_ms.is_some_and(|ms| ms < SLOW_MS / 2.0);
        let well = reading.errors_last_minute == 0 && (near_best || idle);
        if !well {
            self.well_since = None;
            return self.tripped;
        }
        let since = *self.well_since.get_or_insert(now_ms);
        if now_ms - since >= CALM_MS {
            self.tripped = None;
            self.well_since = None;
        }
        self.tripped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A server whose operations take 500 ms at their slowest here: slow enough to count.
    fn reading(strain: Option<f64>, errors: usize, idle_ms: Option<i64>) -> Reading {
        Reading {
            strain,
            errors_last_minute: errors,
            latency_ms: Some(500.0),
            idle_ms,
        }
    }

    #[test]
    fn a_fast_servers_jitter_is_no_strain() {
        let mut g = LoadGuard::default();
        let quick = Reading {
            latency_ms: Some(3.0),
            ..reading(Some(10.0), 0, Some(0))
        };
        assert_eq!(g.observe(quick, 0), None);
    }

    #[test]
    fn trips_when_slow_and_reopens_after_a_calm_spell() {
        let mut g = LoadGuard::default();
        assert_eq!(g.observe(reading(Some(1.2), 0, Some(0)), 0), None);
        assert_eq!(g.observe(reading(Some(3.0), 0, Some(0)), 1_000), None);
        assert!(matches!(
            g.observe(reading(Some(6.0), 0, Some(0)), 2_000),
            Some(Trip::Slow { .. })
        ));
        // Better but not near its best: still closed.
        assert!(g.observe(reading(Some(2.0), 0, Some(0)), 10_000).is_some());
        // Near its best: closed until the calm spell is over.
        assert!(g.observe(reading(Some(1.3), 0, Some(0)), 11_000).is_some());
        assert!(g.observe(reading(Some(1.4), 0, Some(0)), 14_000).is_some());
        assert_eq!(g.observe(reading(Some(1.4), 0, Some(0)), 16_000), None);
    }

    #[test]
    fn errors_trip_it_and_it_stays_closed_while_they_are_recent() {
        let mut g = LoadGuard::default();
        assert!(matches!(
            g.observe(reading(None, 3, Some(0)), 0),
            Some(Trip::Failing { errors: 3 })
        ));
        assert!(g.observe(reading(Some(1.0), 1, Some(0)), 30_000).is_some());
        assert!(g.observe(reading(Some(1.0), 0, Some(0)), 61_000).is_some());
        assert_eq!(g.observe(reading(Some(1.0), 0, Some(0)), 66_000), None);
    }

    #[test]
    fn with_nothing_running_a_new_copy_is_let_in_to_look() {
        let mut g = LoadGuard::default();
        assert!(g.observe(reading(Some(9.0), 0, Some(0)), 0).is_some());
        // The last copy ended; the stale reading cannot reopen it, nor keep it shut for ever.
        assert!(g
            .observe(reading(Some(9.0), 0, Some(IDLE_MS)), IDLE_MS)
            .is_some());
        assert_eq!(
            g.observe(
                reading(Some(9.0), 0, Some(IDLE_MS + CALM_MS)),
                IDLE_MS + CALM_MS
            ),
            None
        );
    }

    proptest! {
        #[test]
        fn never_reopens_without_a_calm_spell(
            readings in proptest::collection::vec((proptest::option::of(0.0f64..20.0), 0usize..5, proptest::option::of(0i64..60_000)), 1..60),
        ) {
            let mut g = LoadGuard::default();
            let mut now = 0;
            let mut closed_at: Option<i64> = None;
            let mut last_unwell: Option<i64> = None;
            for (strain, errors, idle) in readings {
                now += 1_000;
                let r = reading(strain, errors, idle);
                let well = errors == 0
                    && (strain.is_some_and(|s| s <= RECOVER_RATIO) || idle.is_some_and(|i| i >= IDLE_MS));
                // (Every reading here is slow enough to count: 500 ms.)
                let shut = g.observe(r, now).is_some();
                if errors >= TRIP_ERRORS {
                    prop_assert!(shut);
                }
                if shut { closed_at.get_or_insert(now); }
                if closed_at.is_some() && !well { last_unwell = Some(now); }
                if !shut {
                    if let (Some(_), Some(unwell)) = (closed_at, last_unwell) {
                        prop_assert!(now - unwell > CALM_MS - 1_000);
                    }
                    closed_at = None;
                    last_unwell = None;
                }
            }
        }
    }
}
