//! The self-service migration as its page sees it: the connected old account, the scan, the request
//! with its live progress, and the final report.
use serde::{Deserialize, Serialize};

/// Everything the "My migration" page shows, in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationView {
    /// IT has configured the servers: migrations are open.
    pub open: bool,
    /// The old-server password is asked (else IT logs in as an administrator).
    pub asks_password: bool,
    /// The login to suggest for the old server.
    pub login_hint: String,
    pub account: Option<OldAccount>,
    pub scan: Option<ScanView>,
    pub request: Option<RequestView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldAccount {
    pub login: String,
    /// Fountain can log in on the old server for this person now (password held, or admin mode).
    pub usable: bool,
    /// Unix seconds.
    pub verified_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanState {
    Queued,
    Running,
    Done,
    Failed,
}

impl ScanState {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanState::Queued => "queued",
            ScanState::Running => "running",
            ScanState::Done => "done",
            ScanState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ScanState> {
        [
            ScanState::Queued,
            ScanState::Running,
            ScanState::Done,
            ScanState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanView {
    pub id: super::ScanId,
    pub state: ScanState,
    pub result: Option<ScanResult>,
    pub error: Option<String>,
}

/// The old mailbox, folder by folder, with where each folder lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    pub folders: Vec<ScannedFolder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedFolder {
    /// The folder's name on the old server (Unicode), also its key when picking.
    pub name: String,
    /// Where it lands on the new server.
    pub destination: String,
    pub messages: u64,
    pub bytes: u64,
    /// Renames, merges, collisions and limits, in words.
    pub notes: Vec<String>,
    /// Ticked at first: everything but trash and junk.
    pub selected_by_default: bool,
}

impl ScanResult {
    pub fn totals<'a>(&self, picked: impl Fn(&str) -> bool + 'a) -> (u64, u64) {
        self.folders
            .iter()
            .filter(|f| picked(&f.name))
            .fold((0, 0), |(m, b), f| (m + f.messages, b + f.bytes))
    }
}

/// A migration request, for its owner (and the helpdesk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: super::RequestId,
    pub state: super::RequestState,
    /// What its owner may do to it now, in the order the page shows the buttons (the server's rules).
    pub actions: Vec<RequestAction>,
    /// Requests ahead of this one while queued.
    pub position: Option<u64>,
    pub folders: Vec<String>,
    pub progress: Option<Progress>,
    pub report: Option<MigrationReport>,
    pub last_error: Option<String>,
}

/// Live progress, written by the worker about once a second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub folders: Vec<FolderProgress>,
    pub messages_done: u64,
    pub messages_total: u64,
    /// Bytes copied in this run, and what this run has left.
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Bytes per second over the last half minute or so.
    pub bytes_per_second: f64,
    /// From the bytes left and the rate; `None` until there is a rate.
    pub eta_seconds: Option<u64>,
    /// Unix seconds of the last update.
    pub updated_at: i64,
    /// Unix seconds of the last time a message was done (or the run's start): how long it has been
    /// still.
    pub moved_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderProgress {
    pub name: String,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// What was copied, folder by folder, once the request has finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationReport {
    pub folders: Vec<FolderResult>,
    /// How to set up the mail program for the new server (plain text, from IT's template).
    pub instructions: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderResult {
    pub source: String,
    pub destination: String,
    pub source_messages: u64,
    pub source_bytes: u64,
    pub destination_messages: Option<u64>,
    pub destination_bytes: Option<u64>,
    /// Messages on the destination from this and earlier runs.
    pub copied: u64,
    pub quarantined: Vec<QuarantinedView>,
    /// Refused messages IT accepted as not migrated (still on the old server, downloadable).
    #[serde(default)]
    pub left_behind: Vec<super::LeftBehind>,
    /// Refused messages sent again with IT's repairs.
    #[serde(default)]
    pub repaired: Vec<super::Repaired>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedView {
    pub uid: u32,
    pub reason: String,
    /// Its bytes are kept whole; else only its headers (it stays on the old server, under its UID).
    #[serde(default = "kept_whole_before_limits")]
    pub kept_whole: bool,
}

/// Reports from before quarantine limits kept every readable message whole.
fn kept_whole_before_limits() -> bool {
    true
}

/// What the owner of a request can do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestAction {
    Pause,
    Resume,
    Cancel,
    /// Try again after a failure or quarantine.
    Retry,
    /// Copy what arrived since the copy finished.
    CatchUp,
}

impl RequestAction {
    /// A stable name (element ids, form values), and the button's words.
    pub fn button(self) -> (&'static str, &'static str) {
        match self {
            RequestAction::Pause => ("pause", "Pause"),
            RequestAction::Resume => ("resume", "Resume"),
            RequestAction::Cancel => ("cancel", "Cancel (keeps what is copied)"),
            RequestAction::Retry => ("retry", "Try again"),
            RequestAction::CatchUp => ("catch-up", "Catch-up sync"),
        }
    }
}
