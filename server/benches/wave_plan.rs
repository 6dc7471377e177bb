//! Planning a simulated organisation's wave (`cargo bench -p server --bench wave_plan`): 2,000 people
//! (and 20,000) with heavy-tailed mailbox sizes like the seed's (most a few hundred MB, a few up to
//! 20 GB), on 2, 8 and 32 slots. Prints, side by side, the time the plan takes and how its makespan
//! compares with the lower bound (max(largest mailbox, total / slots)), against the firehose's order
//! (alphabetical, i.e. blind to size) on the same people. A figure to read, not a timed test.
use std::time::Instant;

use server::jobs::waves::plan::{lpt, Job};

/// A small, seeded generator: the same organisation every run.
struct XorShift(u64);

impl XorShift {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pareto sizes (shape 1.1, from 40 MB), capped at 20 GB: a long tail of big mailboxes.
fn organisation(people: usize, seed: u64) -> Vec<Job> {
    let mut rng = XorShift(seed);
    (0..people)
        .map(|i| {
            let u = rng.unit().max(1e-12);
            let mb = (40.0 / u.powf(1.0 / 1.1)).min(20_000.0);
            Job {
                id: i as i64,
                bytes: (mb * 1e6) as u64,
            }
        })
        .collect()
}

/// The makespan of starting copies in the order given, each on the first free slot.
fn in_order(jobs: &[Job], slots: usize, rate: f64) -> f64 {
    let mut free = vec![0.0_f64; slots];
    for job in jobs {
        let slot = (0..slots)
            .min_by(|a, b| free[*a].total_cmp(&free[*b]))
            .expect("a slot");
        free[slot] += job.bytes as f64 / rate;
    }
    free.into_iter().fold(0.0, f64::max)
}

fn main() {
    let rate = 5e6; // bytes per second of one copy
    println!(
        "{:>7} {:>6} {:>10} {:>12} {:>14} {:>16}",
        "people", "slots", "plan ms", "total GB", "LPT / bound", "firehose / bound"
    );
    for people in [2_000, 20_000] {
        let jobs = organisation(people, 0x005e_edf0_u64 + people as u64);
        let total_gb = jobs.iter().map(|j| j.bytes).sum::<u64>() as f64 / 1e9;
        for slots in [2, 8, 32] {
            let started = Instant::now();
            let plan = lpt(&[], &jobs, slots, rate);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            assert_eq!(plan.order.len(), jobs.len(), "everyone is planned once");
            let firehose = in_order(&jobs, slots, rate);
            println!(
                "{people:>7} {slots:>6} {ms:>10.2} {total_gb:>12.1} {:>14.4} {:>16.4}",
                plan.makespan_secs / plan.lower_bound_secs,
                firehose / plan.lower_bound_secs,
            );
        }
    }
}
