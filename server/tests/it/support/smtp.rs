//! The rig's real SMTP sink (maildev): what Fountain sends lands here, readable over its web API.
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{free_port, repo_root};

pub struct SmtpSink {
    pub smtp_port: u16,
    pub web_port: u16,
    _dir: tempfile::TempDir,
    _child: Child,
}

impl SmtpSink {
    /// Starts a sink on new ports and waits until it answers.
    pub async fn start() -> SmtpSink {
        Self::start_maybe_tls(None).await
    }

    /// A sink taking SMTP over TLS from the first byte (smtps), with this certificate and key.
    pub async fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> SmtpSink {
        Self::start_maybe_tls(Some((cert, key))).await
    }

    async fn start_maybe_tls(tls: Option<(&std::path::Path, &std::path::Path)>) -> SmtpSink {
        for _ in 0..3 {
            if let Some(sink) = Self::try_start(free_port(), tls).await {
                return sink;
            }
        }
        panic!("maildev did not start (three tries on fresh ports)");
    }

    /// Starts a sink taking SMTP on `smtp_port` (e.g. one Fountain was already told about).
    pub async fn start_on(smtp_port: u16) -> SmtpSink {
        for _ in 0..3 {
            if let Some(sink) = Self::try_start(smtp_port, None).await {
                return sink;
            }
        }
        panic!("maildev did not start on SMTP port {smtp_port} (three tries)");
    }

    /// One start on `smtp_port` and a fresh web port; `None` when maildev exits (a port taken
    /// meanwhile by someone else) or does not answer within a minute (a busy machine starts node
    /// slowly).
    async fn try_start(
        smtp_port: u16,
        tls: Option<(&std::path::Path, &std::path::Path)>,
    ) -> Option<SmtpSink> {
        let dir = tempfile::tempdir().unwrap();
        let web_port = free_port();
        let mut command = Command::new(repo_root().join("server/rig/smtp-sink.sh"));
        if let Some((cert, key)) = tls {
            command
                .env("MAILDEV_INCOMING_SECURE", "true")
                .env("MAILDEV_INCOMING_CERT", cert)
                .env("MAILDEV_INCOMING_KEY", key);
        }
        let child = command
            .arg(dir.path())
            .arg(smtp_port.to_string())
            .arg(web_port.to_string())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut sink = SmtpSink {
            smtp_port,
            web_port,
            _dir: dir,
            _child: child,
        };
        for _ in 0..600 {
            if reqwest::get(sink.api()).await.is_ok() {
                return Some(sink);
            }
            if sink._child.try_wait().ok().flatten().is_some() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    fn api(&self) -> String {
        format!("http://127.0.0.1:{}/email", self.web_port)
    }

    /// Every email received so far (maildev's JSON: subject, to, text, html, …).
    pub async fn emails(&self) -> Vec<serde_json::Value> {
        let all: serde_json::Value = reqwest::get(self.api())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.as_array().cloned().unwrap_or_default()
    }

    /// Waits (at most `secs`) until `n` emails have a subject containing `subject`; those emails.
    pub async fn wait_for_n(&self, subject: &str, n: usize, secs: u64) -> Vec<serde_json::Value> {
        let matching = |all: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
            all.into_iter()
                .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
                .collect()
        };
        for _ in 0..secs * 5 {
            let found = matching(self.emails().await);
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "not {n} emails {subject:?} within {secs} s; the sink has {:?}",
            self.emails().await
        );
    }

    /// Waits (at most `secs`) for an email whose subject contains `subject`.
    pub async fn wait_for(&self, subject: &str, secs: u64) -> serde_json::Value {
        self.wait_for_n(subject, 1, secs).await.remove(0)
    }
}
