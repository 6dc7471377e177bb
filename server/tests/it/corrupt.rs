//! Division IT works through a corrupt mailbox against real servers: the new server is a strict Cyrus
//! that refuses two messages with a line in their headers that is not a header (one an old mbox
//! export's `>From ` line). IT sees them (decoded subjects and senders), downloads one byte for byte (audited),
//! looks at a repair's diff, repairs one and accepts the other as not migrated; the request then runs
//! again by itself and is done, the repaired message is on the new server as repaired, the person's
//! report and email say what was repaired and what stayed behind, and the person can download it.
use app::dto::{
    Change, CorruptQueue, DecisionKind, DecisionOutcome, QuarantinedItem, QueueDecisionOutcome,
    Repair, RepairPreview, RequestDetail, RequestId, RequestState, What, Who,
};
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Endpoint, Source};

use crate::support::flow::Portal;
use crate::support::refused::{
    refused_mailbox, refused_mailbox_for, Refused, BAD_HEADER, FINE, MBOX_LINE,
};
use crate::support::TestApp;

async fn detail(app: &TestApp, client: &reqwest::Client, id: RequestId) -> RequestDetail {
    let (status, body) = app
        .call(client, "request_detail", &[("request_id", &id.to_string())])
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn by_subject<'a>(items: &'a [QuarantinedItem], subject: &str) -> &'a QuarantinedItem {
    items
        .iter()
        .find(|q| q.subject.as_deref() == Some(subject))
        .unwrap_or_else(|| panic!("no {subject:?} in {items:#?}"))
}

