//! Where a wave stands while it runs, for division IT's dashboard and the printable report: people
//! by state, bytes done of the total, throughput over time, the finish at p50 and p90 against the
//! window, the slowest and the stuck, failures by class. Computed by the server's
//! `jobs::waves::standing`; the plots are drawn from it by [`crate::charts`].
use serde::{Deserialize, Serialize};

use super::{FailureClass, RequestState, WaveName, WaveState};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveDashboard {
    pub name: WaveName,
    pub state: WaveState,
    /// Unix seconds when this was read: estimates count from here.
    pub now: i64,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
    /// Largest mailbox first.
    pub people: Vec<PersonStanding>,
    /// How many people are in each state (`None`: no request yet), in [`Standing::ORDER`].
    pub by_state: Vec<(Standing, u64)>,
    /// Bytes on the new server of the sized mailboxes' total.
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Members whose mailbox has no size yet (not scanned): outside the totals and the estimate.
    pub not_sized: u64,
    /// Bytes per second the whole wave moved lately (the last few samples), if it moved.
    pub throughput: Option<f64>,
    /// When what is left should be done, if the wave goes on from now (Unix seconds; `None` when
    /// nothing sized is left).
    pub finish_p50: Option<i64>,
    pub finish_p90: Option<i64>,
    /// One copy's rate the estimate used (bytes per second), and how many copies it was measured
    /// from (0: the configured rate).
    pub rate_p50: f64,
    pub rate_p10: f64,
    pub measured_copies: usize,
    /// The wave's progress over time, oldest first.
    pub samples: Vec<WaveSample>,
    /// Failed or needing attention, by class, most first.
    pub failures: Vec<(FailureClass, u64)>,
}

/// Where one person's migration stands: their request's state, or none yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Standing {
    NoRequest,
    Request(RequestState),
}

impl Standing {
    /// The order states are listed in: from not begun to ended.
    pub const ORDER: [Standing; 9] = [
        Standing::NoRequest,
        Standing::Request(RequestState::Scheduled),
        Standing::Request(RequestState::Queued),
        Standing::Request(RequestState::Copying),
        Standing::Request(RequestState::Paused),
        Standing::Request(RequestState::NeedsAttention),
        Standing::Request(RequestState::Failed),
        Standing::Request(RequestState::Cancelled),
        Standing::Request(RequestState::Done),
    ];

    pub fn in_words(self) -> &'static str {
        match self {
            Standing::NoRequest => "not started",
            Standing::Request(state) => state.in_words(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonStanding {
    pub email: String,
    pub standing: Standing,
    /// Bytes of the mailbox on the new server (what the journal has), at most its size.
    pub bytes_done: u64,
    /// The mailbox's size (pre-flight scan or the person's own), if known.
    pub bytes_total: Option<u64>,
    /// Bytes per second of the copy running now.
    pub bytes_per_sec: Option<f64>,
    /// When this person's copy should be done, typically (p50) and when slow (p90), if the wave
    /// goes on from now.
    pub finish_p50: Option<i64>,
    pub finish_p90: Option<i64>,
    /// A copy that has not moved (or whose worker is silent) for longer than the helpdesk allows.
    pub stuck: bool,
    pub class: Option<FailureClass>,
}

/// The wave's progress at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveSample {
    pub at: i64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl WaveDashboard {
    /// The `n` slowest copies running now, slowest first.
    pub fn slowest(&self, n: usize) -> Vec<&PersonStanding> {
        let mut running: Vec<&PersonStanding> = self
            .people
            .iter()
            .filter(|p| p.standing == Standing::Request(RequestState::Copying))
            .filter(|p| p.bytes_per_sec.is_some())
            .collect();
        running.sort_by(|a, b| {
            let rate = |p: &PersonStanding| p.bytes_per_sec.unwrap_or(0.0);
            rate(a).total_cmp(&rate(b))
        });
        running.truncate(n);
        running
    }

    pub fn stuck(&self) -> Vec<&PersonStanding> {
        self.people.iter().filter(|p| p.stuck).collect()
    }

    /// How the p50 and p90 finishes sit against the window's end, in words; `None` without an end
    /// or without an estimate.
    pub fn window_fit(&self) -> Option<&'static str> {
        let end = self.window_end?;
        let (p50, p90) = (self.finish_p50?, self.finish_p90?);
        Some(if p90 <= end {
            "ends inside its window even when slow"
        } else if p50 <= end {
            "ends inside its window typically, not when slow"
        } else {
            "does not end inside its window"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: &str, state: RequestState, rate: Option<f64>) -> PersonStanding {
        PersonStanding {
            email: email.into(),
            standing: Standing::Request(state),
            bytes_done: 0,
            bytes_total: Some(10),
            bytes_per_sec: rate,
            finish_p50: None,
            finish_p90: None,
            stuck: false,
            class: None,
        }
    }

    fn dashboard(people: Vec<PersonStanding>) -> WaveDashboard {
        WaveDashboard {
            name: WaveName::parse("W").unwrap(),
            state: WaveState::Running,
            now: 0,
            window_start: None,
            window_end: Some(100),
            people,
            by_state: vec![],
            bytes_done: 0,
            bytes_total: 0,
            not_sized: 0,
            throughput: None,
            finish_p50: Some(50),
            finish_p90: Some(150),
            rate_p50: 1.0,
            rate_p10: 1.0,
            measured_copies: 0,
            samples: vec![],
            failures: vec![],
        }
    }

    #[test]
    fn the_slowest_are_the_running_copies_slowest_first() {
        let d = dashboard(vec![
            person("fast@x", RequestState::Copying, Some(9.0)),
            person("paused@x", RequestState::Paused, Some(0.1)),
            person("slow@x", RequestState::Copying, Some(1.0)),
            person("new@x", RequestState::Copying, None),
        ]);
        let slowest: Vec<&str> = d.slowest(5).iter().map(|p| p.email.as_str()).collect();
        assert_eq!(slowest, ["slow@x", "fast@x"]);
        assert_eq!(d.slowest(1).len(), 1);
    }

    #[test]
    fn the_finish_against_the_window() {
        let mut d = dashboard(vec![]);
        assert_eq!(
            d.window_fit(),
            Some("ends inside its window typically, not when slow")
        );
        d.finish_p90 = Some(90);
        assert_eq!(
            d.window_fit(),
            Some("ends inside its window even when slow")
        );
        d.finish_p50 = Some(101);
        d.finish_p90 = Some(120);
        assert_eq!(d.window_fit(), Some("does not end inside its window"));
        d.window_end = None;
        assert_eq!(d.window_fit(), None);
    }

    #[test]
    fn every_state_is_listed_once() {
        for state in RequestState::ALL {
            let n = Standing::ORDER
                .iter()
                .filter(|s| **s == Standing::Request(state))
                .count();
            assert_eq!(n, 1, "{state:?}");
        }
    }
}
