//! How many runs of a request may end without an answer (the copy panicked, or its worker stopped
//! answering) before it stops as failed. Without a cap such a request is claimed again forever and
//! nobody is told.

/// What to do with a request whose run just ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCrash {
    /// Back in the queue: the next run resumes from the journal.
    Retry,
    /// Stop as failed, with its last error, and tell the person and the helpdesk.
    GiveUp,
}

/// `crashed_before`: such runs in a row before this one; `max_attempts`: how many are allowed.
pub fn after_crash(crashed_before: i32, max_attempts: u32) -> AfterCrash {
    let this_many = i64::from(crashed_before.max(0)) + 1;
    if this_many >= i64::from(max_attempts) {
        AfterCrash::GiveUp
    } else {
        AfterCrash::Retry
    }
}

/// What the person and the helpdesk read when Fountain gives up. The details are in the log under
/// `reference`; people never see internals.
pub fn gave_up_message(runs: i64, reference: &str) -> String {
    format!(
        "Fountain stopped copying after {runs} attempt(s) in a row ended on an internal problem \
         (reference {reference}). Nothing copied so far is lost. The helpdesk has been told; once they \
         have looked, Try again resumes where it stopped."
    )
}

/// The text of a panic's payload, for the log.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_fifth_crash_of_five_gives_up() {
        assert_eq!(after_crash(0, 5), AfterCrash::Retry);
        assert_eq!(after_crash(3, 5), AfterCrash::Retry);
        assert_eq!(after_crash(4, 5), AfterCrash::GiveUp);
        assert_eq!(after_crash(0, 1), AfterCrash::GiveUp);
    }

    proptest! {
        #[test]
        fn every_request_gives_up_within_its_cap(max in 1u32..50, before in -5i32..100) {
            // Counting up from nothing, the cap is reached after exactly `max` crashes.
            let crashes_until_give_up = (0..).find(|&n| after_crash(n, max) == AfterCrash::GiveUp).unwrap();
            prop_assert_eq!(crashes_until_give_up + 1, max as i32);
            if before >= max as i32 {
                prop_assert_eq!(after_crash(before, max), AfterCrash::GiveUp);
            }
        }
    }
}
