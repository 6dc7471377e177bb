//! Runs the repo's real OpenID provider (`server/rig/idp.mjs`, oidc-provider) for one test.
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Idp {
    pub issuer: String,
    child: Child,
}

impl Idp {
    pub async fn start(redirect_uri: &str) -> Idp {
        let rig = super::repo_root().join("server/rig");
        let mut child = Command::new("node")
            .arg(rig.join("idp.mjs"))
            .args(["--users", rig.join("users.json").to_str().unwrap()])
            .args([
                "--client-id",
                "fountain",
                "--client-secret",
                super::CLIENT_SECRET,
            ])
            .args(["--redirect-uri", redirect_uri])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node must be installed (run .ci/setup)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("the IdP did not start within 30 s")
            .unwrap()
            .expect("the IdP exited before it was ready");
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
        Idp {
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            child,
        }
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
