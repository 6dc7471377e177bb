//! What the JSON columns hold: types owned here, each row with an explicit `version`, so the pages'
//! DTOs can be renamed or reshaped without changing stored data (the conversions below are the only
//! place the two meet). Version 0 is what Fountain wrote before rows carried a version: the same
//! fields, so old rows read as they always did.
use app::dto;
use serde::{Deserialize, Serialize};

/// The version written now.
pub const VERSION: u32 = 1;

/// A stored value with its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    #[serde(default)]
    pub version: u32,
    #[serde(flatten)]
    pub data: T,
}

impl<T: Serialize> Versioned<T> {
    /// The column's text for `data`, at the current version.
    pub fn json(data: T) -> String {
        serde_json::to_string(&Versioned {
            version: VERSION,
            data,
        })
        .expect("plain data serialises")
    }
}

/// Reads a column written by this or an earlier version; `None` for what cannot be read (a row
/// from a newer version, say), which the pages show as absent rather than failing.
pub fn read<T: for<'de> Deserialize<'de>>(json: &str) -> Option<T> {
    let stored: Versioned<T> = serde_json::from_str(json).ok()?;
    (stored.version <= VERSION).then_some(stored.data)
}

/// `migration_requests.progress`: live progress, written about once a second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub folders: Vec<FolderProgress>,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub bytes_per_second: f64,
    pub eta_seconds: Option<u64>,
    pub updated_at: i64,
    /// Absent in rows written before it existed.
    #[serde(default)]
    pub moved_at: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderProgress {
    pub name: String,
    pub messages_done: u64,
    pub messages_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// `migration_requests.report`: what the last run copied, folder by folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub folders: Vec<FolderResult>,
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
    pub copied: u64,
    pub quarantined: Vec<Quarantined>,
    /// Stored as the face shows them (plain data, added later: absent in older rows).
    #[serde(default)]
    pub left_behind: Vec<dto::LeftBehind>,
    #[serde(default)]
    pub repaired: Vec<dto::Repaired>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub uid: u32,
    pub reason: String,
    /// Rows from before quarantine limits kept every readable message whole.
    #[serde(default = "whole")]
    pub kept_whole: bool,
}

fn whole() -> bool {
    true
}

/// `scans.result`: the old mailbox, folder by folder, with where each folder lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    pub folders: Vec<ScannedFolder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedFolder {
    pub name: String,
    pub destination: String,
    pub messages: u64,
    pub bytes: u64,
    pub notes: Vec<String>,
    pub selected_by_default: bool,
}

impl From<&dto::Progress> for Progress {
    fn from(p: &dto::Progress) -> Self {
        Progress {
            folders: p.folders.iter().map(FolderProgress::from).collect(),
            messages_done: p.messages_done,
            messages_total: p.messages_total,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            bytes_per_second: p.bytes_per_second,
            eta_seconds: p.eta_seconds,
            updated_at: p.updated_at,
            moved_at: Some(p.moved_at),
        }
    }
}

impl From<Progress> for dto::Progress {
    fn from(p: Progress) -> Self {
        dto::Progress {
            folders: p.folders.into_iter().map(Into::into).collect(),
            messages_done: p.messages_done,
            messages_total: p.messages_total,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            bytes_per_second: p.bytes_per_second,
            eta_seconds: p.eta_seconds,
            updated_at: p.updated_at,
            // An older row: as still as its last update says.
            moved_at: p.moved_at.unwrap_or(p.updated_at),
        }
    }
}

impl From<&dto::FolderProgress> for FolderProgress {
    fn from(f: &dto::FolderProgress) -> Self {
        FolderProgress {
            name: f.name.clone(),
            messages_done: f.messages_done,
            messages_total: f.messages_total,
            bytes_done: f.bytes_done,
            bytes_total: f.bytes_total,
        }
    }
}

impl From<FolderProgress> for dto::FolderProgress {
    fn from(f: FolderProgress) -> Self {
        dto::FolderProgress {
            name: f.name,
            messages_done: f.messages_done,
            messages_total: f.messages_total,
            bytes_done: f.bytes_done,
            bytes_total: f.bytes_total,
        }
    }
}

impl From<&dto::MigrationReport> for Report {
    fn from(r: &dto::MigrationReport) -> Self {
        Report {
            folders: r.folders.iter().map(FolderResult::from).collect(),
            instructions: r.instructions.clone(),
        }
    }
}

impl From<Report> for dto::MigrationReport {
    fn from(r: Report) -> Self {
        dto::MigrationReport {
            folders: r.folders.into_iter().map(Into::into).collect(),
            instructions: r.instructions,
        }
    }
}

impl From<&dto::FolderResult> for FolderResult {
    fn from(f: &dto::FolderResult) -> Self {
        FolderResult {
            source: f.source.clone(),
            destination: f.destination.clone(),
            source_messages: f.source_messages,
            source_bytes: f.source_bytes,
            destination_messages: f.destination_messages,
            destination_bytes: f.destination_bytes,
            copied: f.copied,
            quarantined: f
                .quarantined
                .iter()
                .map(|q| Quarantined {
                    uid: q.uid,
                    reason: q.reason.clone(),
                    kept_whole: q.kept_whole,
                })
                .collect(),
            left_behind: f.left_behind.clone(),
            repaired: f.repaired.clone(),
            notes: f.notes.clone(),
        }
    }
}

