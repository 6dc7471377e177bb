//! What a wave tells its people, and when: the invitation (or, for an IT-run wave, the notice) when
//! the wave starts, and reminders to those who have not started (days before the window opens, and
//! when it opens). IT sees it as a dry run before and while the wave runs.
use serde::{Deserialize, Serialize};

/// One of a wave's emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WaveEmail {
    /// An invitation wave has started: do it yourself, in the window.
    Invitation,
    /// An IT-run wave has started: IT will copy the mailbox.
    Notice,
    /// To those who have not started, this many days before the window opens.
    ReminderDaysBefore(u32),
    /// To those who have not started, when the window opens.
    ReminderWindowOpens,
}

impl WaveEmail {
    /// Its key in the outbox, with the wave and the person (an email goes out once per key).
    pub fn key(self) -> String {
        match self {
            WaveEmail::Invitation => "invitation".into(),
            WaveEmail::Notice => "notice".into(),
            WaveEmail::ReminderDaysBefore(days) => format!("reminder-{days}d"),
            WaveEmail::ReminderWindowOpens => "reminder-open".into(),
        }
    }

    pub fn is_reminder(self) -> bool {
        matches!(
            self,
            WaveEmail::ReminderDaysBefore(_) | WaveEmail::ReminderWindowOpens
        )
    }

    pub fn label(self) -> String {
        match self {
            WaveEmail::Invitation => "invitation".into(),
            WaveEmail::Notice => "notice (IT will copy the mailbox)".into(),
            WaveEmail::ReminderDaysBefore(1) => "reminder, the day before the window".into(),
            WaveEmail::ReminderDaysBefore(days) => {
                format!("reminder, {days} days before the window")
            }
            WaveEmail::ReminderWindowOpens => "reminder, when the window opens".into(),
        }
    }
}

/// Where one email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// In the outbox (sent, or being sent).
    Sent,
    /// Goes out at the next round of the workers.
    Due,
    /// Goes out at its time, if the person has not started by then.
    Later,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Due => "due now",
            Delivery::Later => "planned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveMessage {
    pub email: String,
    pub what: WaveEmail,
    /// Unix seconds.
    pub due: i64,
    pub delivery: Delivery,
}

/// A wave's emails, a dry run: who gets what and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveMessages {
    /// The wave has not started: times are as if it started now.
    pub as_if_started_now: bool,
    /// By time, then address.
    pub messages: Vec<WaveMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_email_has_its_own_key() {
        let all = [
            WaveEmail::Invitation,
            WaveEmail::Notice,
            WaveEmail::ReminderDaysBefore(7),
            WaveEmail::ReminderDaysBefore(1),
            WaveEmail::ReminderWindowOpens,
        ];
        let keys: std::collections::HashSet<String> = all.iter().map(|e| e.key()).collect();
        assert_eq!(keys.len(), all.len());
        assert!(all.iter().filter(|e| e.is_reminder()).count() == 3);
    }
}
