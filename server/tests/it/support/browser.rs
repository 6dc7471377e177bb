//! A real headless Chromium, driven over WebDriver (chromedriver), for the end-to-end tests.
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::Command;

use fantoccini::{Client, Locator};

use super::{free_port, TestApp};

pub struct Driver {
    _process: tokio::process::Child,
    _profile: tempfile::TempDir,
    pub client: fantoccini::Client,
}

/// A headless Chromium through chromedriver, with a profile of its own.
pub async fn chromium() -> Driver {
    let port = free_port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver must be installed (run .ci/setup)");
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                return Driver {
                    _process: process,
                    _profile: profile,
                    client,
                }
            }
            Err(e) if Instant::now() > deadline => {
                panic!("cannot start Chromium through chromedriver: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

pub const WAIT: Duration = Duration::from_secs(30);

pub async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector} did not appear: {e}"))
}

/// With `FOUNTAIN_SCREENSHOTS=DIR`, saves the page as `DIR/NAME.png` (to look at the flow by eye).
pub async fn shot(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("FOUNTAIN_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Opens `path` signed out, signs in as `who` (login, password) through the provider's form, and waits
/// until `live` (an element with `data-hydrated`) says the page runs in the browser.
pub async fn sign_in_as(c: &Client, app: &TestApp, path: &str, who: (&str, &str), live: &str) {
    c.goto(&app.url(path)).await.unwrap();
    css(c, "#login").await.send_keys(who.0).await.unwrap();
    css(c, "#password").await.send_keys(who.1).await.unwrap();
    css(c, "#submit").await.click().await.unwrap();
    css(c, &format!("{live}[data-hydrated='true']")).await;
}

/// Scrolls the element with `id` to the top of the window (for the screenshots).
pub async fn scroll_to(c: &fantoccini::Client, id: &str) {
    c.execute(
        "document.getElementById(arguments[0]).scrollIntoView()",
        vec![serde_json::json!(id)],
    )
    .await
    .unwrap();
}

/// Waits until `selector`'s text satisfies `ok` (at most `secs`); returns the text.
pub async fn text_until(
    c: &Client,
    selector: &str,
    secs: u64,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(e) = c.find(Locator::Css(selector)).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{selector} never became as expected"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
