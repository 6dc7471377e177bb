//! Turns the engine's per-folder progress events into the page's live progress: totals, the current
//! rate over a sliding window, and an ETA from bytes left (never from a count of folders).
use std::collections::VecDeque;
use std::time::Duration;

use app::dto::{FolderProgress, Progress};

use crate::engine::copy::Progress as EngineProgress;

/// How far back the rate looks: long enough to smooth one big message, short enough to follow a
/// throttled or recovering server.
const WINDOW: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Tracker {
    folders: Vec<FolderProgress>,
    /// (time since start, bytes done in total) samples inside the window.
    samples: VecDeque<(Duration, u64)>,
    /// When a message or a byte was last done (since the run started), for "no progress for …".
    moved: Duration,
}

impl Tracker {
    /// Records one engine event, seen `at` after the run started.
    pub fn record(&mut self, event: &EngineProgress<'_>, at: Duration) {
        let entry = match self.folders.iter_mut().find(|f| f.name == event.folder) {
            Some(entry) => entry,
            None => {
                self.folders.push(FolderProgress {
                    name: event.folder.to_owned(),
                    ..FolderProgress::default()
                });
                self.folders.last_mut().expect("just pushed")
            }
        };
        if event.messages_done > entry.messages_done || event.bytes_done > entry.bytes_done {
            self.moved = at;
        }
        entry.messages_done = event.messages_done;
        // A size-only estimate comes before the folder is listed: it knows bytes, not messages.
        if !event.estimate {
            entry.messages_total = event.messages_total;
        }
        entry.bytes_done = event.bytes_done;
        entry.bytes_total = event.bytes_done + event.bytes_left;
        let done = self.bytes_done();
        self.samples.push_back((at, done));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| at.saturating_sub(*t) > WINDOW)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
    }

    fn bytes_done(&self) -> u64 {
        self.folders.iter().map(|f| f.bytes_done).sum()
    }

    /// The progress as of `at` (after the run started), stamped `now` (Unix seconds).
    pub fn snapshot(&self, at: Duration, now: i64) -> Progress {
        let bytes_done = self.bytes_done();
        let bytes_total: u64 = self.folders.iter().map(|f| f.bytes_total).sum();
        let rate = rate(&self.samples, at);
        Progress {
            folders: self.folders.clone(),
            messages_done: self.folders.iter().map(|f| f.messages_done).sum(),
            messages_total: self.folders.iter().map(|f| f.messages_total).sum(),
            bytes_done,
            bytes_total,
            bytes_per_second: rate,
            eta_seconds: eta(bytes_total.saturating_sub(bytes_done), rate),
            updated_at: now,
            moved_at: now - i64::try_from(at.saturating_sub(self.moved).as_secs()).unwrap_or(0),
        }
    }
}

/// Bytes per second between the oldest sample in the window and `at`.
fn rate(samples: &VecDeque<(Duration, u64)>, at: Duration) -> f64 {
    let (Some((t0, b0)), Some((_, b1))) = (samples.front(), samples.back()) else {
        return 0.0;
    };
    let secs = at.saturating_sub(*t0).as_secs_f64();
    if secs < 1.0 {
        return 0.0;
    }
    b1.saturating_sub(*b0) as f64 / secs
}

/// Seconds left at `rate`, rounded up; `None` without a rate to go by.
pub fn eta(bytes_left: u64, rate: f64) -> Option<u64> {
    if bytes_left == 0 {
        return Some(0);
    }
    (rate >= 1.0).then(|| (bytes_left as f64 / rate).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        folder: &str,
        done: u64,
        total: u64,
        bytes_done: u64,
        bytes_left: u64,
    ) -> EngineProgress<'_> {
        EngineProgress {
            folder,
            messages_done: done,
            messages_total: total,
            bytes_done,
            bytes_left,
            estimate: false,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn totals_add_up_over_folders() {
        let mut t = Tracker::default();
        t.record(&event("INBOX", 5, 10, 500, 500), secs(1));
        t.record(&event("Sent", 0, 4, 0, 4000), secs(1));
        let p = t.snapshot(secs(1), 100);
        assert_eq!((p.messages_done, p.messages_total), (5, 14));
        assert_eq!((p.bytes_done, p.bytes_total), (500, 5000));
        assert_eq!(p.folders.len(), 2);
        assert_eq!(p.updated_at, 100);
    }

    #[test]
    fn eta_comes_from_bytes_left_not_folder_count() {
        let mut t = Tracker::default();
        // One small folder done, one big folder to go: the ETA follows the big folder's bytes.
        t.record(&event("Small", 0, 1, 0, 1_000), secs(0));
        t.record(&event("Big", 0, 1, 0, 99_000), secs(0));
        t.record(&event("Small", 1, 1, 1_000, 0), secs(10));
        let p = t.snapshot(secs(10), 0);
        assert_eq!(p.bytes_per_second, 100.0);
        assert_eq!(p.eta_seconds, Some(990));
    }

    #[test]
    fn the_rate_follows_the_recent_window() {
        let mut t = Tracker::default();
        t.record(&event("INBOX", 0, 100, 0, 1_000_000), secs(0));
        // Fast at first, then slow: after the window, only the slow part counts.
        t.record(&event("INBOX", 50, 100, 500_000, 500_000), secs(10));
        for s in (20..=100).step_by(10) {
            let done = 500_000 + (s - 10) * 100;
            t.record(&event("INBOX", 60, 100, done, 1_000_000 - done), secs(s));
        }
        let p = t.snapshot(secs(100), 0);
        assert!(
            (p.bytes_per_second - 100.0).abs() < 1.0,
            "{}",
            p.bytes_per_second
        );
    }

    #[test]
    fn no_rate_no_eta_and_nothing_left_is_zero() {
        assert_eq!(eta(1000, 0.0), None);
        assert_eq!(eta(0, 0.0), Some(0));
        assert_eq!(eta(1001, 10.0), Some(101));
        let t = Tracker::default();
        assert_eq!(t.snapshot(secs(5), 0).eta_seconds, Some(0));
    }

    #[test]
    fn progress_moves_when_something_is_done_not_when_it_is_sized() {
        let mut t = Tracker::default();
        // Nothing done yet: it last moved when the run started.
        t.record(&event("INBOX", 0, 10, 0, 1_000), secs(5));
        assert_eq!(t.snapshot(secs(20), 1_000).moved_at, 980);
        t.record(&event("INBOX", 1, 10, 100, 900), secs(30));
        // A later listing that only resizes what is left is not progress.
        t.record(&event("INBOX", 1, 12, 100, 1_100), secs(40));
        assert_eq!(t.snapshot(secs(100), 2_000).moved_at, 1_930);
    }

    #[test]
    fn a_size_estimate_is_replaced_by_the_listing() {
        let mut t = Tracker::default();
        let mut estimate = event("INBOX", 0, 0, 0, 7_000);
        estimate.estimate = true;
        t.record(&estimate, secs(0));
        t.record(&event("INBOX", 0, 7, 0, 6_900), secs(1));
        let p = t.snapshot(secs(1), 0);
        assert_eq!((p.messages_total, p.bytes_total), (7, 6_900));
    }
}
