//! How a run of a request ends, decided from what the run produced and nothing else (state in,
//! effects out): which event the state machine gets, what the person and the helpdesk are told,
//! and whether the stored old password goes. The worker applies the decision in one transaction.
use app::dto::{FailureClass, MigrationReport};

use super::state::Event;
use crate::engine::copy::{Outcome, Report};

/// Why a run ended without a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// What happened and what to do, for the person, the helpdesk and the email.
    pub message: String,
    /// The stored old password no longer works: forget it, so the page asks for it again.
    pub forget_password: bool,
    pub class: FailureClass,
}

/// What a run's end does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every chosen folder is on the new server, whole: the person gets the done email and the
    /// password is forgotten (the migration is over).
    Done,
    /// The run finished, but something needs a look (quarantined messages, a folder gone since the
    /// scan): the person and the helpdesk are told `problem`.
    NeedsAttention {
        problem: String,
        class: FailureClass,
    },
    /// The run stopped short: the person and the helpdesk are told `problem`.
    Failed {
        problem: String,
        forget_password: bool,
        class: FailureClass,
    },
}

impl Ending {
    /// The end of a run that produced `result` for a request of the `chosen` folders (`view` is the
    /// report as people read it).
    pub fn decide(
        result: Result<(&Report, &MigrationReport), &Broken>,
        chosen: &[String],
    ) -> Ending {
        let (report, view) = match result {
            Err(broken) => {
                return Ending::Failed {
                    problem: broken.message.clone(),
                    forget_password: broken.forget_password,
                    class: broken.class,
                }
            }
            Ok(finished) => finished,
        };
        let missing = missing_folders(chosen, report);
        if report.outcome == Outcome::Done && missing.is_empty() {
            return Ending::Done;
        }
        let quarantined = view.folders.iter().any(|f| !f.quarantined.is_empty());
        let class = match (quarantined, missing.is_empty()) {
            (true, _) => FailureClass::CorruptMessages,
            (false, false) => FailureClass::FolderGone,
            // Short of done with nothing quarantined: IT has to look.
            (false, true) => FailureClass::Internal,
        };
        let mut problem = attention_summary(view);
        for folder in missing {
            problem.push_str(&format!(
                "\n{folder}: no longer on the old server (renamed or deleted since the scan); \
                 scan again to choose it under its new name"
            ));
        }
        Ending::NeedsAttention { problem, class }
    }

    pub fn event(&self) -> Event {
        match self {
            Ending::Done => Event::Finished,
            Ending::NeedsAttention { .. } => Event::FinishedWithQuarantine,
            Ending::Failed { .. } => Event::Broke,
        }
    }

    /// What the person and the helpdesk are told (also the request's last error); `None` when done.
    pub fn problem(&self) -> Option<&str> {
        match self {
            Ending::Done => None,
            Ending::NeedsAttention { problem, .. } | Ending::Failed { problem, .. } => {
                Some(problem)
            }
        }
    }

    /// Why it stopped short, for the helpdesk's triage; `None` when done.
    pub fn class(&self) -> Option<FailureClass> {
        match self {
            Ending::Done => None,
            Ending::NeedsAttention { class, .. } | Ending::Failed { class, .. } => Some(*class),
        }
    }

    /// Whether the stored old password is forgotten in the same transaction.
    pub fn forgets_password(&self) -> bool {
        match self {
            Ending::Done => true,
            Ending::NeedsAttention { .. } => false,
            Ending::Failed {
                forget_password, ..
            } => *forget_password,
        }
    }
}

/// Whether the person (and the helpdesk) are emailed about how a run ended: always, except for the
/// catch-ups Fountain runs on its own after delivery moved (`catching_up`) — there a done run says
/// nothing new, and a problem is told only when it is not the one told last time (`earlier`).
pub fn tells(ending: &Ending, catching_up: bool, earlier: Option<&str>) -> bool {
    match ending.problem() {
        _ if !catching_up => true,
        None => false,
        Some(problem) => earlier != Some(problem),
    }
}

/// Chosen folders the run did not find on the old server (renamed or deleted since the scan).
pub fn missing_folders<'a>(chosen: &'a [String], report: &Report) -> Vec<&'a String> {
    chosen
        .iter()
        .filter(|name| !report.folders.iter().any(|f| &f.source == *name))
        .collect()
}

