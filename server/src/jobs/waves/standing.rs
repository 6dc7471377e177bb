//! Where a wave stands while it runs, decided from what is known of each member (pure): bytes done
//! of the total, people by state, failures by class, the throughput of the latest samples, and the
//! finish at p50 and p90 if the wave goes on from now — the copies running finish what they have
//! left, the rest start largest first on the free slots ([`super::estimate`]).
use std::collections::HashMap;

use app::dto::{
    FailureClass, PersonStanding, RequestState, Standing, WaveDashboard, WaveSample, WaveState,
};

use super::estimate::{estimate, Rates};
use super::plan::Job;

/// The samples the recent throughput is read from: the last minutes.
pub const THROUGHPUT_OVER_SECS: i64 = 300;

/// What is known of one member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub email: String,
    pub standing: Standing,
    pub class: Option<FailureClass>,
    /// The mailbox's size (pre-flight or the person's scan), if known.
    pub size: Option<u64>,
    /// Bytes of the mailbox the journal has on the new server.
    pub copied: u64,
    /// Bytes per second of the run going on now.
    pub rate: Option<f64>,
    pub stuck: bool,
}

impl Member {
    /// Bytes on the new server, counted against its size: all of it once done, never more than it.
    pub fn bytes_done(&self) -> u64 {
        match (self.standing, self.size) {
            (Standing::Request(RequestState::Done), Some(size)) => size,
            (_, Some(size)) => self.copied.min(size),
            (_, None) => self.copied,
        }
    }

    /// Still to copy for the wave to end: open and sized.
    fn bytes_left(&self) -> Option<u64> {
        let ended = matches!(
            self.standing,
            Standing::Request(RequestState::Done | RequestState::Cancelled)
        );
        (!ended).then(|| Some(self.size?.saturating_sub(self.bytes_done())))?
    }
}

/// The wave as a whole, what the dashboard adds to its members.
#[derive(Debug, Clone, PartialEq)]
pub struct Wave {
    pub name: app::dto::WaveName,
    pub state: WaveState,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
    pub slots: usize,
    pub rates: Rates,
}

/// The wave's progress now, for a sample: (bytes done, bytes total, people done).
pub fn totals(members: &[Member]) -> (u64, u64, u64) {
    let done = members.iter().map(Member::bytes_done).sum();
    let total = members.iter().filter_map(|m| m.size).sum();
    let people = members
        .iter()
        .filter(|m| m.standing == Standing::Request(RequestState::Done))
        .count() as u64;
    (done, total, people)
}

/// Bytes per second between the first sample at most `over` seconds before the last and the last.
pub fn throughput(samples: &[WaveSample], over: i64) -> Option<f64> {
    let last = samples.last()?;
    let first = samples.iter().find(|s| s.at >= last.at - over)?;
    let secs = last.at - first.at;
    (secs > 0).then(|| last.bytes_done.saturating_sub(first.bytes_done) as f64 / secs as f64)
}

