//! Division IT in a real headless Chromium: preview an email with a person's data (text and HTML
//! side by side) and send it to themselves as a test, which reaches the SMTP sink; look at the servers
//! and change a limit.
use crate::support::browser::{chromium, css, shot, sign_in_as, text_until};
use crate::support::flow::{portal, Portal};
use crate::support::servers::Dovecot;

#[tokio::test]
async fn it_previews_an_email_in_the_browser_and_test_sends_it() {
    let old = Dovecot::start("old", None);
    let Portal {
        new: _new,
        sink,
        app,
    } = portal(old.port, &[]).await;
    // alice has signed in once: her data is there to preview with.
    app.sign_in("alice", "alice-pass").await;
    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/it", ("ivan", "ivan-pass"), "#it").await;
    css(c, "#preview-kind option[value='NeedsAttention']")
        .await
        .click()
        .await
        .unwrap();
    css(c, "#preview-person")
        .await
        .send_keys("alice.archer@example.org")
        .await
        .unwrap();
    css(c, "#preview-submit").await.click().await.unwrap();
    let subject = text_until(c, "#preview-subject", 30, |t| !t.is_empty()).await;
    assert_eq!(subject, "Your mailbox move needs attention");
    let text = css(c, "#preview-text").await.text().await.unwrap();
    assert!(
        text.contains("Hello Alice Archer") && text.contains("(example)"),
        "{text}"
    );
    let html = css(c, "#preview-html")
        .await
        .attr("srcdoc")
        .await
        .unwrap()
        .unwrap();
    assert!(
        html.contains("Alice Archer") && html.contains("<a href="),
        "{html}"
    );
    shot(c, "it-1-preview").await;
    css(c, "#test-submit").await.click().await.unwrap();
    let sent = text_until(c, "#test-sent", 30, |t| !t.is_empty()).await;
    assert!(sent.contains("ivan.ito@example.org"), "{sent}");
    let email = sink
        .wait_for("[Test] Your mailbox move needs attention", 30)
        .await;
    assert_eq!(email["to"][0]["address"], "ivan.ito@example.org");
    assert!(email["text"]
        .as_str()
        .unwrap()
        .contains("Hello Alice Archer"));
}

/// IT opens the servers, sees how the old one did during a copy, and lowers its connection limit
/// with a reason: in force at once and in the servers' log.
#[tokio::test]
async fn it_sees_the_servers_live_and_changes_a_limit_in_the_browser() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 20, 3);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(old.port, &[]).await;
    // A copy has run in this portal's workers: the old server's budget has figures.
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.until_ended(&alice, 120).await.state,
        app::dto::RequestState::Done
    );

    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/it", ("ivan", "ivan-pass"), "#it").await;
    let latency = css(c, "#server-old-latency").await.text().await.unwrap();
    assert!(latency.ends_with(" ms"), "{latency}");
    let points = css(c, "#server-old-history polyline")
        .await
        .attr("points")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(!points.is_empty(), "the adaptive limit's history is drawn");
    assert_eq!(css(c, "#server-old-max").await.text().await.unwrap(), "8");
    assert!(css(c, "#server-old-changes")
        .await
        .text()
        .await
        .unwrap()
        .contains("Nobody changed"));

    css(c, "#limits-old-open").await.click().await.unwrap();
    let connections = css(c, "#limits-old-connections").await;
    connections.clear().await.unwrap();
    connections.send_keys("2").await.unwrap();
    css(c, "#limits-old-reason")
        .await
        .send_keys("The old server is slow at month end")
        .await
        .unwrap();
    shot(c, "it-2-limits").await;
    css(c, "#limits-old-save").await.click().await.unwrap();
    text_until(c, "#limits-outcome", 30, |t| t.starts_with("Saved")).await;
    text_until(c, "#server-old-max", 30, |t| t == "2").await;
    let log = text_until(c, "#server-old-changes", 30, |t| t.contains("month end")).await;
    assert!(
        log.contains("ivan.ito@example.org") && log.contains("2 connections"),
        "{log}"
    );
    // The new server is untouched.
    assert_eq!(css(c, "#server-new-max").await.text().await.unwrap(), "8");
}
