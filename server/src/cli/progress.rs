//! `fountain copy`'s progress on stderr: a bar redrawn in place on a terminal, a plain line every few
//! seconds otherwise (logs, CI). The ETA comes from bytes left and the byte rate, not folder counts.
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::engine::copy::Progress;

pub struct ProgressView {
    tty: bool,
    state: Mutex<State>,
}

struct State {
    started: Instant,
    last_shown: Option<Instant>,
    folders: BTreeMap<String, Folder>,
}

#[derive(Default)]
struct Folder {
    bytes_done: u64,
    bytes_left: u64,
    messages_done: u64,
    messages_total: u64,
}

/// Totals over all folders seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub bytes_done: u64,
    pub bytes_left: u64,
}

impl ProgressView {
    pub fn new() -> ProgressView {
        ProgressView {
            tty: std::io::stderr().is_terminal(),
            state: Mutex::new(State {
                started: Instant::now(),
                last_shown: None,
                folders: BTreeMap::new(),
            }),
        }
    }

    pub fn update(&self, p: &Progress<'_>) {
        let mut state = self.state.lock().expect("progress lock");
        let folder = state.folders.entry(p.folder.to_owned()).or_default();
        // An estimate never overrides what the folder's own listing said.
        if p.estimate && folder.messages_total > 0 {
            return;
        }
        folder.bytes_done = p.bytes_done;
        folder.bytes_left = p.bytes_left;
        folder.messages_done = p.messages_done;
        folder.messages_total = p.messages_total;
        // Estimates only feed the totals: the line shows what is being copied.
        if p.estimate {
            return;
        }
        let (messages_done, messages_total) = (p.messages_done, p.messages_total);
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(2)
        };
        let folder_done = p.bytes_left == 0;
        if state.last_shown.is_some_and(|t| t.elapsed() < every) && !folder_done {
            return;
        }
        state.last_shown = Some(Instant::now());
        let totals = Totals {
            bytes_done: state.folders.values().map(|f| f.bytes_done).sum(),
            bytes_left: state.folders.values().map(|f| f.bytes_left).sum(),
        };
        let text = line(
            totals,
            state.started.elapsed(),
            p.folder,
            (messages_done, messages_total),
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{}", bar(totals, 24) + " " + &text);
        } else {
            let _ = writeln!(err, "{text}");
        }
        let _ = err.flush();
    }

    /// Ends the bar's line, so what follows starts on its own.
    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// Time left at the rate so far; `None` before anything has moved.
pub fn eta(totals: Totals, elapsed: Duration) -> Option<Duration> {
    if totals.bytes_done == 0 || elapsed.is_zero() {
        return None;
    }
    let rate = totals.bytes_done as f64 / elapsed.as_secs_f64();
    Some(Duration::from_secs_f64(totals.bytes_left as f64 / rate))
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `INBOX 120/300 messages · 45.1/120.0 MB · 12.3 MB/s · ETA 0:06`
pub fn line(totals: Totals, elapsed: Duration, folder: &str, messages: (u64, u64)) -> String {
    let rate = totals.bytes_done as f64 / elapsed.as_secs_f64().max(0.001);
    let all = totals.bytes_done + totals.bytes_left;
    format!(
        "{folder}: {}/{} messages, {:.1}/{:.1} MB, {:.1} MB/s, ETA {}",
        messages.0,
        messages.1,
        totals.bytes_done as f64 / 1e6,
        all as f64 / 1e6,
        rate / 1e6,
        eta(totals, elapsed).map_or("…".to_owned(), clock),
    )
}

/// `[#########...............]  37%`
pub fn bar(totals: Totals, width: usize) -> String {
    let all = totals.bytes_done + totals.bytes_left;
    let fraction = if all == 0 {
        1.0
    } else {
        totals.bytes_done as f64 / all as f64
    };
    let filled = ((fraction * width as f64).round() as usize).min(width);
    format!(
        "[{}{}] {:>3.0}%",
        "#".repeat(filled),
        ".".repeat(width - filled),
        fraction * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_comes_from_bytes_left_and_the_rate() {
        let totals = Totals {
            bytes_done: 10_000_000,
            bytes_left: 30_000_000,
        };
        assert_eq!(
            eta(totals, Duration::from_secs(5)),
            Some(Duration::from_secs(15))
        );
        assert_eq!(
            eta(
                Totals {
                    bytes_done: 0,
                    bytes_left: 5
                },
                Duration::from_secs(5)
            ),
            None
        );
    }

    #[test]
    fn lines_and_bars() {
        let totals = Totals {
            bytes_done: 25_000_000,
            bytes_left: 75_000_000,
        };
        assert_eq!(
            line(totals, Duration::from_secs(10), "INBOX", (40, 160)),
            "INBOX: 40/160 messages, 25.0/100.0 MB, 2.5 MB/s, ETA 0:30"
        );
        assert_eq!(bar(totals, 8), "[##......]  25%");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
        assert_eq!(
            bar(
                Totals {
                    bytes_done: 0,
                    bytes_left: 0
                },
                4
            ),
            "[####] 100%"
        );
    }
}
