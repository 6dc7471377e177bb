//! A wave's life as IT drives it: planned → running ⇄ paused → finished. Pure: the store applies
//! what [`next`] says and the schedule ([`super::turns`]) does the rest.
use app::dto::WaveState;

pub use app::dto::WaveCommand as Command;

/// Why a command does not apply, in words that say what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "nobody is in this wave yet: add people first (fountain waves import FILE --wave NAME)"
    )]
    Empty,
    #[error("the wave is already {0}")]
    Already(WaveState),
    #[error("the wave is paused: resume it instead")]
    PausedNotStarted,
    #[error("the wave has not started: start it instead")]
    NotStarted,
    #[error("the wave is finished: make a new wave for whoever is left")]
    Finished,
}

/// The wave's state after `command`, or why not. `members` is how many people are in it.
pub fn next(state: WaveState, command: Command, members: u64) -> Result<WaveState, Refused> {
    use Command as C;
    use WaveState as S;
    match (state, command) {
        (S::Finished, _) => Err(Refused::Finished),
        (S::Planned, C::Start) if members == 0 => Err(Refused::Empty),
        (S::Planned, C::Start) => Ok(S::Running),
        (S::Running, C::Pause) => Ok(S::Paused),
        (S::Paused, C::Resume) => Ok(S::Running),
        (S::Running, C::Start | C::Resume) => Err(Refused::Already(S::Running)),
        (S::Paused, C::Pause) => Err(Refused::Already(S::Paused)),
        (S::Paused, C::Start) => Err(Refused::PausedNotStarted),
        (S::Planned, C::Pause | C::Resume) => Err(Refused::NotStarted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaveState as S;

    #[test]
    fn start_pause_resume() {
        assert_eq!(next(S::Planned, Command::Start, 3), Ok(S::Running));
        assert_eq!(next(S::Running, Command::Pause, 3), Ok(S::Paused));
        assert_eq!(next(S::Paused, Command::Resume, 3), Ok(S::Running));
    }

    #[test]
    fn what_does_not_apply_says_what_to_do() {
        assert_eq!(next(S::Planned, Command::Start, 0), Err(Refused::Empty));
        assert_eq!(
            next(S::Paused, Command::Start, 3),
            Err(Refused::PausedNotStarted)
        );
        assert_eq!(
            next(S::Planned, Command::Resume, 3),
            Err(Refused::NotStarted)
        );
        assert_eq!(
            next(S::Running, Command::Start, 3),
            Err(Refused::Already(S::Running))
        );
        for c in [Command::Start, Command::Pause, Command::Resume] {
            assert_eq!(next(S::Finished, c, 3), Err(Refused::Finished));
        }
    }
}
