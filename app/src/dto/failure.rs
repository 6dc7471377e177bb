//! Why a request stopped short, in classes the helpdesk can act on, each with what to do next.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The old server refused the person's login (or IT's administrator login).
    OldLoginRefused,
    /// A secure connection could not be set up (certificate, TLS version, no STARTTLS).
    Tls,
    /// The old server did not answer, dropped connections or throttled, beyond the retries.
    OldServerUnreachable,
    /// The new server did not answer or dropped connections, beyond the retries.
    NewServerUnreachable,
    /// The new server refused a command: size, quota, a folder name, IT's login there.
    DestinationRefused,
    /// Messages the new server refused or the old one could not give are in the quarantine.
    CorruptMessages,
    /// A chosen folder is no longer on the old server (renamed or deleted since the scan).
    FolderGone,
    /// Inside Fountain (the database, a crash on every run, a setup mistake).
    Internal,
}

impl FailureClass {
    pub const ALL: [FailureClass; 8] = [
        FailureClass::OldLoginRefused,
        FailureClass::Tls,
        FailureClass::OldServerUnreachable,
        FailureClass::NewServerUnreachable,
        FailureClass::DestinationRefused,
        FailureClass::CorruptMessages,
        FailureClass::FolderGone,
        FailureClass::Internal,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::OldLoginRefused => "old_login_refused",
            FailureClass::Tls => "tls",
            FailureClass::OldServerUnreachable => "old_server_unreachable",
            FailureClass::NewServerUnreachable => "new_server_unreachable",
            FailureClass::DestinationRefused => "destination_refused",
            FailureClass::CorruptMessages => "corrupt_messages",
            FailureClass::FolderGone => "folder_gone",
            FailureClass::Internal => "internal",
        }
    }

    pub fn parse(stored: &str) -> Option<FailureClass> {
        FailureClass::ALL.into_iter().find(|c| c.as_str() == stored)
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureClass::OldLoginRefused => "Old login refused",
            FailureClass::Tls => "TLS or certificate",
            FailureClass::OldServerUnreachable => "Old server unreachable or throttling",
            FailureClass::NewServerUnreachable => "New server unreachable",
            FailureClass::DestinationRefused => "New server refused",
            FailureClass::CorruptMessages => "Corrupt messages",
            FailureClass::FolderGone => "Folder gone since the scan",
            FailureClass::Internal => "Internal",
        }
    }

    /// What the helpdesk does next.
    pub fn suggested_action(self) -> &'static str {
        match self {
            FailureClass::OldLoginRefused => {
                "Ask the person to connect their old mailbox again (the password may have changed), then retry."
            }
            FailureClass::Tls => {
                "Tell IT: the old server's certificate or TLS settings need fixing (CA file or pin); then retry."
            }
            FailureClass::OldServerUnreachable => {
                "Check the old server is up and not overloaded; retry later (nothing is lost, it resumes)."
            }
            FailureClass::NewServerUnreachable => {
                "Check the new server is up; retry once it answers (nothing is lost, it resumes)."
            }
            FailureClass::DestinationRefused => {
                "Read the refusal: raise the quota or size limit, or have IT fix the folder name or login; then retry."
            }
            FailureClass::CorruptMessages => {
                "Hand it to IT: they retry, repair or accept the quarantined messages."
            }
            FailureClass::FolderGone => {
                "Ask the person to scan again and choose the folder under its new name."
            }
            FailureClass::Internal => {
                "Give IT the reference in the error; retry once they have looked."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_every_class_says_what_to_do() {
        for c in FailureClass::ALL {
            assert_eq!(FailureClass::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert!(!c.label().is_empty() && c.suggested_action().ends_with('.'));
        }
        assert_eq!(FailureClass::parse("nonsense"), None);
    }
}
