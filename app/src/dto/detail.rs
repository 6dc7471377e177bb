//! One request as the helpdesk sees it: whose it is, where it stands, and everything that happened to
//! it (the timeline: state changes with who and why, workers, emails, notes).
use serde::{Deserialize, Serialize};

use super::{DecisionKind, FailureClass, Person, QuarantinedItem, RequestState, RequestView};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub person: Person,
    /// The request as its owner's page shows it; `actions` are what the helpdesk may do.
    pub request: RequestView,
    pub class: Option<FailureClass>,
    /// Runs so far, and the worker holding it while copying.
    pub attempts: i32,
    pub worker: Option<String>,
    /// Fountain can log in on the old server for this person now (else they must reconnect).
    pub account_usable: bool,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Older entries left out of `timeline` (it keeps the newest).
    pub timeline_omitted: u64,
    /// Messages kept aside from its mailbox, with IT's decisions (read-only for the helpdesk).
    pub quarantined: Vec<QuarantinedItem>,
    /// What the last run said to each server; `None` before any run.
    pub protocol: Option<ProtocolSummary>,
}

/// The engine's protocol summary of a run: IMAP commands by kind and the errors met, per server.
/// Never message bodies or passwords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSummary {
    /// Unix seconds: when the run last wrote it (every second while it runs).
    pub updated_at: i64,
    pub old_server: ProtocolSide,
    pub new_server: ProtocolSide,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSide {
    /// (`UID FETCH`, 12), by name.
    pub commands: Vec<(String, u64)>,
    /// Refusals (NO, BAD), timeouts, dropped connections; some are expected (creating a folder
    /// that exists).
    pub errors: u64,
    /// The last few errors, oldest first.
    pub last_errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Unix seconds.
    pub at: i64,
    pub who: Who,
    pub what: What,
    /// In the words of whoever acted for someone else (always given for helpdesk and IT actions).
    pub reason: Option<String>,
    /// What Fountain adds: the error that stopped a run, what happened to a worker.
    pub detail: Option<String>,
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    /// The person whose request it is.
    Owner,
    /// Helpdesk or IT, acting for the person.
    Staff { email: String },
    /// A worker run (its name).
    Worker { name: String },
    /// Fountain itself (a recovery, an email).
    Fountain,
    /// A wave's schedule (the wave's name): its turn, its window.
    Wave { name: String },
}

impl Who {
    /// A stable name of the kind, for styles and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            Who::Owner => "owner",
            Who::Staff { .. } => "staff",
            Who::Worker { .. } => "worker",
            Who::Fountain => "fountain",
            Who::Wave { .. } => "wave",
        }
    }

    /// Who, in words; `owner` is how the person is named.
    pub fn in_words(&self, owner: &str) -> String {
        match self {
            Who::Owner => owner.to_owned(),
            Who::Staff { email } => email.clone(),
            Who::Worker { name } => format!("worker {name}"),
            Who::Fountain => "Fountain".to_owned(),
            Who::Wave { name } => format!("the schedule of wave {name}"),
        }
    }
}

impl TimelineEntry {
    /// What the entry adds to its few words, line by line: a note's text, why someone acted, what
    /// Fountain adds, and whether an email has left.
    pub fn lines(&self) -> Vec<String> {
        let note = match &self.what {
            What::Note { text } => Some(text.clone()),
            _ => None,
        };
        let delivery = match &self.what {
            What::Email {
                sent_at: Some(at), ..
            } => Some(format!("sent {}", crate::format::format_unix(*at))),
            What::Email {
                gave_up_at: Some(at),
                attempts,
                last_error,
                ..
            } => Some(format!(
                "not delivered: given up {} after {attempts} attempt(s) ({}). Check the address, then send the email again.",
                crate::format::format_unix(*at),
                last_error.as_deref().unwrap_or("no reason given")
            )),
            What::Email {
                attempts,
                last_error,
                ..
            } => Some(match last_error {
                Some(error) => format!("not sent yet (attempt {attempts}: {error})"),
                None => "waiting to be sent".to_owned(),
            }),
            _ => None,
        };
        [note, self.reason.clone(), self.detail.clone(), delivery]
            .into_iter()
            .flatten()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    Submitted,
    Changed {
        from: RequestState,
        to: RequestState,
    },
    Note {
        text: String,
    },
    /// The person was emailed to connect their old account again.
    AskedToReconnect,
    /// The last email to the person was sent again.
    EmailResent,
    /// IT decided for quarantined messages (the entry's detail names them).
    Decided {
        decision: DecisionKind,
    },
    /// IT downloaded a quarantined message.
    Downloaded,
    /// An email about this request: to whom, and whether it has left.
    Email {
        to: String,
        subject: String,
        sent_at: Option<i64>,
        attempts: i32,
        last_error: Option<String>,
        /// When the sender gave up on it (refused for good, or tried too often).
        #[serde(default)]
        gave_up_at: Option<i64>,
    },
}

impl What {
    /// The entry in a few words, for the timeline.
    pub fn in_words(&self) -> String {
        match self {
            What::Submitted => "Started the migration".into(),
            What::Changed { from, to } => format!("{} → {}", from.in_words(), to.in_words()),
            What::Note { .. } => "Note".into(),
            What::AskedToReconnect => "Asked the person to connect their old mailbox again".into(),
            What::EmailResent => "Sent the last email again".into(),
            What::Decided { decision } => format!("Quarantined messages: {}", decision.in_words()),
            What::Downloaded => "Downloaded a quarantined message".into(),
            What::Email { to, subject, .. } => format!("Email to {to}: “{subject}”"),
        }
    }
}

/// What the helpdesk can send the person about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffEmail {
    /// Ask them to connect their old account again (their password is no longer accepted or held).
    AskToReconnect,
    /// The last email they were sent, again.
    ResendLast,
}
