//! The helpdesk at work in a real headless Chromium: the old server hangs (stalled through the fault
//! proxy) under alice's copy; hana sees it stuck in the triage queue, then stopped with its class and
//! next step; once the server recovers she opens the request, retries it with a reason, watches it
//! finish, and finds her action with its reason in the timeline. The destination is then checked
//! over IMAP, message by message.
use fantoccini::Locator;

use crate::support::browser::{chromium, css, shot, sign_in_as, text_until};
use crate::support::flow::{assert_same_mail, portal, Portal};
use crate::support::proxy::{Fault, FaultyProxy};
use crate::support::servers::Dovecot;

#[tokio::test]
async fn a_helpdesk_person_finds_a_stuck_request_retries_it_with_a_reason_and_sees_it_finish() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 40, 11);
    // Sound at first (connect, scan), hung during the copy: replies stop after 2 kB.
    let proxy = FaultyProxy::start_with(old.port, Fault::Stall, 2_000, 0).await;
    let Portal {
        new,
        app,
        sink: _sink,
    } = portal(
        proxy.port,
        &[
            ("FOUNTAIN__MIGRATION__STUCK_AFTER_MINUTES", "0.05"),
            ("FOUNTAIN__MIGRATION__RECONNECTS_PER_RUN", "1"),
        ],
    )
    .await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let scan = app
        .scanned(&alice)
        .await
        .scan
        .unwrap()
        .result
        .expect("scanned");
    let all: Vec<String> = scan.folders.iter().map(|f| f.name.clone()).collect();
    proxy.fail_from_now();
    let (status, body) = app.start(&alice, &all).await;
    assert_eq!(status, 200, "{body}");

    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/helpdesk", ("hana", "hana-pass"), "#helpdesk").await;
    // The queue follows by itself: stuck (nothing copied) while the old server hangs…
    let row = "#triage tr[data-bucket='Stuck']";
    let stuck = text_until(c, row, 60, |t| t.contains("Alice Archer")).await;
    assert!(stuck.contains("Nothing copied for a while"), "{stuck}");
    shot(c, "helpdesk-1-stuck").await;
    // …then stopped, with its class and the next step, once the copy gives up.
    let row = "#triage tr[data-bucket='Failed']";
    let failed = text_until(c, row, 90, |t| t.contains("Alice Archer")).await;
    // One page of one: the pager says so and offers neither way.
    let pager = css(c, "#triage-page").await.text().await.unwrap();
    assert_eq!(pager, "1–1 of 1 · page 1 of 1");
    for button in ["#triage-prev", "#triage-next"] {
        let b = css(c, button).await;
        assert!(b.attr("disabled").await.unwrap().is_some(), "{button}");
        assert!(
            ["Previous", "Next"].contains(&b.text().await.unwrap().as_str()),
            "{button}"
        );
    }
    assert!(
        failed.contains("Old server unreachable or throttling"),
        "{failed}"
    );
    shot(c, "helpdesk-2-failed").await;

    // The old server recovers; hana opens the request and retries it, saying why.
    proxy.heal();
    css(c, &format!("{row} a")).await.click().await.unwrap();
    css(c, "#request-detail[data-hydrated='true']").await;
    let class = css(c, "#request-class").await.text().await.unwrap();
    assert!(class.contains("Old server unreachable"), "{class}");
    let retry = css(c, "#act-action option[value='Retry']").await;
    retry.click().await.unwrap();
    let reason = "The old server was restarted by IT; trying again";
    css(c, "#act-reason").await.send_keys(reason).await.unwrap();
    shot(c, "helpdesk-3-retry").await;
    css(c, "#act-submit").await.click().await.unwrap();
    // The page follows the copy to its end.
    let done = "#request-state[data-state='done']";
    c.wait()
        .at_most(std::time::Duration::from_secs(120))
        .for_element(Locator::Css(done))
        .await
        .unwrap_or_else(|e| panic!("the request page never showed done: {e}\n{}", app.log()));
    shot(c, "helpdesk-4-done").await;
    // What the run said to the servers: appends on the new one, none on the old.
    let row = "#protocol-commands tr[data-command='APPEND']";
    let on_new = text_until(c, &format!("{row} td:nth-child(3)"), 30, |t| !t.is_empty()).await;
    assert!(on_new.parse::<u64>().unwrap() >= 1, "{on_new}");
    let on_old = css(c, &format!("{row} td:nth-child(2)"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(on_old, "0");
    c.execute(
        "document.getElementById('history').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(c, "helpdesk-5-timeline").await;
    // Her action, with who and why, is in the timeline.
    let staff = css(c, "#timeline tr[data-who='staff']")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        staff.contains("hana.holt@example.org")
            && staff.contains("failed → queued")
            && staff.contains(reason),
        "{staff}"
    );
    let v = app.until_ended(&alice, 10).await;
    assert_same_mail(old.port, new.port, &v.report.unwrap()).await;
}
