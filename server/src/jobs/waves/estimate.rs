//! When a wave (and each person in it) should be done, with a p50 and a p90, from the bytes left and
//! the throughput copies have had on this old server. Pure.
//!
//! How: every copy measured so far on the old server (bytes copied over the time from claim to end,
//! or to now while it runs) is one sample of what one copy gets. The p50 finish is the LPT plan
//! ([`super::plan::lpt`]) run at the median sample; the p90 finish is the same plan at the 10th
//! percentile (nine copies in ten went at least that fast). Before any copy is measured, the configured
//! rate stands in for both, and the estimate says so.
use super::plan::{lpt, Job, Plan};

/// Samples below this many bytes per second are a copy that barely started (a scan, a stall just
/// begun): they say nothing of the rate.
const SLOWEST_SAMPLE: f64 = 1.0;

/// What one copy gets, typically and when slow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Bytes per second, median.
    pub p50: f64,
    /// Bytes per second that nine copies in ten reached.
    pub p10: f64,
    /// How many copies were measured (0: the configured rate).
    pub samples: usize,
}

impl Rates {
    /// At most what `slots` copies at once each get of a server limited to `server_bytes_per_sec`
    /// (IT's limit; none: as they are).
    pub fn within(self, server_bytes_per_sec: Option<f64>, slots: usize) -> Rates {
        let Some(server) = server_bytes_per_sec.filter(|r| r.is_finite() && *r > 0.0) else {
            return self;
        };
        let share = server / slots.max(1) as f64;
        Rates {
            p50: self.p50.min(share),
            p10: self.p10.min(share),
            samples: self.samples,
        }
    }
}

/// The rates `samples` (bytes per second of copies on this server) show, or `assumed` for both
/// when none can be used.
pub fn rates(samples: &[f64], assumed: f64) -> Rates {
    let mut usable: Vec<f64> = samples
        .iter()
        .copied()
        .filter(|r| r.is_finite() && *r >= SLOWEST_SAMPLE)
        .collect();
    if usable.is_empty() {
        return Rates {
            p50: assumed,
            p10: assumed,
            samples: 0,
        };
    }
    usable.sort_by(f64::total_cmp);
    Rates {
        p50: nearest_rank(&usable, 0.5),
        p10: nearest_rank(&usable, 0.1),
        samples: usable.len(),
    }
}

/// The `q` quantile of sorted `values`, by nearest rank (always one of the values).
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The wave's plan at the typical and at the slow rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub rates: Rates,
    pub p50: Plan,
    pub p90: Plan,
}

/// The estimate for `waiting` on `slots`, `busy` being the bytes left of the copies running.
pub fn estimate(busy: &[u64], waiting: &[Job], slots: usize, rates: Rates) -> Estimate {
    Estimate {
        rates,
        p50: lpt(busy, waiting, slots, rates.p50),
        p90: lpt(busy, waiting, slots, rates.p10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn with_nothing_measured_the_configured_rate_stands_in() {
        let r = rates(&[], 5e6);
        assert_eq!((r.p50, r.p10, r.samples), (5e6, 5e6, 0));
        // Copies that barely started, or a rate that is none, are not samples.
        let r = rates(&[0.0, f64::NAN, 0.5], 5e6);
        assert_eq!(r.samples, 0);
    }

    #[test]
    fn the_median_and_the_slow_tenth() {
        let samples: Vec<f64> = (1..=10).map(|i| f64::from(i) * 1e6).collect();
        let r = rates(&samples, 1.0);
        assert_eq!((r.p50, r.p10, r.samples), (5e6, 1e6, 10));
        let e = estimate(
            &[],
            &[Job {
                id: 1,
                bytes: 10_000_000,
            }],
            1,
            r,
        );
        assert_eq!((e.p50.makespan_secs, e.p90.makespan_secs), (2.0, 10.0));
    }

    #[test]
    fn a_servers_rate_limit_is_shared_by_the_copies_at_once() {
        let r = Rates {
            p50: 4e6,
            p10: 1e6,
            samples: 7,
        };
        assert_eq!(r.within(None, 2), r);
        let capped = r.within(Some(4e6), 2);
        assert_eq!((capped.p50, capped.p10, capped.samples), (2e6, 1e6, 7));
        assert_eq!(r.within(Some(0.0), 2), r, "no limit");
    }

    proptest! {
        #[test]
        fn the_p90_is_never_sooner_than_the_p50(
            samples in proptest::collection::vec(any::<f64>(), 0..50),
            sizes in proptest::collection::vec(0u64..10_000_000_000, 0..50),
            busy in proptest::collection::vec(0u64..1_000_000_000, 0..5),
            slots in 1usize..10,
        ) {
            let r = rates(&samples, 2e6);
            prop_assert!(r.p10 <= r.p50);
            prop_assert!(r.p10 >= SLOWEST_SAMPLE || r.samples == 0);
            let jobs: Vec<Job> = sizes.iter().enumerate().map(|(i, b)| Job { id: i as i64, bytes: *b }).collect();
            let e = estimate(&busy, &jobs, slots, r);
            prop_assert!(e.p90.makespan_secs + 1e-9 >= e.p50.makespan_secs);
            // The same order at both rates: only the times differ.
            let ids = |p: &Plan| p.order.iter().map(|x| x.id).collect::<Vec<_>>();
            prop_assert_eq!(ids(&e.p50), ids(&e.p90));
        }
    }
}
