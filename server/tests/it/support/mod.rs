//! Test helpers in the style of zero2prod's `spawn_app`: every test gets its own portal on a port the
//! system chose (bound before anything starts, so no two tests can race for one), a fresh database
//! (SQLite file or PostgreSQL database), and its own real OpenID provider. The portal runs in the test
//! process, built by `server::startup` like `fountain serve` builds it; tests of signals and of what
//! the process logs start the real binary instead, handing it the bound socket (socket activation).

pub mod browser;
pub mod calls;
pub mod copying;
pub mod flow;
pub mod idp;
pub mod ldif;
pub mod proxy;
pub mod refused;
pub mod servers;
pub mod smtp;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::redirect::Policy;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::process::{Child, Command};

pub use idp::Idp;

pub const CLIENT_SECRET: &str = "test-client-secret";

/// What the never-delete rule forbids on the destination's wire.
pub fn assert_never_deletes(transcript: &str) {
    let upper = transcript.to_uppercase();
    for forbidden in [
        "EXPUNGE",
        "DELETE ",
        "\\DELETED",
        "UID EXPUNGE",
        "MOVE ",
        " CLOSE",
    ] {
        assert!(
            !upper.contains(forbidden),
            "destination was sent {forbidden}: {transcript}"
        );
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub db_url: String,
    /// The provider runs as long as the app does.
    _idp: Idp,
    pub dir: tempfile::TempDir,
    /// The environment overrides the portal was started with (workers get the same).
    pub env: Vec<(String, String)>,
    portal: Running,
}

/// Where the portal runs.
enum Running {
    /// On a thread of its own with its own runtime, as `fountain serve` runs it: stopped (and its
    /// database connections closed) when the app is dropped, whatever the test's runtime does.
    InProcess(actix_web::dev::ServerHandle),
    Process(Child),
    /// Not started yet.
    Preparing,
}

/// A port nobody listens on right now, for servers that must be told their port before they start
/// (Dovecot, the SMTP sink, chromedriver); the portal gets a socket bound for it instead.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Where `.ci/build-site` (or `cargo leptos build`) put the site (overridable for unusual layouts).
pub fn site_root() -> PathBuf {
    std::env::var_os("LEPTOS_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/site"))
}

