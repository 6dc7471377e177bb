//! The helpdesk at work, through the portal's server functions against real servers: a request that
//! failed (its copy crashed), opened from its link, retried for the person with a reason, finished
//! exactly; every action recorded with who and why in the timeline; emails to the person (ask to
//! reconnect, the last one again) reaching the SMTP sink; notes shown as text, never as markup.
use app::dto::{FailureClass, RequestDetail, RequestId, RequestState, What, Who};

use crate::support::flow::{assert_same_mail, portal, CrashingWorker, Portal};
use crate::support::servers::Dovecot;
use crate::support::TestApp;

async fn detail(app: &TestApp, client: &reqwest::Client, id: RequestId) -> RequestDetail {
    let id = id.to_string();
    let (status, body) = app
        .call(client, "request_detail", &[("request_id", &id)])
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Posts a helpdesk form (`act_for_person`, `email_person`, `add_note`) for request `id`.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    id: RequestId,
    form: &[(&str, &str)],
) -> (u16, String) {
    let id = id.to_string();
    let mut all = vec![("request_id", id.as_str())];
    all.extend_from_slice(form);
    app.call(client, name, &all).await
}

fn staff_entries(d: &RequestDetail) -> Vec<(&str, String, Option<&str>)> {
    d.timeline
        .iter()
        .filter_map(|e| match &e.who {
            Who::Staff { email } => Some((email.as_str(), e.what.in_words(), e.reason.as_deref())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_helpdesk_retries_a_failed_request_for_the_person_and_every_step_is_in_its_timeline() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 30, 5);
    // No workers in the portal: first one whose copies crash, then a sound one.
    let Portal { new, sink, app } = portal(
        old.port,
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__MAX_ATTEMPTS", "1"),
            (
                "FOUNTAIN__MIGRATION__HELPDESK_EMAIL",
                "helpdesk@example.org",
            ),
        ],
    )
    .await;
    let crashing = CrashingWorker::start(&app).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    let failed = app
        .until(&alice, 60, |v| {
            v.request.as_ref().is_some_and(|r| r.state == "failed")
        })
        .await
        .request
        .unwrap();
    let id = failed.id;

    // The helpdesk email (sent by the workers) links to the request's page, which the helpdesk opens.
    let told = sink
        .wait_for("Mailbox move needs attention: Alice Archer", 30)
        .await;
    crashing.stop().await;
    let link = format!("{}/helpdesk/requests/{id}", app.address);
    assert!(told["text"].as_str().unwrap().contains(&link), "{told}");
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let page = hana.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for shown in [
        "Alice Archer",
        "Internal",
        "Give IT the reference",
        "Timeline",
    ] {
        assert!(
            page.contains(shown),
            "the request page lacks {shown:?}: {page}"
        );
    }
    let before = detail(&app, &hana, id).await;
    assert_eq!(before.request.state, RequestState::Failed);
    assert_eq!(before.class, Some(FailureClass::Internal));
    assert_eq!(before.person.email, "alice.archer@example.org");
    assert!(before.account_usable);
    assert_eq!(
        before.request.actions.len(),
        2,
        "{:?}",
        before.request.actions
    );
    let whats: Vec<String> = before.timeline.iter().map(|e| e.what.in_words()).collect();
    for expected in [
        "Started the migration",
        "queued → copying",
        "copying → failed",
        "Email to alice.archer@example.org: “Your mailbox move needs attention”",
        "Email to helpdesk@example.org: “Mailbox move needs attention: Alice Archer”",
    ] {
        assert!(
            whats.iter().any(|w| w == expected),
            "{expected:?} not in {whats:#?}"
        );
    }
    let failing = before
        .timeline
        .iter()
        .find(|e| e.what.in_words() == "copying → failed")
        .unwrap();
    assert!(matches!(failing.who, Who::Worker { .. }), "{failing:?}");
    assert!(
        failing
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("internal problem")),
        "{failing:?}"
    );

    // Nothing is done for someone else without a reason; the person cannot use the helpdesk's door.
    let (status, body) = post(
        &app,
        &hana,
        "act_for_person",
        id,
        &[("action", "Retry"), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Say why"), "{body}");
    let (status, _) = post(
        &app,
        &alice,
        "act_for_person",
        id,
        &[("action", "Retry"), ("reason", "let me in")],
    )
    .await;
    assert_eq!(status, 403);
    let unchanged = detail(&app, &hana, id).await;
    assert_eq!(unchanged.request.state, RequestState::Failed);
    assert!(staff_entries(&unchanged).is_empty());
    // Nor what the state machine refuses.
    let (status, body) = post(
        &app,
        &hana,
        "act_for_person",
        id,
        &[("action", "Resume"), ("reason", "resume it")],
    )
    .await;
    assert_eq!(status, 409, "{body}");

    // The helpdesk retries, saying why; a sound worker finishes it exactly.
    let reason = "Crash fixed in the new release; trying again — Grüße";
    let (status, body) = post(
        &app,
        &hana,
        "act_for_person",
        id,
        &[("action", "Retry"), ("reason", reason)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut worker = app.spawn_worker(1);
    let done = app.until_ended(&alice, 120).await;
    assert_eq!(done.state, RequestState::Done, "{done:#?}");
    assert_same_mail(old.port, new.port, &done.report.unwrap()).await;
    let after = detail(&app, &hana, id).await;
    assert_eq!(after.class, None, "done: nothing left to explain");
    // The run's protocol summary: commands by kind on each side, never a password or a body.
    let protocol = after
        .protocol
        .as_ref()
        .expect("the run wrote its protocol summary");
    let count = |side: &app::dto::ProtocolSide, name: &str| {
        side.commands
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, c)| *c)
    };
    assert!(count(&protocol.old_server, "LOGIN") >= 1, "{protocol:?}");
    assert!(
        count(&protocol.old_server, "UID FETCH") >= 1,
        "{protocol:?}"
    );
    assert_eq!(
        count(&protocol.old_server, "APPEND"),
        0,
        "nothing is written to the old server"
    );
    assert!(count(&protocol.new_server, "APPEND") >= 1, "{protocol:?}");
    assert!(
        !protocol
            .old_server
            .commands
            .iter()
            .any(|(n, _)| n.contains("EXPUNGE")),
        "{protocol:?}"
    );
    let shown = serde_json::to_string(protocol).unwrap();
    assert!(
        !shown.contains("alice-old") && !shown.contains("Subject"),
        "{shown}"
    );
    assert_eq!(
        staff_entries(&after),
        vec![(
            "hana.holt@example.org",
            "failed → queued".to_owned(),
            Some(reason)
        )]
    );
    assert!(after
        .timeline
        .iter()
        .any(|e| e.what.in_words() == "copying → done" && matches!(e.who, Who::Worker { .. })));

    // Emails for the person: the last one again, and (the password forgotten at done) a reconnect.
    assert!(!after.account_usable, "done forgets the password");
    let (status, body) = post(
        &app,
        &hana,
        "email_person",
        id,
        &[
            ("which", "ResendLast"),
            ("reason", "She deleted it by mistake"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let copies = sink.wait_for_n("Your mailbox has been copied", 2, 30).await;
    assert_eq!(copies[0]["text"], copies[1]["text"], "the same email again");
    let (status, body) = post(
        &app,
        &hana,
        "email_person",
        id,
        &[
            ("which", "AskToReconnect"),
            ("reason", "Catch-up needs her password"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ask = sink
        .wait_for("Please connect your old mailbox again", 30)
        .await;
    assert_eq!(ask["to"][0]["address"], "alice.archer@example.org");
    assert!(ask["text"]
        .as_str()
        .unwrap()
        .contains(&format!("{}/me", app.address)));
    assert!(
        !ask["text"].as_str().unwrap().contains("Catch-up needs"),
        "the reason is for the log, not the person"
    );
    // A catch-up for her is refused until she reconnects, and says what to do.
    let (status, body) = post(
        &app,
        &hana,
        "act_for_person",
        id,
        &[("action", "CatchUp"), ("reason", "New mail arrived")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Ask to reconnect"), "{body}");

    // A note is shown as text, never as markup.
    let note = "<script>alert(1)</script> Call her back on Tuesday";
    let (status, body) = post(&app, &hana, "add_note", id, &[("text", note)]).await;
    assert_eq!(status, 200, "{body}");
    let with_note = detail(&app, &hana, id).await;
    let staff = staff_entries(&with_note);
    assert_eq!(
        staff
            .iter()
            .map(|(_, what, _)| what.as_str())
            .collect::<Vec<_>>(),
        [
            "failed → queued",
            "Sent the last email again",
            "Asked the person to connect their old mailbox again",
            "Note"
        ]
    );
    assert!(with_note
        .timeline
        .iter()
        .any(|e| e.what == What::Note { text: note.into() }));
    let page = hana.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Call her back on Tuesday"), "{page}");
    assert!(
        !page.contains("<script>alert(1)"),
        "the note is markup: {page}"
    );
    // The emails' delivery shows in the timeline once the sender has sent them.
    let emails: Vec<_> = with_note
        .timeline
        .iter()
        .filter(|e| matches!(e.what, What::Email { .. }))
        .collect();
    assert!(emails.len() >= 5, "{emails:#?}");
    assert!(emails.iter().any(|e| matches!(
        e.what,
        What::Email {
            sent_at: Some(_),
            ..
        }
    )));

    // A request that does not exist is a clear 404 for the helpdesk.
    let (status, body) = app
        .call(&hana, "request_detail", &[("request_id", "987654")])
        .await;
    assert_eq!(status, 404, "{body}");
    worker.kill().await.unwrap();
}

#[tokio::test]
async fn a_bulk_retry_acts_on_what_the_confirmation_counted_and_records_each_request() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 10, 6);
    old.seed_sample("bob", 10, 7);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(
        old.port,
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__MAX_ATTEMPTS", "1"),
        ],
    )
    .await;
    let crashing = CrashingWorker::start(&app).await;
    let mut ids = Vec::new();
    for (user, login) in [("alice", "alice"), ("bob", "bob")] {
        let (client, _) = app.sign_in(user, &format!("{user}-pass")).await;
        app.connect(&client, login, &format!("{user}-old")).await;
        let (status, body) = app.scan_and_start_everything(&client).await;
        assert_eq!(status, 200, "{body}");
        let failed = app
            .until(&client, 60, |v| {
                v.request.as_ref().is_some_and(|r| r.state == "failed")
            })
            .await;
        ids.push(failed.request.unwrap().id);
    }
    crashing.stop().await;
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    // The queue is narrowed, ordered and cut into pages on the server; its counts are the whole queue's.
    let triage = |form: Vec<(&'static str, &'static str)>| {
        let (app, hana) = (&app, &hana);
        async move {
            let (status, body) = app.call(hana, "helpdesk_triage", &form).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_str::<app::dto::Triage>(&body).unwrap()
        }
    };
    let by_name = triage(vec![
        ("query[selection][bucket]", "failed"),
        ("query[sort]", "person"),
        ("query[page]", "5"),
    ])
    .await;
    let names: Vec<&str> = by_name.rows.iter().map(|r| r.person.as_str()).collect();
    assert_eq!(names, ["Alice Archer", "Bob Baker"]);
    assert_eq!(
        (by_name.total, by_name.page),
        (2, 0),
        "past the end: the last page"
    );
    assert_eq!(by_name.buckets, [(app::dto::TriageBucket::Failed, 2)]);
    let none = triage(vec![("query[selection][bucket]", "stuck")]).await;
    assert!(none.rows.is_empty() && none.total == 0, "{none:?}");
    assert_eq!(
        none.buckets, by_name.buckets,
        "the counts stay the whole queue's"
    );
    let selection = [
        ("selection[bucket]", "failed"),
        ("selection[class]", "internal"),
        ("action", "Retry"),
        ("reason", "Fixed the crash; retrying every internal failure"),
    ];
    // The queue changed since the confirmation counted: nothing is done.
    let mut form = selection.to_vec();
    form.push(("expected", "1"));
    let (status, body) = app.call(&hana, "act_on_selection", &form).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("now holds 2"), "{body}");
    for id in &ids {
        assert_eq!(
            detail(&app, &hana, *id).await.request.state,
            RequestState::Failed
        );
    }
    let mut form = selection.to_vec();
    form.push(("expected", "2"));
    let (status, body) = app.call(&hana, "act_on_selection", &form).await;
    assert_eq!(status, 200, "{body}");
    let outcome: app::dto::BulkOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (outcome.done.len(), outcome.refused.len()),
        (2, 0),
        "{outcome:?}"
    );
    for id in &ids {
        let d = detail(&app, &hana, *id).await;
        assert_eq!(d.request.state, RequestState::Queued);
        assert_eq!(
            staff_entries(&d),
            vec![(
                "hana.holt@example.org",
                "failed → queued".to_owned(),
                Some("Fixed the crash; retrying every internal failure")
            )]
        );
    }
    // A selection of nothing does nothing, and says so.
    let (status, body) = app
        .call(
            &hana,
            "act_on_selection",
            &[
                ("selection[bucket]", "failed"),
                ("action", "Retry"),
                ("reason", "again"),
                ("expected", "0"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""done":[]"#), "{body}");
}

/// Someone who connected their old mailbox a day ago and never started is in the queue, waiting
/// for a nudge, on the page as the server renders it.
#[tokio::test]
async fn someone_who_connected_and_never_started_waits_for_the_person() {
    let old = Dovecot::start("old", None);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(old.port, &[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let (status, body) = app.call(&hana, "helpdesk_triage", &[]).await;
    assert_eq!(status, 200, "{body}");
    let fresh: app::dto::Triage = serde_json::from_str(&body).unwrap();
    assert!(fresh.rows.is_empty(), "connected just now: {fresh:?}");
    {
        use sea_orm::ConnectionTrait;
        app.db()
            .await
            .execute_unprepared("UPDATE old_accounts SET verified_at = verified_at - 90000")
            .await
            .unwrap();
    }
    let (status, body) = app.call(&hana, "helpdesk_triage", &[]).await;
    assert_eq!(status, 200, "{body}");
    let waiting: app::dto::Triage = serde_json::from_str(&body).unwrap();
    assert_eq!(waiting.total, 1, "{waiting:?}");
    let row = &waiting.rows[0];
    assert_eq!(
        (row.request_id, row.bucket, row.email.as_str()),
        (
            None,
            app::dto::TriageBucket::WaitingForPerson,
            "alice.archer@example.org"
        )
    );
    let page = hana
        .get(app.url("/helpdesk"))
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "Alice Archer",
        "never started",
        "/helpdesk?q=alice.archer%40example.org",
    ] {
        assert!(page.contains(shown), "the page lacks {shown:?}: {page}");
    }
}
