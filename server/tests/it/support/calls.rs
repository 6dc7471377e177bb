//! The portal's server functions as its pages call them, as [`TestApp`] methods: connect, scan,
//! start, control, and waiting for a state.
use std::time::Duration;

use app::dto::{FailureClass, MigrationView, RequestId, RequestView};

use super::TestApp;

impl TestApp {
    /// Why the request stopped short, as the helpdesk sees it.
    pub async fn failure_class(&self, id: RequestId) -> Option<FailureClass> {
        let db = self.db().await;
        let queue = server::jobs::queue::Queue { db: &db };
        queue.get(id).await.unwrap().failure_class
    }

    pub async fn call(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let resp = self.server_fn(client, name, form).await;
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn view(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> MigrationView {
        let (status, body) = self.call(client, name, form).await;
        assert_eq!(status, 200, "{name}: {body}\n{}", self.log());
        serde_json::from_str(&body).unwrap()
    }

    /// Polls the page's data until `done` holds (at most `secs`).
    pub async fn until(
        &self,
        client: &reqwest::Client,
        secs: u64,
        done: impl Fn(&MigrationView) -> bool,
    ) -> MigrationView {
        let mut last = None;
        for _ in 0..secs * 4 {
            let v = self.view(client, "my_migration", &[]).await;
            if done(&v) {
                return v;
            }
            last = Some(v);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!(
            "gave up waiting; last view {last:#?}\nportal log:\n{}",
            self.log()
        );
    }

    /// Polls until the request is neither queued nor copying (at most `secs`); the request then.
    pub async fn until_ended(&self, client: &reqwest::Client, secs: u64) -> RequestView {
        self.until(client, secs, |v| {
            v.request
                .as_ref()
                .is_some_and(|r| !matches!(r.state.as_str(), "scheduled" | "queued" | "copying"))
        })
        .await
        .request
        .unwrap()
    }

    pub async fn scanned(&self, client: &reqwest::Client) -> MigrationView {
        self.view(client, "start_scan", &[]).await;
        self.until(client, 60, |v| {
            v.scan
                .as_ref()
                .is_some_and(|s| s.result.is_some() || s.error.is_some())
        })
        .await
    }

    /// Scans the old mailbox and starts copying every folder the scan found; the start's answer.
    pub async fn scan_and_start_everything(&self, client: &reqwest::Client) -> (u16, String) {
        let scan = self
            .scanned(client)
            .await
            .scan
            .unwrap()
            .result
            .expect("scanned");
        let all: Vec<String> = scan.folders.iter().map(|f| f.name.clone()).collect();
        self.start(client, &all).await
    }

    pub async fn start(&self, client: &reqwest::Client, folders: &[String]) -> (u16, String) {
        let form = folder_form(folders);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.call(client, "start_migration", &form).await
    }

    /// The request's progress as last written by its worker: (messages done, when).
    pub async fn progress_mark(&self, client: &reqwest::Client) -> (u64, i64) {
        let v = self.view(client, "my_migration", &[]).await;
        let p = v.request.and_then(|r| r.progress).unwrap_or_default();
        (p.messages_done, p.updated_at)
    }

    /// Connects the old account; the answer.
    pub async fn connect_call(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> (u16, String) {
        self.call(
            client,
            "connect_old_account",
            &[("login", login), ("password", password)],
        )
        .await
    }

    /// [`connect_call`] that must succeed; the page's data after it.
    pub async fn connect(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> MigrationView {
        let (status, body) = self.connect_call(client, login, password).await;
        assert_eq!(status, 200, "connect {login}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Pauses, resumes, cancels… a request; the answer.
    pub async fn control_call(
        &self,
        client: &reqwest::Client,
        id: &str,
        action: &str,
    ) -> (u16, String) {
        self.call(
            client,
            "control_request",
            &[("request_id", id), ("action", action)],
        )
        .await
    }

    /// [`control_call`] that must succeed; the page's data after it.
    pub async fn control(&self, client: &reqwest::Client, id: &str, action: &str) -> MigrationView {
        let (status, body) = self.control_call(client, id, action).await;
        assert_eq!(status, 200, "{action}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Connects the old account `login`, scans it, and starts copying every folder; the request's id.
    pub async fn start_everything(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> String {
        self.connect(client, login, password).await;
        let scan = self
            .scanned(client)
            .await
            .scan
            .unwrap()
            .result
            .expect("scanned");
        let all: Vec<String> = scan.folders.iter().map(|f| f.name.clone()).collect();
        let (status, body) = self.start(client, &all).await;
        assert_eq!(status, 200, "{body}");
        let view: MigrationView = serde_json::from_str(&body).unwrap();
        view.request.unwrap().id.to_string()
    }

    /// Waits until more than `messages` messages are across.
    pub async fn until_under_way(&self, client: &reqwest::Client, messages: u64) {
        self.until(client, 60, |v| {
            v.request
                .as_ref()
                .and_then(|r| r.progress.as_ref())
                .is_some_and(|p| p.messages_done > messages)
        })
        .await;
    }
}

/// `folders[0]=…&folders[1]=…`, the way the page's form posts a list.
fn folder_form(folders: &[String]) -> Vec<(String, String)> {
    folders
        .iter()
        .enumerate()
        .map(|(i, f)| (format!("folders[{i}]"), f.clone()))
        .collect()
}