/// The dashboard of `wave` from its `members` (largest mailbox first) and every sample (oldest
/// first; the throughput is read from them all, the plots get at most `most_samples`).
pub fn standing(
    wave: Wave,
    mut members: Vec<Member>,
    samples: Vec<WaveSample>,
    most_samples: usize,
    now: i64,
) -> WaveDashboard {
    members.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.email.cmp(&b.email)));
    let (bytes_done, bytes_total, _) = totals(&members);
    // Copies running keep their slot until they end; the rest wait for one, largest first.
    let mut busy = Vec::new();
    let mut waiting = Vec::new();
    for (i, m) in members.iter().enumerate() {
        match (m.standing, m.bytes_left()) {
            (Standing::Request(RequestState::Copying), Some(left)) => busy.push((i, left)),
            (_, Some(left)) => waiting.push(Job {
                id: i as i64,
                bytes: left,
            }),
            (_, None) => {}
        }
    }
    let busy_bytes: Vec<u64> = busy.iter().map(|(_, left)| *left).collect();
    let e = estimate(&busy_bytes, &waiting, wave.slots, wave.rates);
    // A rate near nothing puts the end far off: saturate rather than overflow.
    let at = |secs: f64| now.saturating_add(secs.ceil() as i64);
    // Each person's finish at p50 and at p90: the waiting as the plan puts them, the running when
    // what they have left is copied at that rate.
    let finishes = |plan: &super::plan::Plan, rate: f64| -> HashMap<usize, i64> {
        plan.order
            .iter()
            .map(|p| (p.id as usize, at(p.finish_secs)))
            .chain(
                busy.iter()
                    .map(|(i, left)| (*i, at(*left as f64 / rate.max(1.0)))),
            )
            .collect()
    };
    let (finish, finish_slow) = (
        finishes(&e.p50, wave.rates.p50),
        finishes(&e.p90, wave.rates.p10),
    );
    let anything_left = !busy.is_empty() || !waiting.is_empty();
    let mut by_state: Vec<(Standing, u64)> = Standing::ORDER.iter().map(|s| (*s, 0)).collect();
    let mut failures: HashMap<FailureClass, u64> = HashMap::new();
    for m in &members {
        if let Some(count) = by_state.iter_mut().find(|(s, _)| *s == m.standing) {
            count.1 += 1;
        }
        let trouble = matches!(m.standing, Standing::Request(s) if s.is_trouble());
        if let (true, Some(class)) = (trouble, m.class) {
            *failures.entry(class).or_default() += 1;
        }
    }
    by_state.retain(|(_, n)| *n > 0);
    let mut failures: Vec<(FailureClass, u64)> = failures.into_iter().collect();
    failures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let people = members
        .iter()
        .enumerate()
        .map(|(i, m)| PersonStanding {
            email: m.email.clone(),
            standing: m.standing,
            bytes_done: m.bytes_done(),
            bytes_total: m.size,
            bytes_per_sec: (m.standing == Standing::Request(RequestState::Copying))
                .then_some(m.rate)
                .flatten(),
            finish_p50: finish.get(&i).copied(),
            finish_p90: finish_slow.get(&i).copied(),
            stuck: m.stuck,
            class: m.class,
        })
        .collect();
    WaveDashboard {
        name: wave.name,
        state: wave.state,
        now,
        window_start: wave.window_start,
        window_end: wave.window_end,
        people,
        by_state,
        bytes_done,
        bytes_total,
        not_sized: members.iter().filter(|m| m.size.is_none()).count() as u64,
        throughput: throughput(&samples, THROUGHPUT_OVER_SECS),
        samples: thin(samples, most_samples),
        finish_p50: anything_left.then(|| at(e.p50.makespan_secs)),
        finish_p90: anything_left.then(|| at(e.p90.makespan_secs)),
        rate_p50: e.rates.p50,
        rate_p10: e.rates.p10,
        measured_copies: e.rates.samples,
        failures,
    }
}

