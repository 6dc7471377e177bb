//! Division IT in a real headless Chromium: preview an email with a person's data (text and HTML
//! side by side) and send it to themselves as a test, which reaches the SMTP sink.
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