/// PostgreSQL server used by the scale-out tests (the setup script makes sure one answers).
pub fn postgres_admin_url() -> String {
    std::env::var("FOUNTAIN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

/// A new, empty database of that kind; its URL (a SQLite file lives in `dir`).
pub async fn fresh_database(backend: Backend, dir: &tempfile::TempDir) -> String {
    match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("fountain.db").display()
        ),
        Backend::Postgres => {
            let name = format!("fountain_test_{}", uuid_like());
            let admin = Database::connect(postgres_admin_url())
                .await
                .expect("PostgreSQL must answer (run .ci/setup)");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let base = postgres_admin_url();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            format!("{prefix}/{name}")
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
        .collect()
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// The portal in this process, with extra environment overrides of its configuration.
    pub async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
        let (listener, mut app) = Self::prepare(backend, env).await;
        let config = server::config::Config::load(Some(&app.config_path()), app.env.clone())
            .expect("the test configuration loads");
        let (built, handle) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match server::startup::Application::build(config, listener).await {
                    Ok(portal) => {
                        let _ = built.send(Ok(portal.handle()));
                        if let Err(e) = portal.run_until_stopped().await {
                            eprintln!("the portal stopped on an error: {e:#}");
                        }
                    }
                    Err(e) => {
                        let _ = built.send(Err(e));
                    }
                }
            })
        });
        let handle = handle
            .await
            .expect("the portal thread answers")
            .expect("the portal builds");
        app.portal = Running::InProcess(handle);
        app.wait_healthy().await;
        app
    }

    /// The `fountain serve` binary, for tests of signals and of its log (`fountain.log`). It gets the
    /// socket the test bound as systemd would pass it: descriptor 3, `LISTEN_FDS=1`, `LISTEN_PID`.
    pub async fn spawn_process_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
        use std::os::fd::AsRawFd;
        let (listener, mut app) = Self::prepare(backend, env).await;
        let log = std::fs::File::create(app.dir.path().join("fountain.log")).unwrap();
        let fd = listener.as_raw_fd();
        let mut command = Command::new("sh");
        // `$$` is the shell's pid, which `exec` hands to fountain.
        command
            .arg("-c")
            .arg(r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@""#)
            .arg(env!("CARGO_BIN_EXE_fountain"))
            .arg("--config")
            .arg(app.config_path())
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        // SAFETY: dup2 and fcntl are async-signal-safe; between fork and exec they only put the
        // listening socket at descriptor 3 without close-on-exec, as the socket-activation protocol wants.
        unsafe {
            command.pre_exec(move || {
                let done = if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, 3)
                };
                match done {
                    -1 => Err(std::io::Error::last_os_error()),
                    _ => Ok(()),
                }
            });
        }
        let child = command.spawn().expect("start fountain");
        drop(listener);
        app.portal = Running::Process(child);
        app.wait_healthy().await;
        app
    }

    /// A bound socket, a provider, a database and the configuration file: all but the portal.
    async fn prepare(backend: Backend, env: &[(&str, &str)]) -> (std::net::TcpListener, TestApp) {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let address = format!("http://127.0.0.1:{port}");
        let idp = Idp::start(&format!("{address}/auth/callback")).await;
        let db_url = fresh_database(backend, &dir).await;
        std::fs::write(
            dir.path().join("fountain.toml"),
            format!(
                "[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{address}\"\nsite_root = \"{site}\"\n\n\
                 [database]\nurl = \"{db_url}\"\n\n\
                 [auth]\nissuer = \"{issuer}\"\nclient_id = \"fountain\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
                 scopes = [\"email\", \"profile\", \"groups\"]\nallowed_domains = [\"example.org\"]\n\n\
                 [auth.roles]\nuser_group = \"msd\"\nhelpdesk_group = \"helpdesk\"\nit_group = \"msd-it\"\n",
                site = site_root().display(),
                issuer = idp.issuer,
            ),
        )
        .unwrap();
        let app = TestApp {
            address,
            db_url,
            _idp: idp,
            dir,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            portal: Running::Preparing,
        };
        (listener, app)
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("fountain.toml")
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{}/healthz", self.address)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("fountain did not become healthy; its log:\n{}", self.log());
    }

    /// Sends SIGTERM and waits (at most 35 s) for the process to exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let Running::Process(child) = &mut self.portal else {
            panic!("only a portal started with spawn_process_with can be sent a signal")
        };
        let pid = child.id().expect("still running");
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(35), child.wait())
            .await
            .expect("did not stop")
            .unwrap()
    }

    /// A `fountain worker` process with the portal's configuration, logging to `worker-N.log`.
    pub fn spawn_worker(&self, n: u32) -> Child {
        self.spawn_worker_with(n, &[])
    }

    /// [`TestApp::spawn_worker`] with `env` over the portal's configuration.
    pub fn spawn_worker_with(&self, n: u32, env: &[(&str, &str)]) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("worker-{n}.log"))).unwrap();
        Command::new(env!("CARGO_BIN_EXE_fountain"))
            .arg("--config")
            .arg(self.config_path())
            .arg("worker")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start fountain worker")
    }

    /// `fountain check ARGS` with the portal's configuration and `env` over it: whether it passed,
    /// and what it printed.
    pub fn check(&self, env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fountain"))
            .arg("--config")
            .arg(self.config_path())
            .arg("check")
            .args(args)
            .env_remove("DATABASE_URL")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    /// What the portal process logged (a portal in this process logs to the test's output).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("fountain.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A browser-like client: keeps cookies, follows no redirects by itself.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.db_url).await.unwrap()
    }

    /// Starts a sign-in; returns the provider's login form URL (after the authorize redirect chain).
    pub async fn begin_sign_in(&self, client: &reqwest::Client, return_to: Option<&str>) -> String {
        let start = match return_to {
            Some(p) => self.url(&format!("/auth/login?return_to={}", urlencode(p))),
            None => self.url("/auth/login"),
        };
        let (url, resp) = follow(client, client.get(start).send().await.unwrap()).await;
        assert_eq!(
            resp.status(),
            200,
            "expected the provider's login form at {url}"
        );
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Organisation sign-in"),
            "not the login form: {body}"
        );
        url
    }

    /// Submits the provider's login form; returns the redirect to Fountain's callback (not followed).
    pub async fn submit_login(
        &self,
        client: &reqwest::Client,
        form_url: &str,
        user: &str,
        password: &str,
    ) -> reqwest::Response {
        let resp = client
            .post(format!("{form_url}/login"))
            .form(&[("login", user), ("password", password)])
            .send()
            .await
            .unwrap();
        // Through the provider's own resume redirects, stopping at the first URL on Fountain.
        let mut resp = resp;
        loop {
            let Some(next) = location(&resp) else {
                return resp;
            };
            if next.starts_with(&self.address) {
                return resp;
            }
            resp = client.get(next).send().await.unwrap();
        }
    }

    /// A new browser through the whole sign-in; returns it and Fountain's answer at the callback.
    pub async fn complete_sign_in(
        &self,
        return_to: Option<&str>,
        user: &str,
        password: &str,
    ) -> (reqwest::Client, reqwest::Response) {
        let client = self.client();
        let form = self.begin_sign_in(&client, return_to).await;
        let to_callback = self.submit_login(&client, &form, user, password).await;
        let callback = location(&to_callback).expect("redirect to the callback");
        let resp = client.get(callback).send().await.unwrap();
        (client, resp)
    }

    /// Full sign-in; returns the client (with its session cookie) and the page Fountain lands on.
    pub async fn sign_in(&self, user: &str, password: &str) -> (reqwest::Client, String) {
        let (client, resp) = self.complete_sign_in(None, user, password).await;
        assert_eq!(
            resp.status(),
            302,
            "callback failed: {}",
            resp.text().await.unwrap()
        );
        let landing = location(&resp).unwrap();
        (client, landing)
    }

    /// Calls a server function the way a browser's fetch does.
    pub async fn server_fn(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{name}")))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &mut self.portal {
            Running::InProcess(handle) => {
                // The stop starts at once; the portal's thread finishes it on its own.
                drop(handle.stop(false));
            }
            Running::Process(child) => {
                let _ = child.start_kill();
            }
            Running::Preparing => {}
        }
    }
}

pub fn location(resp: &reqwest::Response) -> Option<String> {
    let loc = resp.headers().get("location")?.to_str().ok()?;
    Some(resp.url().join(loc).ok()?.to_string())
}

/// Follows redirects by hand (so cookies of every hop are kept); returns the final URL and response.
pub async fn follow(
    client: &reqwest::Client,
    mut resp: reqwest::Response,
) -> (String, reqwest::Response) {
    for _ in 0..10 {
        match location(&resp) {
            Some(next) if resp.status().is_redirection() => {
                resp = client.get(next).send().await.unwrap()
            }
            _ => break,
        }
    }
    (resp.url().to_string(), resp)
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