async fn decide(
    app: &TestApp,
    client: &reqwest::Client,
    id: RequestId,
    ids: &[&str],
    decision: &str,
    reason: &str,
) -> (u16, String) {
    let id = id.to_string();
    let keys: Vec<String> = (0..ids.len()).map(|i| format!("ids[{i}]")).collect();
    let mut form = vec![
        ("request_id", id.as_str()),
        ("decision", decision),
        ("reason", reason),
    ];
    form.extend(keys.iter().map(String::as_str).zip(ids.iter().copied()));
    app.call(client, "decide_quarantined", &form).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_repairs_one_refused_message_accepts_another_and_the_request_is_done() {
    let Refused {
        old: _old,
        cyrus,
        portal: Portal { sink, app, new: _ },
        alice,
        request: id,
    } = refused_mailbox().await;

    // IT's queue has the request, both messages waiting; the helpdesk may not see the queue.
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let (status, body) = app.call(&ivan, "corrupt_mailboxes", &[]).await;
    assert_eq!(status, 200, "{body}");
    let queue: CorruptQueue = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (queue.total, queue.pending, queue.page),
        (1, 2, 0),
        "{queue:?}"
    );
    assert_eq!(
        (
            queue.rows[0].request,
            queue.rows[0].pending,
            queue.rows[0].total
        ),
        (id, 2, 2),
        "{:#?}",
        detail(&app, &ivan, id).await
    );
    // The same queue as CSV.
    let csv = ivan
        .get(app.url("/it/corrupt.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            "request,person,email,messages waiting for a decision,messages kept aside".to_owned(),
            format!("{id},Alice Archer,alice.archer@example.org,2,2"),
        ],
        "{csv}"
    );

    // Each message as IT reads it: encoded words decoded, the server's refusal, the repairs it needs.
    let d = detail(&app, &ivan, id).await;
    assert_eq!(d.quarantined.len(), 2, "{:#?}", d.quarantined);
    let bad = by_subject(&d.quarantined, "Résumé de la réunion").clone();
    assert_eq!(bad.from.as_deref(), Some("André <andre@example.org>"));
    assert_eq!(bad.date.as_deref(), Some("2026-12-01T10:00:00+01:00"));
    assert!(bad.reason.contains("refused"), "{bad:?}");
    assert_eq!(bad.repairs, vec![Repair::Separator]);
    assert!(bad.kept_whole && bad.decision.is_none());
    let only = by_subject(&d.quarantined, "Old mbox export").clone();
    // The helpdesk sees the same list, read-only.
    assert_eq!(detail(&app, &hana, id).await.quarantined, d.quarantined);

    // The download is the message byte for byte, for IT only, and it is in the audit log.
    let eml = format!("/it/requests/{id}/quarantine/{}.eml", bad.id);
    let got = ivan.get(app.url(&eml)).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()["content-type"].to_str().unwrap(),
        "message/rfc822"
    );
    assert_eq!(got.bytes().await.unwrap().as_ref(), BAD_HEADER);
    let refused = hana.get(app.url(&eml)).send().await.unwrap();
    assert_eq!(refused.status(), 403);

    // The repair's preview: the headers end before the line that is not one.
    let (status, body) = app
        .call(
            &ivan,
            "preview_repair",
            &[("request_id", &id.to_string()), ("id", &bad.id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let preview: RepairPreview = serde_json::from_str(&body).unwrap();
    assert_eq!(preview.repairs, vec![Repair::Separator]);
    let removed: Vec<&str> = preview
        .headers
        .iter()
        .filter(|l| l.change == Change::Removed)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(removed, ["this line is not a header"], "{preview:#?}");
    assert!(preview.body.starts_with("The body changes"), "{preview:?}");

    // A decision needs a reason; the helpdesk cannot decide.
    let bad_id = bad.id.to_string();
    let (status, _) = decide(&app, &ivan, id, &[&bad_id], "repair", "").await;
    assert_eq!(status, 400);
    let (status, _) = decide(&app, &hana, id, &[&bad_id], "repair", "to fix it").await;
    assert_eq!(status, 403);
    let (status, body) = decide(
        &app,
        &ivan,
        id,
        &[&bad_id],
        "repair",
        "the blank line is missing",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let outcome: DecisionOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (outcome.decided, outcome.pending, outcome.queued),
        (1, 1, false)
    );
    let only_id = only.id.to_string();
    let (status, body) = decide(
        &app,
        &ivan,
        id,
        &[&only_id],
        "accept",
        "an empty draft, not worth it",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let outcome: DecisionOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!((outcome.pending, outcome.queued), (0, true));

    // The request runs again by itself and is done: nothing waits, nothing was lost.
    let done = app
        .until(&alice, 90, |v| {
            v.request
                .as_ref()
                .is_some_and(|r| r.state == RequestState::Done)
        })
        .await
        .request
        .unwrap();
    let report = done.report.expect("a report");
    let inbox = report.folders.iter().find(|f| f.source == "INBOX").unwrap();
    assert_eq!((inbox.source_messages, inbox.copied), (3, 2), "{inbox:?}");
    assert!(inbox.quarantined.is_empty(), "{inbox:?}");
    assert_eq!(inbox.left_behind.len(), 1, "{inbox:?}");
    assert_eq!(
        inbox.left_behind[0].subject.as_deref(),
        Some("Old mbox export")
    );
    assert_eq!(inbox.left_behind[0].reason, "an empty draft, not worth it");
    assert_eq!(inbox.repaired.len(), 1, "{inbox:?}");
    assert_eq!(inbox.repaired[0].repairs, vec![Repair::Separator]);

    // The new server holds the repaired message: the original with the blank line where the headers end.
    let admin = Credentials::Proxy {
        user: "alice.archer".into(),
        admin: "cyradmin".into(),
        password: "cyradmin-pass".into(),
    };
    let endpoint = Endpoint {
        timeout: std::time::Duration::from_secs(30),
        ..Endpoint::new("127.0.0.1", cyrus.port)
    };
    let mut check = Source::connect(&endpoint, &admin, Transcript::default())
        .await
        .unwrap();
    check.examine("INBOX").await.unwrap();
    let held = check.fetch("1:*").await.unwrap();
    assert_eq!(held.len(), 2, "the fine one and the repaired one");
    let repaired = server::engine::plan::repair::apply_all(
        BAD_HEADER,
        &[server::engine::plan::repair::Repair::Separator],
    );
    assert!(held.iter().any(|m| m.body == repaired), "{held:?}");
    assert!(held.iter().any(|m| m.body == FINE));

    // The person is told which message stayed behind and which was repaired, and can download it.
    let email = sink.wait_for("Your mailbox has been copied", 30).await;
    let text = email["text"].as_str().unwrap();
    assert!(
        text.contains("Not migrated")
            && text.contains("“Old mbox export” from Mia <mia@example.org>"),
        "{text}"
    );
    assert!(
        text.contains("“Résumé de la réunion” (Add the missing blank line after the headers)"),
        "{text}"
    );
    let mine = alice
        .get(app.url(&format!("/me/left-behind/{}.eml", only.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.bytes().await.unwrap().as_ref(), MBOX_LINE);
    // The repaired one was copied: it is not "left behind", and another person cannot have hers.
    let not_left = alice
        .get(app.url(&format!("/me/left-behind/{}.eml", bad.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(not_left.status(), 404);
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let not_hers = bob
        .get(app.url(&format!("/me/left-behind/{}.eml", only.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(not_hers.status(), 404);

    // Every decision and the download are in the timeline, with who and why.
    let d = detail(&app, &ivan, id).await;
    let staff: Vec<(String, Option<&str>)> = d
        .timeline
        .iter()
        .filter(|e| matches!(&e.who, Who::Staff { email } if email == "ivan.ito@example.org"))
        .map(|e| (e.what.in_words(), e.reason.as_deref()))
        .collect();
    assert!(
        staff.contains(&("Downloaded a quarantined message".into(), None)),
        "{staff:?}"
    );
    assert!(
        staff.contains(&(
            What::Decided {
                decision: DecisionKind::Repair
            }
            .in_words(),
            Some("the blank line is missing")
        )),
        "{staff:?}"
    );
    assert!(
        staff.contains(&(
            What::Decided {
                decision: DecisionKind::Accept
            }
            .in_words(),
            Some("an empty draft, not worth it")
        )),
        "{staff:?}"
    );
    assert!(d
        .timeline
        .iter()
        .any(|e| e.who == Who::Owner && e.what == What::Downloaded));
    let repaired_row = d.quarantined.iter().find(|q| q.id == bad.id).unwrap();
    assert!(repaired_row.repaired, "{repaired_row:?}");

    // The whole audit log as CSV, with the same who, what and why.
    let csv = csv_of(
        &app,
        &hana,
        &format!("/helpdesk/requests/{id}/timeline.csv"),
    )
    .await;
    assert_eq!(
        csv[0],
        "when (UTC),unix seconds,who,what,\"why, and details\""
    );
    assert!(
        csv.iter().any(|l| l.contains("ivan.ito@example.org")
            && l.contains("Quarantined messages")
            && l.contains("an empty draft, not worth it")),
        "{csv:#?}"
    );
    assert!(
        csv.iter()
            .any(|l| l.contains("Downloaded a quarantined message") && l.contains(".eml")),
        "{csv:#?}"
    );
    // The messages kept aside and the report, as CSV.
    let kept = csv_of(
        &app,
        &hana,
        &format!("/helpdesk/requests/{id}/quarantine.csv"),
    )
    .await;
    assert_eq!(kept.len(), 3, "{kept:#?}");
    assert!(
        kept.iter().any(|l| l.starts_with("INBOX,")
            && l.contains("Résumé de la réunion")
            && l.contains("André <andre@example.org>")
            && l.contains("ivan.ito@example.org")
            && l.ends_with(",yes")),
        "{kept:#?}"
    );
    assert!(
        kept.iter()
            .any(|l| l.contains("Old mbox export") && l.contains("an empty draft, not worth it")),
        "{kept:#?}"
    );
    let report = csv_of(&app, &hana, &format!("/helpdesk/requests/{id}/report.csv")).await;
    assert!(
        report[0].starts_with("old folder,new folder,"),
        "{report:#?}"
    );
    // INBOX: 3 on the old server, 2 copied, none kept aside now, 1 left behind, 1 repaired.
    assert!(
        report
            .iter()
            .any(|l| l.starts_with("INBOX,INBOX,3,") && l.contains(",2,0,1,1,")),
        "{report:#?}"
    );
    // Everyone who has signed in, for IT.
    let people = csv_of(&app, &ivan, "/it/people.csv").await;
    assert_eq!(people[0], "email,name,roles,last sign-in (UTC)");
    assert!(
        people
            .iter()
            .any(|l| l.starts_with("alice.archer@example.org,Alice Archer,user,")),
        "{people:#?}"
    );
}

/// The lines of a CSV export, read as `client`.
async fn csv_of(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<String> {
    let got = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(got.status(), 200, "{path}");
    let text = got.text().await.unwrap();
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// IT decides once for the whole queue: two people's mailboxes with messages a repair fixes (alice's
/// two, bob's one). "Repair and send" must name the number of waiting messages IT was shown (a stale
/// number is refused, nothing decided); it repairs all three, each request runs again by itself and is
/// done, and the queue is empty. (What a repair cannot fix is left waiting: `taken_by`'s unit test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_repairs_across_the_queue_and_every_request_is_done() {
    let Refused {
        old,
        cyrus: _cyrus,
        portal: Portal {
            sink: _,
            app,
            new: _,
        },
        alice,
        request: alice_request,
    } = refused_mailbox_for(&["bob.baker:x\n"]).await;
    old.save("bob", "INBOX", BAD_HEADER);
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    app.connect(&bob, "bob", "bob-old").await;
    let (status, body) = app.scan_and_start_everything(&bob).await;
    assert_eq!(status, 200, "{body}");
    let ended = app.until_ended(&bob, 90).await;
    assert_eq!(ended.state, RequestState::NeedsAttention, "{ended:?}");
    let bob_request = ended.id;

    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let queue = corrupt_queue(&app, &ivan).await;
    let shown: Vec<(RequestId, u64)> = queue.rows.iter().map(|r| (r.request, r.pending)).collect();
    // Most waiting first.
    assert_eq!(shown, [(alice_request, 2), (bob_request, 1)], "{queue:?}");
    assert_eq!((queue.total, queue.pending), (2, 3));

    let decide_all = |expected: &'static str| {
        let ivan = ivan.clone();
        let app = &app;
        async move {
            app.call(
                &ivan,
                "decide_for_queue",
                &[
                    ("decision", "repair"),
                    ("expected", expected),
                    ("reason", "headers cut short by the old archiver"),
                ],
            )
            .await
        }
    };
    // A number that is no longer the queue's is refused, and nothing is decided.
    let (status, body) = decide_all("5").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("3 message(s) wait now"), "{body}");
    assert_eq!(corrupt_queue(&app, &ivan).await.pending, 3);

    let (status, body) = decide_all("3").await;
    assert_eq!(status, 200, "{body}");
    let outcome: QueueDecisionOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (outcome.decided, outcome.skipped, outcome.queued.as_slice()),
        (3, 0, [alice_request, bob_request].as_slice()),
        "{outcome:?}"
    );
    assert!(outcome.refused.is_empty(), "{outcome:?}");

    // Both run again and are done, every refused message repaired, nothing left behind.
    for (person, repaired) in [(&alice, 2), (&bob, 1)] {
        let done = app
            .until(person, 90, |v| {
                v.request
                    .as_ref()
                    .is_some_and(|r| r.state == RequestState::Done)
            })
            .await
            .request
            .unwrap();
        let report = done.report.expect("a report");
        let inbox = report.folders.iter().find(|f| f.source == "INBOX").unwrap();
        assert_eq!(inbox.repaired.len(), repaired, "{inbox:?}");
        assert!(
            inbox.left_behind.is_empty() && inbox.quarantined.is_empty(),
            "{inbox:?}"
        );
    }
    let after = corrupt_queue(&app, &ivan).await;
    assert_eq!((after.total, after.pending), (0, 0), "{after:?}");
    // Each request's audit log has the decision, with IT's reason.
    for request in [alice_request, bob_request] {
        let d = detail(&app, &ivan, request).await;
        assert!(
            d.timeline.iter().any(|e| e.what
                == What::Decided {
                    decision: DecisionKind::Repair
                }
                && e.reason.as_deref() == Some("headers cut short by the old archiver")),
            "{:#?}",
            d.timeline
        );
    }
}

async fn corrupt_queue(app: &TestApp, client: &reqwest::Client) -> CorruptQueue {
    let (status, body) = app.call(client, "corrupt_mailboxes", &[]).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}
