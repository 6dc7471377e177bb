//! The whole self-service flow in a real headless Chromium: sign in through the provider, connect the
//! old account (a wrong password first), scan, untick a folder, start, watch it copy, reach done;
//! then the destination is checked over IMAP message by message, and the done email is in the sink.
//! Once from an old Dovecot (Cyrus-like layout) and once from a real Cyrus.

use std::time::Duration;

use crate::support::browser::{chromium, css, shot, sign_in_as, text_until};
use crate::support::copying::messages;
use crate::support::flow::{alice_new, alice_old, portal, Portal};
use crate::support::servers::{Cyrus, Dovecot};
use crate::support::TestApp;
use fantoccini::{Client, Locator};
use server::engine::imap::{Destination, Endpoint};

/// Signs alice in through the provider's form and waits for the page to be live.
async fn sign_in(c: &Client, app: &TestApp) {
    sign_in_as(c, app, "/me", ("alice", "alice-pass"), "#my-migration").await;
}

async fn connect(c: &Client, password: &str) {
    let login = css(c, "#connect-login").await;
    login.clear().await.unwrap();
    login.send_keys("alice").await.unwrap();
    let pw = css(c, "#connect-password").await;
    pw.clear().await.unwrap();
    pw.send_keys(password).await.unwrap();
    css(c, "#connect-submit").await.click().await.unwrap();
}

/// Scan, untick `leave_out`, start, see it copy, reach done. Returns the folders the picker listed.
async fn scan_pick_and_copy(c: &Client, leave_out: &str) -> Vec<String> {
    css(c, "#scan-start").await.click().await.unwrap();
    css(c, "#folder-picker").await;
    let mut listed = Vec::new();
    for input in c.find_all(Locator::Css("input.folder-pick")).await.unwrap() {
        listed.push(input.attr("data-folder").await.unwrap().unwrap());
    }
    let before = css(c, "#selected-total").await.text().await.unwrap();
    css(c, &format!("input[data-folder='{leave_out}']"))
        .await
        .click()
        .await
        .unwrap();
    text_until(c, "#selected-total", 10, |t| t != before).await;
    shot(c, "3-pick").await;
    css(c, "#start-migration").await.click().await.unwrap();
    // The request takes over the page: waiting or copying, with live progress, then done.
    css(c, "#request-state").await;
    if c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#progress-total"))
        .await
        .is_ok()
    {
        shot(c, "4-progress").await;
    }
    let state = text_until(c, "#request-state", 120, |t| {
        t == "Done" || t == "Needs attention" || t == "Stopped"
    })
    .await;
    assert_eq!(state, "Done");
    css(c, "#report-table").await;
    shot(c, "5-done").await;
    let instructions = css(c, "#instructions").await.text().await.unwrap();
    assert!(
        instructions.contains("(IMAP) server to 127.0.0.1"),
        "{instructions}"
    );
    listed
}

async fn assert_copied_except(
    portal: &Portal,
    old_port: u16,
    listed: &[String],
    left_out: &str,
    land: impl Fn(&str) -> String,
) {
    for folder in listed {
        let to = land(folder);
        if folder == left_out {
            continue;
        }
        assert_eq!(
            messages(old_port, &alice_old(), folder).await,
            messages(portal.new.port, &alice_new(), &to).await,
            "{folder} -> {to}"
        );
    }
    let list = portal
        .new
        .doveadm(&["mailbox", "list", "-u", "alice.archer@example.org"]);
    assert!(
        !list.lines().any(|l| l == land(left_out)),
        "{left_out} was left out but copied: {list}"
    );
}

#[tokio::test]
async fn from_an_old_dovecot_in_the_browser() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 150, 3);
    // Slow enough that the live progress is on screen for a while.
    let portal = portal(old.port, &[("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "0.3")]).await;
    let driver = chromium().await;
    let c = &driver.client;
    sign_in(c, &portal.app).await;

    shot(c, "1-connect").await;
    connect(c, "wrong-password").await;
    text_until(c, "#connect-error", 20, |t| t.contains("did not accept")).await;
    shot(c, "2-wrong-password").await;
    connect(c, "alice-old").await;

    css(c, "#scan-start").await;
    let listed = {
        // The progress view shows up while copying.
        let copy = scan_pick_and_copy(c, "INBOX.Receipts");
        let watch = async {
            css(c, "#progress-total").await;
        };
        let (listed, ()) = tokio::join!(copy, watch);
        listed
    };
    assert!(
        listed.contains(&"INBOX.Projects.Fountain".to_string()),
        "{listed:?}"
    );
    let land = |f: &str| match f {
        "INBOX" => "INBOX".to_string(),
        other => other.trim_start_matches("INBOX.").replace('.', "/"),
    };
    // Trash and Junk were unticked by default; they land in the new server's own (empty) folders.
    let left_by_default = ["INBOX.Trash", "INBOX.Junk"];
    let copied: Vec<String> = listed
        .iter()
        .filter(|f| !left_by_default.contains(&f.as_str()))
        .cloned()
        .collect();
    assert_copied_except(&portal, old.port, &copied, "INBOX.Receipts", land).await;
    assert_eq!(
        portal.new.messages_in("alice.archer@example.org", "Trash"),
        0
    );

    let email = portal
        .sink
        .wait_for("Your mailbox has been copied", 30)
        .await;
    assert_eq!(email["to"][0]["address"], "alice.archer@example.org");
    assert!(!email["html"].as_str().unwrap().contains("{{"));
}

#[tokio::test]
async fn from_cyrus_in_the_browser() {
    let cyrus = Cyrus::start();
    let endpoint = Endpoint::new("127.0.0.1", cyrus.port);
    let mut seed = Destination::connect(&endpoint, &alice_old(), Default::default())
        .await
        .unwrap();
    for (folder, n) in [("INBOX", 5), ("INBOX.Projects", 3), ("INBOX.Old stuff", 2)] {
        if folder != "INBOX" {
            seed.create(folder).await.unwrap();
        }
        for i in 0..n {
            let body = format!("Message-ID: <{i}.{folder}@cyrus.test>\r\nSubject: {folder} {i}\r\n\r\nbody {i}\r\n");
            seed.append(
                folder,
                &["\\Seen".to_string()],
                Some("01-Jan-2020 10:00:00 +0000"),
                body.as_bytes(),
            )
            .await
            .unwrap();
        }
    }
    seed.logout().await;
    let portal = portal(cyrus.port, &[]).await;
    let driver = chromium().await;
    let c = &driver.client;
    sign_in(c, &portal.app).await;
    connect(c, "alice-old").await;
    let listed = scan_pick_and_copy(c, "INBOX.Old stuff").await;
    for folder in ["INBOX", "INBOX.Projects", "INBOX.Old stuff"] {
        assert!(
            listed.iter().any(|f| f == folder),
            "{folder} not listed: {listed:?}"
        );
    }
    let land = |f: &str| match f {
        "INBOX" => "INBOX".to_string(),
        other => other.trim_start_matches("INBOX.").to_string(),
    };
    assert_copied_except(&portal, cyrus.port, &listed, "INBOX.Old stuff", land).await;
    portal
        .sink
        .wait_for("Your mailbox has been copied", 30)
        .await;
}
