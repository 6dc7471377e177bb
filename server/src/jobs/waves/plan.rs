//! The order a wave's copies start in, and when each should end: largest first (LPT, "longest
//! processing time first") on the wave's slots, so the biggest mailbox is never the last to begin and
//! the estimate is made from bytes, not from how many people are done. Pure: people with sizes, the
//! slots already busy and a throughput in, the plan out.
//!
//! Why LPT: each copy holds a slot (a connection on each server) for about `bytes / rate`; starting the
//! longest first is Graham's list scheduling in the best order, whose makespan is at most the lower
//! bound `max(largest, total / slots)` plus the last job to finish, and at most 4/3 of the optimum.

/// Someone waiting to be copied: who (a wave member) and how many bytes their folders hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub bytes: u64,
}

/// One person in the plan: on which slot, starting and ending how many seconds from now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planned {
    pub id: i64,
    pub bytes: u64,
    pub slot: usize,
    pub start_secs: f64,
    pub finish_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// In the order the copies start (largest first).
    pub order: Vec<Planned>,
    /// Seconds from now until the last copy ends (the busy slots' work included).
    pub makespan_secs: f64,
    /// No order can end sooner: the longest single piece of work or the work spread evenly.
    pub lower_bound_secs: f64,
}

/// The plan for `waiting` on `slots` copies at once at `bytes_per_sec` per copy, where `busy` are the
/// bytes still to copy by the copies already running (each on a slot of its own; more than `slots` of
/// them just means the waiting wait longer).
pub fn lpt(busy: &[u64], waiting: &[Job], slots: usize, bytes_per_sec: f64) -> Plan {
    let slots = slots.max(1).max(busy.len());
    let rate = if bytes_per_sec.is_finite() && bytes_per_sec > 0.0 {
        bytes_per_sec
    } else {
        1.0
    };
    let secs = |bytes: u64| bytes as f64 / rate;
    // When each slot is next free.
    let mut free: Vec<f64> = busy.iter().map(|b| secs(*b)).collect();
    free.resize(slots, 0.0);
    let mut jobs = waiting.to_vec();
    // Largest first; the id settles ties so the plan is the same every time it is made.
    jobs.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.id.cmp(&b.id)));
    let mut order = Vec::with_capacity(jobs.len());
    for job in jobs {
        let (slot, start) = free
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .expect("at least one slot");
        let finish = start + secs(job.bytes);
        free[slot] = finish;
        order.push(Planned {
            id: job.id,
            bytes: job.bytes,
            slot,
            start_secs: start,
            finish_secs: finish,
        });
    }
    let makespan_secs = free.iter().copied().fold(0.0, f64::max);
    let total: u64 = busy.iter().chain(waiting.iter().map(|j| &j.bytes)).sum();
    let largest = busy
        .iter()
        .chain(waiting.iter().map(|j| &j.bytes))
        .copied()
        .max()
        .unwrap_or(0);
    let lower_bound_secs = secs(largest).max(secs(total) / slots as f64);
    Plan {
        order,
        makespan_secs,
        lower_bound_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn jobs(sizes: &[u64]) -> Vec<Job> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, b)| Job {
                id: i as i64 + 1,
                bytes: *b,
            })
            .collect()
    }

    /// The best makespan over every assignment (small instances only).
    fn optimum(sizes: &[u64], slots: usize) -> u64 {
        fn go(sizes: &[u64], loads: &mut Vec<u64>, best: &mut u64) {
            let Some((first, rest)) = sizes.split_first() else {
                *best = (*best).min(loads.iter().copied().max().unwrap_or(0));
                return;
            };
            for i in 0..loads.len() {
                // Empty slots are all alike: trying one is enough.
                if loads[i] == 0 && loads[..i].contains(&0) {
                    continue;
                }
                loads[i] += first;
                if loads[i] < *best {
                    go(rest, loads, best);
                }
                loads[i] -= first;
            }
        }
        let mut best = u64::MAX;
        go(sizes, &mut vec![0; slots], &mut best);
        best
    }

    #[test]
    fn the_biggest_mailbox_starts_first_not_second_to_last() {
        // The seed's wave: alphabetical order put the 20 GB mailbox second to last.
        let gb = 1_000_000_000;
        let sizes = [2 * gb, gb, 3 * gb, gb, 20 * gb, gb];
        let plan = lpt(&[], &jobs(&sizes), 2, 10_000_000.0);
        assert_eq!(plan.order[0].bytes, 20 * gb);
        assert_eq!(plan.order[0].start_secs, 0.0);
        // 20 GB at 10 MB/s on one slot while the other takes the rest (8 GB).
        assert_eq!(plan.makespan_secs, 2000.0);
        assert_eq!(plan.lower_bound_secs, 2000.0);
    }

    #[test]
    fn running_copies_hold_their_slots_until_their_bytes_are_done() {
        let plan = lpt(&[100, 300], &jobs(&[50]), 2, 1.0);
        assert_eq!(
            plan.order,
            [Planned {
                id: 1,
                bytes: 50,
                slot: 0,
                start_secs: 100.0,
                finish_secs: 150.0
            }]
        );
        assert_eq!(plan.makespan_secs, 300.0);
        assert_eq!(lpt(&[], &[], 3, 1.0).makespan_secs, 0.0);
    }

    #[test]
    fn a_rate_that_is_no_rate_still_plans() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let plan = lpt(&[], &jobs(&[5, 3]), 1, rate);
            assert_eq!(plan.order.len(), 2);
            assert!(plan.makespan_secs.is_finite());
        }
    }

    proptest! {
        #[test]
        fn everyone_once_largest_first_within_grahams_bound(
            sizes in proptest::collection::vec(0u64..50_000_000_000, 0..300),
            busy in proptest::collection::vec(0u64..5_000_000_000, 0..4),
            slots in 1usize..40,
            rate in 100_000f64..100_000_000f64,
        ) {
            let plan = lpt(&busy, &jobs(&sizes), slots, rate);
            let mut ids: Vec<i64> = plan.order.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            prop_assert_eq!(ids, (1..=sizes.len() as i64).collect::<Vec<_>>());
            prop_assert!(plan.order.windows(2).all(|w| w[0].bytes >= w[1].bytes));
            // Nobody starts later than someone smaller.
            prop_assert!(plan.order.windows(2).all(|w| w[0].start_secs <= w[1].start_secs));
            prop_assert!(plan.makespan_secs + 1e-6 >= plan.lower_bound_secs);
            // List scheduling: the copy that ends last started when every slot was busy, so the
            // plan ends no later than the lower bound plus most of that copy.
            let last = plan.order.iter().max_by(|a, b| a.finish_secs.total_cmp(&b.finish_secs));
            if let (true, Some(last)) = (busy.is_empty(), last) {
                let bound = plan.lower_bound_secs
                    + last.bytes as f64 / rate * (1.0 - 1.0 / slots as f64);
                prop_assert!(plan.makespan_secs <= bound * (1.0 + 1e-9) + 1e-6);
            }
        }

        /// The rule: on random waves — many mailboxes for the slots, as in a real wave, none of
        /// them over a tenth of one slot's share — the plan ends within 10 % of the lower bound.
        #[test]
        fn within_ten_percent_of_the_lower_bound_on_a_real_wave(
            slots in 1usize..20,
            per_slot in 20usize..60,
            seed_sizes in proptest::collection::vec(1u64..1_000, 1200),
        ) {
            let n = slots * per_slot;
            let sizes: Vec<u64> = seed_sizes[..n].iter().map(|s| s * 10_000_000).collect();
            let total: u64 = sizes.iter().sum();
            let share = total as f64 / slots as f64;
            prop_assume!(sizes.iter().all(|s| (*s as f64) <= share / 10.0));
            let plan = lpt(&[], &jobs(&sizes), slots, 5_000_000.0);
            prop_assert!(
                plan.makespan_secs <= 1.10 * plan.lower_bound_secs,
                "{} > 1.1 × {}", plan.makespan_secs, plan.lower_bound_secs
            );
        }

        /// And never worse than 4/3 of the best order there is (checked by trying every order).
        #[test]
        fn never_worse_than_four_thirds_of_the_optimum(
            sizes in proptest::collection::vec(1u64..100, 1..9),
            slots in 1usize..4,
        ) {
            let plan = lpt(&[], &jobs(&sizes), slots, 1.0);
            let best = optimum(&sizes, slots) as f64;
            let factor = 4.0 / 3.0 - 1.0 / (3.0 * slots as f64);
            prop_assert!(plan.makespan_secs <= factor * best + 1e-9, "{} vs best {best}", plan.makespan_secs);
        }
    }
}
