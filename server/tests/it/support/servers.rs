//! Real IMAP servers from the repo's rig scripts, stopped when dropped.
use std::process::Command;

use super::{free_port, repo_root};

/// An IMAP server of the rig's on this machine, with a timeout generous enough for a loaded CI box.
pub fn local_endpoint(port: u16) -> server::engine::imap::Endpoint {
    server::engine::imap::Endpoint {
        timeout: std::time::Duration::from_secs(30),
        ..server::engine::imap::Endpoint::new("127.0.0.1", port)
    }
}

/// The test users every rig server knows (old-server passwords).
pub const USERS: &str = "alice:alice-old\nbob:bob-old\n";

fn private_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    dir
}

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Dovecot {
    pub fn start(layout: &str, master: Option<(&str, &str)>) -> Dovecot {
        Self::start_with(layout, master, &[])
    }

    /// With extra environment for the rig script (e.g. `DOVECOT_MAX_MAIL_SIZE`).
    pub fn start_with(layout: &str, master: Option<(&str, &str)>, env: &[(&str, &str)]) -> Dovecot {
        Self::start_for(USERS, layout, master, env)
    }

    /// With its own users (`name:password` lines), e.g. logins that are email addresses.
    pub fn start_for(
        user_lines: &str,
        layout: &str,
        master: Option<(&str, &str)>,
        env: &[(&str, &str)],
    ) -> Dovecot {
        let dir = private_dir();
        let users = dir.path().join("users.txt");
        std::fs::write(&users, user_lines).unwrap();
        let port = free_port();
        let mut cmd = Command::new(repo_root().join("server/rig/dovecot.sh"));
        cmd.arg("start")
            .arg(layout)
            .arg(dir.path().join("dovecot"))
            .arg(port.to_string())
            .arg(&users);
        if let Some((name, pw)) = master {
            cmd.args([name, pw]);
        }
        cmd.envs(env.iter().copied());
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Dovecot { dir, port }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("server/rig/dovecot.sh"))
            .arg("stop")
            .arg(self.dir.path().join("dovecot"))
            .status();
    }
}

pub struct Cyrus {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Cyrus {
    pub fn start() -> Cyrus {
        Self::start_for(USERS, false)
    }

    /// With its own users (`name:password` lines); `slash`: "/" as the separator, so user names may
    /// hold dots (logins made from email addresses).
    pub fn start_for(user_lines: &str, slash: bool) -> Cyrus {
        let dir = private_dir();
        let users = dir.path().join("users.txt");
        std::fs::write(&users, user_lines).unwrap();
        let port = free_port();
        let out = Command::new(repo_root().join("server/rig/cyrus.sh"))
            .env("CYRUS_UNIXHIERARCHYSEP", if slash { "yes" } else { "no" })
            .arg("start")
            .arg(dir.path().join("cyrus"))
            .arg(port.to_string())
            .arg(&users)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Cyrus { dir, port }
    }
}

impl Drop for Cyrus {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("server/rig/cyrus.sh"))
            .arg("stop")
            .arg(self.dir.path().join("cyrus"))
            .status();
    }
}

impl Dovecot {
    /// With TLS: STARTTLS on `port`, implicit TLS on the returned `imaps` port, certificate signed by
    /// the CA in [`Dovecot::ca_file`].
    pub fn start_tls(layout: &str) -> (Dovecot, u16) {
        let imaps = free_port();
        let server = Self::start_with(layout, None, &[("DOVECOT_IMAPS_PORT", &imaps.to_string())]);
        (server, imaps)
    }

    /// [`Dovecot::start_tls`] with a self-signed certificate made the usual way (`openssl req -x509`,
    /// CA:TRUE); [`Dovecot::ca_file`] is that certificate.
    pub fn start_self_signed(layout: &str) -> (Dovecot, u16) {
        let imaps = free_port();
        let server = Self::start_with(
            layout,
            None,
            &[
                ("DOVECOT_IMAPS_PORT", &imaps.to_string()),
                ("DOVECOT_SELF_SIGNED", "1"),
            ],
        );
        (server, imaps)
    }

    pub fn ca_file(&self) -> std::path::PathBuf {
        self.dir.path().join("dovecot/tls/ca.pem")
    }

    pub fn conf(&self) -> std::path::PathBuf {
        self.dir.path().join("dovecot/dovecot.conf")
    }

    /// Fills a mailbox with the rig's seeded sample (folders, sizes, dates), as the demo does.
    pub fn seed_sample(&self, user: &str, messages: u32, seed: u32) {
        self.seed_sample_with(user, messages, seed, &[]);
    }

    /// [`Dovecot::seed_sample`] and one text message of `big_mb` MB in INBOX.
    pub fn seed_sample_big(&self, user: &str, messages: u32, seed: u32, big_mb: f64) {
        self.seed_sample_with(user, messages, seed, &["--big-mb", &big_mb.to_string()]);
    }

    fn seed_sample_with(&self, user: &str, messages: u32, seed: u32, more: &[&str]) {
        let out = Command::new("python3")
            .arg(repo_root().join("server/rig/sample-mail.py"))
            .arg(self.conf())
            .arg(user)
            .args([
                "--messages",
                &messages.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .args(more)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs `doveadm` against this server (bypassing IMAP), which must succeed; returns its output.
    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.conf())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "doveadm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// How many messages `user` has in `mailbox`, by doveadm.
    pub fn messages_in(&self, user: &str, mailbox: &str) -> u64 {
        let status = self.doveadm(&["mailbox", "status", "-u", user, "messages", mailbox]);
        status
            .trim()
            .rsplit('=')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("doveadm said {status:?}"))
    }

    /// Stores a message exactly as given, with doveadm (bypassing IMAP).
    pub fn save(&self, user: &str, mailbox: &str, message: &[u8]) {
        use std::io::Write;
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(self.conf())
            .args(["mailbox", "create", "-u", user, mailbox])
            .output();
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(self.conf())
            .args(["save", "-u", user, "-m", mailbox])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(message).unwrap();
        assert!(child.wait().unwrap().success());
    }
}
