//! In a real headless Chromium (driven over WebDriver): sign in through the provider's login form,
//! land on "My migration", see your name, and prove the page hydrated (a control that only works with
//! the wasm bundle loaded).

use std::time::{Duration, Instant};

use crate::support::browser::chromium;
use crate::support::{Backend, TestApp};
use fantoccini::Locator;

#[tokio::test]
async fn sign_in_in_a_browser_and_the_page_hydrates() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let driver = chromium().await;
    let c = &driver.client;

    // A signed-out visit to My migration goes to the provider's login form.
    c.goto(&app.url("/me")).await.unwrap();
    let login = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("login"))
        .await
        .unwrap();
    login.send_keys("alice").await.unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("alice-pass")
        .await
        .unwrap();
    c.find(Locator::Id("submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Back on Fountain, signed in.
    let name = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("viewer-name"))
        .await
        .unwrap();
    assert_eq!(name.text().await.unwrap(), "Alice Archer");
    assert_eq!(c.current_url().await.unwrap().as_str(), app.url("/me"));
    assert!(c
        .find_all(Locator::Id("how-it-works-steps"))
        .await
        .unwrap()
        .is_empty());

    // The button does nothing until the wasm bundle has hydrated the page; keep trying until it does.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        c.find(Locator::Id("how-it-works"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        if let Ok(steps) = c
            .wait()
            .at_most(Duration::from_millis(800))
            .for_element(Locator::Id("how-it-works-steps"))
            .await
        {
            assert!(steps.text().await.unwrap().contains("Scan"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the page never hydrated (is the wasm bundle built and served?)"
        );
    }
    let button = c.find(Locator::Id("how-it-works")).await.unwrap();
    assert_eq!(
        button.attr("aria-expanded").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(button.text().await.unwrap(), "Hide how it works");

    // Sign out from the header.
    c.find(Locator::Css("form[action='/auth/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(&app.url("/")).unwrap())
        .await
        .unwrap();
    let c = driver.client;
    c.goto(&app.url("/me")).await.unwrap();
    // Signed out at Fountain; the provider still knows Alice (single sign-on), so she comes straight back.
    let name = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("viewer-name"))
        .await
        .unwrap();
    assert_eq!(name.text().await.unwrap(), "Alice Archer");
    c.close().await.unwrap();
}
