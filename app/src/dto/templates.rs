//! The templates of what Fountain sends, as division IT reads, previews and test-sends them.
use serde::{Deserialize, Serialize};

/// An email Fountain sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailKind {
    Started,
    Done,
    NeedsAttention,
    Helpdesk,
    Reconnect,
    CatchUpPassword,
    Invitation,
    Reminder,
    Notice,
}

impl EmailKind {
    pub const ALL: [EmailKind; 9] = [
        EmailKind::Started,
        EmailKind::Done,
        EmailKind::NeedsAttention,
        EmailKind::Helpdesk,
        EmailKind::Reconnect,
        EmailKind::CatchUpPassword,
        EmailKind::Invitation,
        EmailKind::Reminder,
        EmailKind::Notice,
    ];

    /// When it is sent, in words.
    pub fn label(self) -> &'static str {
        match self {
            EmailKind::Started => "Started (when a copy begins)",
            EmailKind::Done => "Done (with the report and the client instructions)",
            EmailKind::NeedsAttention => "Needs attention (when a copy stops short)",
            EmailKind::Helpdesk => "To the helpdesk (when a copy stops short)",
            EmailKind::Reconnect => "Please reconnect (asked by the helpdesk)",
            EmailKind::CatchUpPassword => {
                "Catch-ups need your password (after the switch, once it was forgotten)"
            }
            EmailKind::Invitation => "Invitation (when an invitation wave starts)",
            EmailKind::Reminder => "Reminder (before a wave's window, to those not started)",
            EmailKind::Notice => "Notice (when an IT-run wave starts)",
        }
    }
}

/// One template file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFile {
    /// Its path under the templates folder (`email/done.txt`).
    pub file: String,
    /// The file it was loaded from, or `None` for the built-in one.
    pub loaded_from: Option<String>,
    pub source: String,
    /// (name, what it holds).
    pub placeholders: Vec<(String, String)>,
    /// Those it must use.
    pub required: Vec<String>,
}

/// An email as someone would receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPreview {
    pub kind: EmailKind,
    /// Who it is rendered for, and (for a test send) who it went to.
    pub person: String,
    pub sent_to: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Made-up values stand in where the person has none yet (no report, say).
    pub sample_data: bool,
}