impl From<FolderResult> for dto::FolderResult {
    fn from(f: FolderResult) -> Self {
        dto::FolderResult {
            source: f.source,
            destination: f.destination,
            source_messages: f.source_messages,
            source_bytes: f.source_bytes,
            destination_messages: f.destination_messages,
            destination_bytes: f.destination_bytes,
            copied: f.copied,
            quarantined: f
                .quarantined
                .into_iter()
                .map(|q| dto::QuarantinedView {
                    uid: q.uid,
                    reason: q.reason,
                    kept_whole: q.kept_whole,
                })
                .collect(),
            left_behind: f.left_behind,
            repaired: f.repaired,
            notes: f.notes,
        }
    }
}

/// `migration_requests.protocol`: what the last run said to each server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub updated_at: i64,
    pub source: ProtocolSide,
    pub destination: ProtocolSide,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolSide {
    pub commands: Vec<(String, u64)>,
    pub errors: u64,
    pub last_errors: Vec<String>,
}

impl From<crate::engine::imap::transcript::Summary> for ProtocolSide {
    fn from(s: crate::engine::imap::transcript::Summary) -> Self {
        ProtocolSide {
            commands: s.commands,
            errors: s.errors,
            last_errors: s.last_errors,
        }
    }
}

impl From<Protocol> for dto::ProtocolSummary {
    fn from(p: Protocol) -> Self {
        let side = |s: ProtocolSide| dto::ProtocolSide {
            commands: s.commands,
            errors: s.errors,
            last_errors: s.last_errors,
        };
        dto::ProtocolSummary {
            updated_at: p.updated_at,
            old_server: side(p.source),
            new_server: side(p.destination),
        }
    }
}

impl From<&dto::ScanResult> for Scan {
    fn from(s: &dto::ScanResult) -> Self {
        Scan {
            folders: s
                .folders
                .iter()
                .map(|f| ScannedFolder {
                    name: f.name.clone(),
                    destination: f.destination.clone(),
                    messages: f.messages,
                    bytes: f.bytes,
                    notes: f.notes.clone(),
                    selected_by_default: f.selected_by_default,
                })
                .collect(),
        }
    }
}

impl From<Scan> for dto::ScanResult {
    fn from(s: Scan) -> Self {
        dto::ScanResult {
            folders: s
                .folders
                .into_iter()
                .map(|f| dto::ScannedFolder {
                    name: f.name,
                    destination: f.destination,
                    messages: f.messages,
                    bytes: f.bytes,
                    notes: f.notes,
                    selected_by_default: f.selected_by_default,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_before_versions_still_read() {
        // As Fountain wrote a report before rows carried a version (and before `kept_whole`).
        let legacy = r#"{"folders":[{"source":"INBOX","destination":"INBOX","source_messages":2,
            "source_bytes":10,"destination_messages":2,"destination_bytes":10,"copied":2,
            "quarantined":[{"uid":7,"reason":"refused"}],"notes":[]}],"instructions":"Set up"}"#;
        let report: Report = read(legacy).expect("a legacy row reads");
        assert_eq!(report.folders[0].quarantined[0].uid, 7);
        assert!(report.folders[0].quarantined[0].kept_whole);
    }

    #[test]
    fn what_is_written_carries_the_version_and_reads_back() {
        let scan = Scan {
            folders: vec![ScannedFolder {
                name: "Entwürfe".into(),
                destination: "Drafts".into(),
                messages: 3,
                bytes: 300,
                notes: vec![],
                selected_by_default: true,
            }],
        };
        let json = Versioned::json(scan.clone());
        assert!(json.starts_with(r#"{"version":1,"#), "{json}");
        assert_eq!(read::<Scan>(&json), Some(scan));
    }

    #[test]
    fn a_row_from_a_newer_version_is_not_misread() {
        assert_eq!(read::<Scan>(r#"{"version":99,"folders":[]}"#), None);
    }

    #[test]
    fn progress_round_trips_through_the_stored_form() {
        let page = dto::Progress {
            folders: vec![dto::FolderProgress {
                name: "INBOX".into(),
                messages_done: 1,
                messages_total: 2,
                bytes_done: 10,
                bytes_total: 20,
            }],
            messages_done: 1,
            messages_total: 2,
            bytes_done: 10,
            bytes_total: 20,
            bytes_per_second: 5.0,
            eta_seconds: Some(2),
            updated_at: 1_700_000_000,
            moved_at: 1_699_999_990,
        };
        let json = Versioned::json(Progress::from(&page));
        let back: dto::Progress = read::<Progress>(&json).unwrap().into();
        assert_eq!(back, page);
        // A row from before `moved_at` existed reads as still since its last update.
        let older = r#"{"version":1,"folders":[],"messages_done":0,"messages_total":0,"bytes_done":0,"bytes_total":0,"bytes_per_second":0.0,"eta_seconds":null,"updated_at":42}"#;
        let back: dto::Progress = read::<Progress>(older).unwrap().into();
        assert_eq!((back.updated_at, back.moved_at), (42, 42));
    }
}
