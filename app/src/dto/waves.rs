//! Waves as IT sees them: a phased migration with a name, a window, how many copies at once, and
//! whether people are invited or IT runs it for them.
use serde::{Deserialize, Serialize};

/// A wave's name as typed: trimmed, 1 to [`WaveName::MAX_CHARS`] characters, printable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WaveName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaveNameError {
    #[error("Give the wave a name (for example “Finance, March”).")]
    Missing,
    #[error(
        "That name is too long: use at most {} characters.",
        WaveName::MAX_CHARS
    )]
    TooLong,
    #[error("That name holds control characters; type it again.")]
    Unprintable,
}

impl WaveName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(typed: &str) -> Result<WaveName, WaveNameError> {
        let text = typed.trim();
        if text.is_empty() {
            return Err(WaveNameError::Missing);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(WaveNameError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(WaveNameError::Unprintable);
        }
        Ok(WaveName(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WaveName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who starts each copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveMode {
    /// People are invited (and reminded) to do it themselves.
    Invite,
    /// Fountain scans and copies for them (proxy or master login), with the default folders.
    ItRun,
}

impl WaveMode {
    pub const ALL: [WaveMode; 2] = [WaveMode::Invite, WaveMode::ItRun];

    pub fn as_str(self) -> &'static str {
        match self {
            WaveMode::Invite => "invite",
            WaveMode::ItRun => "it_run",
        }
    }

    pub fn parse(stored: &str) -> Option<WaveMode> {
        WaveMode::ALL.into_iter().find(|m| m.as_str() == stored)
    }
}

/// Where a wave is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveState {
    Planned,
    Running,
    Paused,
    Finished,
}

impl WaveState {
    pub const ALL: [WaveState; 4] = [
        WaveState::Planned,
        WaveState::Running,
        WaveState::Paused,
        WaveState::Finished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WaveState::Planned => "planned",
            WaveState::Running => "running",
            WaveState::Paused => "paused",
            WaveState::Finished => "finished",
        }
    }

    pub fn parse(stored: &str) -> Option<WaveState> {
        WaveState::ALL.into_iter().find(|s| s.as_str() == stored)
    }

    /// A person may be in one active wave at a time.
    pub fn active(self) -> bool {
        self != WaveState::Finished
    }
}

impl std::fmt::Display for WaveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What IT asks of a wave: start a planned one, pause a running one, resume a paused one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveCommand {
    Start,
    Pause,
    Resume,
}

impl WaveCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            WaveCommand::Start => "start",
            WaveCommand::Pause => "pause",
            WaveCommand::Resume => "resume",
        }
    }

    /// The one command a wave in `state` offers on the IT page, with its button's words.
    pub fn offered(state: WaveState) -> Option<(WaveCommand, &'static str)> {
        match state {
            WaveState::Planned => Some((WaveCommand::Start, "Start")),
            WaveState::Running => Some((WaveCommand::Pause, "Pause")),
            WaveState::Paused => Some((WaveCommand::Resume, "Resume")),
            WaveState::Finished => None,
        }
    }
}

/// A wave's settings as IT sets them on the IT page (the window in Unix seconds, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveSettings {
    pub concurrency: u32,
    pub mode: WaveMode,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
}

/// A wave in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveSummary {
    pub name: WaveName,
    pub mode: WaveMode,
    pub state: WaveState,
    pub concurrency: u32,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
    pub members: u64,
    /// Members the pre-flight scan has sized, and the bytes it found.
    pub scanned: u64,
    pub bytes: u64,
}

/// A wave's plan before it starts (see the server's `jobs::waves::preview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WavePlan {
    /// Bytes per second of one copy: typical, slow, and how many copies were measured (0: the
    /// configured rate).
    pub rate_p50: f64,
    pub rate_p10: f64,
    pub measured_copies: usize,
    /// Copies at once: the wave's concurrency within what the old server's connections allow.
    pub slots: usize,
    /// Planned, largest first.
    pub people: Vec<PlannedPerson>,
    /// Members with no size yet (no finished scan): not in the plan.
    pub not_sized: Vec<String>,
    /// Members whose mailbox is already copied.
    pub already_done: Vec<String>,
    /// Seconds from the start of the wave.
    pub finish_p50_secs: f64,
    pub finish_p90_secs: f64,
    pub lower_bound_secs: f64,
    /// The window's length, when it has an end.
    pub window_secs: Option<i64>,
}

impl WavePlan {
    /// How the plan sits in the wave's window, in words ("fits its window even when slow"); `None`
    /// for a window without an end.
    pub fn window_fit(&self) -> Option<&'static str> {
        let window = self.window_secs? as f64;
        Some(if self.finish_p90_secs <= window {
            "fits its window even when slow"
        } else if self.finish_p50_secs <= window {
            "fits its window typically, not when slow"
        } else {
            "does not fit its window"
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedPerson {
    pub email: String,
    pub bytes: u64,
    /// Which of the wave's slots it runs on (from 0).
    pub slot: usize,
    pub start_p50_secs: f64,
    pub finish_p50_secs: f64,
    pub finish_p90_secs: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stored_names_read_back() {
        for m in WaveMode::ALL {
            assert_eq!(WaveMode::parse(m.as_str()), Some(m));
        }
        for s in WaveState::ALL {
            assert_eq!(WaveState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            WaveName::parse("  Finance, März "),
            Ok(WaveName("Finance, März".into()))
        );
        assert_eq!(WaveName::parse(" "), Err(WaveNameError::Missing));
    }

    #[test]
    fn a_plan_fits_its_window_or_says_how_not() {
        let plan = |p50: f64, p90: f64, window: Option<i64>| WavePlan {
            rate_p50: 1.0,
            rate_p10: 1.0,
            measured_copies: 0,
            slots: 1,
            people: vec![],
            not_sized: vec![],
            already_done: vec![],
            finish_p50_secs: p50,
            finish_p90_secs: p90,
            lower_bound_secs: p50,
            window_secs: window,
        };
        assert_eq!(
            plan(5.0, 9.0, Some(10)).window_fit(),
            Some("fits its window even when slow")
        );
        assert_eq!(
            plan(5.0, 11.0, Some(10)).window_fit(),
            Some("fits its window typically, not when slow")
        );
        assert_eq!(
            plan(12.0, 20.0, Some(10)).window_fit(),
            Some("does not fit its window")
        );
        assert_eq!(plan(12.0, 20.0, None).window_fit(), None);
    }

    proptest! {
        #[test]
        fn any_text_is_a_name_or_refused_and_names_are_stable(typed in any::<String>()) {
            if let Ok(name) = WaveName::parse(&typed) {
                prop_assert_eq!(WaveName::parse(name.as_str()), Ok(name.clone()));
                prop_assert!(!name.as_str().chars().any(char::is_control));
            }
        }
    }
}