/// At most `most` of `samples`, evenly spread, the first and the last always kept.
pub fn thin(samples: Vec<WaveSample>, most: usize) -> Vec<WaveSample> {
    let most = most.max(2);
    if samples.len() <= most {
        return samples;
    }
    let last = samples.len() - 1;
    (0..most).map(|i| samples[i * last / (most - 1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(email: &str, state: Option<RequestState>, size: Option<u64>, copied: u64) -> Member {
        Member {
            email: email.into(),
            standing: state.map_or(Standing::NoRequest, Standing::Request),
            class: None,
            size,
            copied,
            rate: Some(10.0),
            stuck: false,
        }
    }

    fn wave(slots: usize) -> Wave {
        Wave {
            name: app::dto::WaveName::parse("W").unwrap(),
            state: WaveState::Running,
            window_start: None,
            window_end: None,
            slots,
            rates: Rates {
                p50: 10.0,
                p10: 5.0,
                samples: 3,
            },
        }
    }

    #[test]
    fn running_copies_finish_what_they_have_left_and_the_rest_follow_largest_first() {
        let members = vec![
            member("run@x", Some(RequestState::Copying), Some(100), 50),
            member("big@x", Some(RequestState::Scheduled), Some(200), 0),
            member("small@x", None, Some(20), 0),
            member("done@x", Some(RequestState::Done), Some(70), 0),
            member("unsized@x", None, None, 0),
        ];
        let d = standing(wave(1), members, vec![], 100, 1_000);
        // 50 left at 10/s, then 200, then 20, one at a time.
        assert_eq!(d.finish_p50, Some(1_000 + 5 + 20 + 2));
        assert_eq!(d.finish_p90, Some(1_000 + 10 + 40 + 4));
        let finish: HashMap<&str, Option<i64>> = d
            .people
            .iter()
            .map(|p| (p.email.as_str(), p.finish_p50))
            .collect();
        assert_eq!(finish["run@x"], Some(1_005));
        assert_eq!(finish["big@x"], Some(1_025));
        assert_eq!(finish["done@x"], None);
        let slow: HashMap<&str, Option<i64>> = d
            .people
            .iter()
            .map(|p| (p.email.as_str(), p.finish_p90))
            .collect();
        assert_eq!((slow["run@x"], slow["big@x"]), (Some(1_010), Some(1_050)));
        // Largest first; the done mailbox counts whole, whatever the journal says.
        assert_eq!(d.people[0].email, "big@x");
        assert_eq!((d.bytes_done, d.bytes_total, d.not_sized), (120, 390, 1));
        assert_eq!(
            d.by_state,
            [
                (Standing::NoRequest, 2),
                (Standing::Request(RequestState::Scheduled), 1),
                (Standing::Request(RequestState::Copying), 1),
                (Standing::Request(RequestState::Done), 1),
            ]
        );
    }

    #[test]
    fn nothing_left_means_no_finish_to_estimate() {
        let d = standing(
            wave(2),
            vec![member("a@x", Some(RequestState::Done), Some(5), 5)],
            vec![],
            100,
            0,
        );
        assert_eq!((d.finish_p50, d.finish_p90), (None, None));
    }

    #[test]
    fn failures_are_counted_by_class_for_trouble_only() {
        let mut failed = member("f@x", Some(RequestState::Failed), Some(1), 0);
        failed.class = Some(FailureClass::OldLoginRefused);
        let mut again = failed.clone();
        again.email = "g@x".into();
        let mut retried = failed.clone();
        retried.standing = Standing::Request(RequestState::Queued);
        let d = standing(wave(1), vec![failed, again, retried], vec![], 100, 0);
        assert_eq!(d.failures, [(FailureClass::OldLoginRefused, 2)]);
    }

    #[test]
    fn throughput_is_read_over_the_latest_samples() {
        let s = |at, done| WaveSample {
            at,
            bytes_done: done,
            bytes_total: 1_000,
        };
        let samples = [s(0, 0), s(1_000, 100), s(1_100, 300), s(1_200, 500)];
        assert_eq!(throughput(&samples, 300), Some(400.0 / 200.0));
        assert_eq!(throughput(&samples[..1], 300), None);
    }

    #[test]
    fn the_throughput_is_read_before_the_plots_are_thinned() {
        // Three days of samples every 10 s, the last minutes moving 1,000 bytes a second.
        let samples: Vec<WaveSample> = (0..26_000)
            .map(|i| WaveSample {
                at: i * 10,
                bytes_done: if i < 25_969 {
                    0
                } else {
                    (i as u64 - 25_969) * 10_000
                },
                bytes_total: u64::MAX,
            })
            .collect();
        let d = standing(wave(1), vec![], samples, 600, 260_000);
        assert_eq!(d.samples.len(), 600);
        assert_eq!(d.throughput, Some(1_000.0));
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let samples: Vec<WaveSample> = (0..1_000)
            .map(|i| WaveSample {
                at: i,
                bytes_done: i as u64,
                bytes_total: 1_000,
            })
            .collect();
        let thin = thin(samples, 10);
        assert_eq!(thin.len(), 10);
        assert_eq!((thin[0].at, thin[9].at), (0, 999));
    }

    proptest! {
        #[test]
        fn every_member_is_counted_once_and_done_never_exceeds_the_total(
            people in proptest::collection::vec(
                (0usize..9, proptest::option::of(0u64..1_000_000), 0u64..2_000_000),
                0..40,
            ),
            slots in 1usize..5,
        ) {
            let members: Vec<Member> = people
                .iter()
                .enumerate()
                .map(|(i, (s, size, copied))| Member {
                    email: format!("p{i}@x"),
                    standing: Standing::ORDER[*s],
                    class: None,
                    size: *size,
                    copied: *copied,
                    rate: None,
                    stuck: false,
                })
                .collect();
            let n = members.len() as u64;
            let sized = members.iter().filter(|m| m.size.is_some()).count() as u64;
            let d = standing(wave(slots), members.clone(), vec![], 100, 0);
            prop_assert_eq!(d.by_state.iter().map(|(_, c)| c).sum::<u64>(), n);
            prop_assert_eq!(d.people.len() as u64, n);
            prop_assert_eq!(d.not_sized, n - sized);
            for p in &d.people {
                if let Some(total) = p.bytes_total {
                    prop_assert!(p.bytes_done <= total);
                }
            }
            let sized_done: u64 = d.people.iter().filter(|p| p.bytes_total.is_some()).map(|p| p.bytes_done).sum();
            prop_assert!(sized_done <= d.bytes_total);
            prop_assert!(d.finish_p50 <= d.finish_p90);
            for p in &d.people {
                prop_assert!(p.finish_p50 <= p.finish_p90, "{:?}", p);
            }
        }
    }
}
