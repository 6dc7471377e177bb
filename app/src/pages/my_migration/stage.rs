//! Which step of the flow the page shows, decided from the data alone.
use crate::dto::{MigrationView, RequestState, ScanState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// IT has not configured the servers.
    Closed,
    /// Step 1: connect the old account.
    Connect,
    /// Step 2: scan (never scanned, or the last scan failed).
    Scan,
    /// The scan is queued or running.
    Scanning,
    /// Step 3: pick folders and start.
    Pick,
    /// A request is queued, copying, paused, or stopped short of done.
    Active,
    /// The request is done: the report, and catch-up.
    Finished,
}

pub fn stage(v: &MigrationView) -> Stage {
    if !v.open {
        return Stage::Closed;
    }
    // Every request that has not ended keeps the page on it.
    match v.request.as_ref().map(|r| r.state) {
        Some(state) if state.is_open() => return Stage::Active,
        Some(RequestState::Done) => return Stage::Finished,
        _ => {}
    }
    if !v.account.as_ref().is_some_and(|a| a.usable) {
        return Stage::Connect;
    }
    match v.scan.as_ref().map(|s| s.state) {
        None | Some(ScanState::Failed) => Stage::Scan,
        Some(ScanState::Queued | ScanState::Running) => Stage::Scanning,
        Some(ScanState::Done) => Stage::Pick,
    }
}

/// Whether something is moving on the server, so the page should look again soon.
pub fn busy(v: &MigrationView) -> bool {
    let scanning = v
        .scan
        .as_ref()
        .is_some_and(|s| matches!(s.state, ScanState::Queued | ScanState::Running));
    // A wave's request moves when its turn comes: look again for that too.
    let copying = v
        .request
        .as_ref()
        .is_some_and(|r| r.state.is_active() || r.state == RequestState::Scheduled);
    scanning || copying
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{OldAccount, RequestView, ScanView};

    fn view() -> MigrationView {
        MigrationView {
            open: true,
            asks_password: true,
            login_hint: "alice".into(),
            account: None,
            scan: None,
            request: None,
        }
    }

    fn account(usable: bool) -> Option<OldAccount> {
        Some(OldAccount {
            login: "alice".into(),
            usable,
            verified_at: 0,
        })
    }

    fn scan(state: ScanState) -> Option<ScanView> {
        Some(ScanView {
            id: crate::dto::ScanId(1),
            state,
            result: None,
            error: None,
        })
    }

    fn request(state: &str) -> Option<RequestView> {
        Some(RequestView {
            id: crate::dto::RequestId(1),
            state: RequestState::parse(state).unwrap(),
            actions: vec![],
            position: None,
            folders: vec![],
            progress: None,
            report: None,
            last_error: None,
        })
    }

    #[test]
    fn the_flow_goes_connect_scan_pick() {
        let mut v = view();
        assert_eq!(
            stage(&MigrationView {
                open: false,
                ..view()
            }),
            Stage::Closed
        );
        assert_eq!(stage(&v), Stage::Connect);
        v.account = account(false);
        assert_eq!(
            stage(&v),
            Stage::Connect,
            "a purged password must be typed again"
        );
        v.account = account(true);
        assert_eq!(stage(&v), Stage::Scan);
        v.scan = scan(ScanState::Running);
        assert_eq!(stage(&v), Stage::Scanning);
        assert!(busy(&v));
        v.scan = scan(ScanState::Failed);
        assert_eq!(stage(&v), Stage::Scan, "a failed scan can be run again");
        v.scan = scan(ScanState::Done);
        assert_eq!(stage(&v), Stage::Pick);
        assert!(!busy(&v));
    }

    #[test]
    fn a_request_takes_over_the_page_until_it_is_cancelled() {
        let mut v = view();
        v.account = account(true);
        v.scan = scan(ScanState::Done);
        for state in ["queued", "copying", "paused", "needs_attention", "failed"] {
            v.request = request(state);
            assert_eq!(stage(&v), Stage::Active, "{state}");
        }
        v.request = request("copying");
        assert!(busy(&v));
        v.request = request("paused");
        assert!(!busy(&v));
        v.request = request("done");
        assert_eq!(stage(&v), Stage::Finished);
        v.account = account(false);
        assert_eq!(
            stage(&v),
            Stage::Finished,
            "the report stays after the password is purged"
        );
        v.request = request("cancelled");
        assert_eq!(stage(&v), Stage::Connect);
    }
}
