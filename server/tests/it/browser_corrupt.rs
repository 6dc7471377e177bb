//! Division IT works through a corrupt mailbox in a real headless Chromium: a strict Cyrus refused two
//! of alice's messages. ivan finds the request in the IT area, opens it, downloads a message from the
//! page (the same bytes as on the old server), looks at a repair's diff and applies it, accepts the
//! other as not migrated, and watches the request reach done; alice's email says what stayed behind.
use base64::Engine;

use crate::support::browser::{chromium, css, shot, sign_in_as, text_until};
use crate::support::flow::Portal;
use crate::support::refused::{refused_mailbox, Refused, BAD_HEADER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_repairs_and_accepts_refused_messages_in_the_browser() {
    let Refused {
        old: _old,
        cyrus: _cyrus,
        portal: Portal { sink, app, new: _ },
        alice: _alice,
        request,
    } = refused_mailbox().await;
    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/it", ("ivan", "ivan-pass"), "#it").await;
    let row = text_until(c, &format!("#corrupt-{request}"), 30, |t| {
        t.contains("2 of 2")
    })
    .await;
    assert!(row.contains("Alice Archer"), "{row}");
    // The queue's own decision names how many messages it would take, and its pager where we are.
    let whole = text_until(c, "#queue-decision-start", 30, |t| t.contains("2 waiting")).await;
    assert_eq!(whole, "For all 2 waiting message(s)…");
    let at = text_until(c, "#corrupt-page", 10, |t| !t.is_empty()).await;
    assert_eq!(at, "1–1 of 1 · page 1 of 1");
    shot(c, "corrupt-1-queue").await;
    css(c, &format!("#corrupt-{request} a"))
        .await
        .click()
        .await
        .unwrap();
    css(c, "#request-detail[data-hydrated='true']").await;
    let list = text_until(c, "#quarantine", 30, |t| t.contains("Résumé de la réunion")).await;
    assert!(
        list.contains("André <andre@example.org>") && list.contains("Old mbox export"),
        "{list}"
    );

    // Which row is which, from the page itself.
    let rows = c
        .find_all(fantoccini::Locator::Css("#quarantine tbody tr"))
        .await
        .unwrap();
    let mut bad = None;
    let mut only = None;
    for r in rows {
        let id = r.attr("id").await.unwrap().unwrap();
        let id = id.trim_start_matches("q-").to_owned();
        let text = r.text().await.unwrap();
        if text.contains("Résumé") {
            bad = Some(id);
        } else if text.contains("Old mbox export") {
            only = Some(id);
        }
    }
    let (bad, only) = (bad.unwrap(), only.unwrap());

    // The page's download link gives the message as the old server has it.
    let href = css(c, &format!("#q-download-{bad}"))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let fetched = c
        .execute_async(
            "const [href, done] = arguments;
             fetch(href).then(r => r.arrayBuffer()).then(b => {
               let s = ''; for (const x of new Uint8Array(b)) s += String.fromCharCode(x);
               done(btoa(s));
             }, e => done('failed: ' + e));",
            vec![serde_json::json!(href)],
        )
        .await
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(fetched.as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, BAD_HEADER);

    // The repair's diff, then the repair, with a reason.
    css(c, "#q-reason")
        .await
        .send_keys("the blank line after the headers is missing")
        .await
        .unwrap();
    css(c, &format!("#q-preview-{bad}"))
        .await
        .click()
        .await
        .unwrap();
    let diff = text_until(c, "#q-diff", 30, |t| {
        t.contains("this line is not a header")
    })
    .await;
    assert!(diff.contains("Add the missing blank line"), "{diff}");
    let removed = css(c, "#q-diff .diff-removed").await.text().await.unwrap();
    assert!(removed.contains("this line is not a header"), "{removed}");
    shot(c, "corrupt-2-diff").await;
    css(c, "#q-repair-one").await.click().await.unwrap();
    text_until(c, "#q-outcome", 30, |t| {
        t.contains("1 message(s) still wait")
    })
    .await;
    text_until(c, &format!("#q-{bad} .q-status"), 30, |t| {
        t.contains("Repair and send again")
    })
    .await;

    // The other stays behind.
    css(c, "#q-reason").await.clear().await.unwrap();
    css(c, "#q-reason")
        .await
        .send_keys("an empty draft")
        .await
        .unwrap();
    css(c, &format!("#q-pick-{only}"))
        .await
        .click()
        .await
        .unwrap();
    css(c, "#q-accept").await.click().await.unwrap();
    text_until(c, "#q-outcome", 30, |t| t.contains("runs again now")).await;
    css(c, "#request-state[data-state='done']").await;
    let status = text_until(c, &format!("#q-{bad} .q-status"), 30, |t| {
        t.contains("Sent with its repairs")
    })
    .await;
    assert!(!status.is_empty());
    let report = css(c, "#report-table").await.text().await.unwrap();
    assert!(
        report.contains("Not migrated: “Old mbox export”"),
        "{report}"
    );
    shot(c, "corrupt-3-done").await;

    let email = sink.wait_for("Your mailbox has been copied", 30).await;
    let text = email["text"].as_str().unwrap();
    assert!(text.contains("“Old mbox export”"), "{text}");
}