/// What needs attention, in a few lines for the email and the helpdesk.
pub fn attention_summary(report: &MigrationReport) -> String {
    let mut lines = Vec::new();
    for f in &report.folders {
        if !f.quarantined.is_empty() {
            lines.push(format!(
                "{}: {} message(s) could not be copied and are kept aside for IT (first reason: {})",
                f.source,
                f.quarantined.len(),
                f.quarantined[0].reason
            ));
        } else if f.copied < f.source_messages {
            lines.push(format!(
                "{}: {} of {} messages copied; {}",
                f.source,
                f.copied,
                f.source_messages,
                f.notes
                    .first()
                    .map(String::as_str)
                    .unwrap_or("held for a decision")
            ));
        }
    }
    if lines.is_empty() {
        lines.push("The copy finished, but a folder needs a decision from IT.".into());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::copy::FolderReport;
    use app::dto::{FolderResult, QuarantinedView};

    fn folder(source: &str, listed: u64, copied: u64) -> FolderReport {
        FolderReport {
            source: source.into(),
            destination: source.into(),
            notes: vec![],
            source_messages: listed,
            source_bytes: listed * 100,
            unchanged: false,
            subscribed: false,
            copied_before: 0,
            copied_now: copied,
            bytes_copied_now: copied * 100,
            recovered: 0,
            flags_updated: 0,
            quarantined: vec![],
            left_behind: vec![],
            repaired: vec![],
            destination_messages: Some(copied as u32),
            destination_bytes: Some(copied * 100),
        }
    }

    fn report(outcome: Outcome, folders: Vec<FolderReport>) -> Report {
        Report {
            outcome,
            dry_run: false,
            folders,
        }
    }

    fn view(folders: Vec<FolderResult>) -> MigrationReport {
        MigrationReport {
            folders,
            instructions: String::new(),
        }
    }

    fn result(source: &str, listed: u64, copied: u64, quarantined: usize) -> FolderResult {
        FolderResult {
            source: source.into(),
            destination: source.into(),
            source_messages: listed,
            source_bytes: 0,
            destination_messages: None,
            destination_bytes: None,
            copied,
            quarantined: (0..quarantined)
                .map(|i| QuarantinedView {
                    uid: i as u32 + 1,
                    reason: "the server said NO".into(),
                    kept_whole: true,
                })
                .collect(),
            left_behind: vec![],
            repaired: vec![],
            notes: vec![],
        }
    }

    fn chosen(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn catch_ups_after_the_switch_tell_only_what_is_new() {
        let trouble = Ending::NeedsAttention {
            problem: "INBOX: 1 message kept aside".into(),
            class: FailureClass::CorruptMessages,
        };
        assert!(tells(&Ending::Done, false, None));
        assert!(!tells(&Ending::Done, true, None));
        assert!(tells(&trouble, false, Some("INBOX: 1 message kept aside")));
        assert!(!tells(&trouble, true, Some("INBOX: 1 message kept aside")));
        assert!(tells(&trouble, true, Some("INBOX: 2 messages kept aside")));
        assert!(tells(&trouble, true, None));
    }

    #[test]
    fn every_chosen_folder_copied_is_done_and_forgets_the_password() {
        let run = report(Outcome::Done, vec![folder("INBOX", 3, 3)]);
        let ending = Ending::decide(Ok((&run, &view(vec![]))), &chosen(&["INBOX"]));
        assert_eq!(ending, Ending::Done);
        assert_eq!(ending.event(), Event::Finished);
        assert!(ending.forgets_password() && ending.problem().is_none());
        assert_eq!(ending.class(), None);
    }

    #[test]
    fn a_folder_gone_since_the_scan_is_never_done() {
        let run = report(Outcome::Done, vec![folder("INBOX", 3, 3)]);
        let ending = Ending::decide(Ok((&run, &view(vec![]))), &chosen(&["INBOX", "Projects"]));
        assert_eq!(ending.event(), Event::FinishedWithQuarantine);
        let problem = ending.problem().unwrap();
        assert!(
            problem.contains("Projects: no longer on the old server"),
            "{problem}"
        );
        assert!(!ending.forgets_password(), "the person may still retry");
        assert_eq!(ending.class(), Some(FailureClass::FolderGone));
    }

    #[test]
    fn quarantined_messages_are_summed_up_for_the_person_and_the_helpdesk() {
        let run = report(Outcome::NeedsAttention, vec![folder("INBOX", 3, 2)]);
        let people = view(vec![result("INBOX", 3, 2, 1)]);
        let ending = Ending::decide(Ok((&run, &people)), &chosen(&["INBOX"]));
        assert_eq!(
            ending.problem(),
            Some("INBOX: 1 message(s) could not be copied and are kept aside for IT (first reason: the server said NO)")
        );
        assert_eq!(ending.class(), Some(FailureClass::CorruptMessages));
    }

    #[test]
    fn a_broken_run_fails_and_forgets_the_password_only_when_it_no_longer_works() {
        for forget_password in [false, true] {
            let broken = Broken {
                message: "the old server went away".into(),
                forget_password,
                class: FailureClass::OldServerUnreachable,
            };
            let ending = Ending::decide(Err(&broken), &chosen(&["INBOX"]));
            assert_eq!(ending.event(), Event::Broke);
            assert_eq!(ending.problem(), Some("the old server went away"));
            assert_eq!(ending.forgets_password(), forget_password);
            assert_eq!(ending.class(), Some(FailureClass::OldServerUnreachable));
        }
    }
}
