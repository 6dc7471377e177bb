//! Cutover on real servers: IT switches delivery for a wave; from then on Fountain catches each
//! person up on its schedule, copying what still reaches the old server and never touching what the
//! new one received meanwhile (mail is delivered to both sides while the catch-ups run); the
//! still-arriving report names the address each message came for, and people turn quiet once nothing
//! more comes. The old addresses found in the mail are confirmed by their owners (in Chromium), a
//! conflict is flagged, and the routing maps are checked by parsing them.
use std::time::{Duration, Instant};

use crate::support::browser::{chromium, css, scroll_to, shot, sign_in_as, text_until};
use crate::support::flow::Portal;
use crate::support::servers::Dovecot;
use crate::support::TestApp;
use crate::waves::{command as run, fountain, master_portal_with, show};

const CAROL: &str = "carol.cole@example.org";
const DAN: &str = "dan.duarte@example.org";

fn message(id: &str, headers: &str, subject: &str) -> Vec<u8> {
    format!(
        "Message-ID: <{id}@cutover.test>\r\nFrom: someone@partner.example\r\n{headers}Subject: {subject}\r\n\r\n{subject}, {}\r\n",
        "and the rest of the text. ".repeat(40)
    )
    .into_bytes()
}

fn status(app: &TestApp) -> app::dto::CutoverBoard {
    let out = run(app, &["cutover", "status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn person<'a>(board: &'a app::dto::CutoverBoard, email: &str) -> &'a app::dto::CutoverPerson {
    board
        .people
        .iter()
        .find(|p| p.email.as_str() == email)
        .unwrap_or_else(|| panic!("{email} not on the board: {board:?}"))
}

fn arrived(p: &app::dto::CutoverPerson, address: &str) -> u64 {
    p.arrived
        .iter()
        .filter(|a| a.address == address)
        .map(|a| a.messages)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_switch_catch_ups_take_what_still_arrives_and_never_touch_the_new_mailbox() {
    let old = Dovecot::start_for(
        "carol.cole:x\ndan.duarte:x\n",
        "old",
        Some(crate::waves::OLD_ADMIN),
        &[],
    );
    // The last months, as the old system delivered them: carol under her name and an alias that is
    // also delivered to dan (a shared address: a conflict if both claim it), and a list.
    for i in 0..6 {
        let h = "To: Carol Cole <carol@old.example.org>\r\nDelivered-To: carol.cole@old.example.org\r\n";
        old.save(
            "carol.cole",
            "INBOX",
            &message(&format!("c{i}"), h, "Quarterly figures"),
        );
    }
    for i in 0..3 {
        let h = "To: all-staff@old.example.org\r\nDelivered-To: c.cole@old.example.org\r\n";
        old.save(
            "carol.cole",
            "INBOX",
            &message(&format!("l{i}"), h, "Für alle: Kantine"),
        );
    }
    for i in 0..4 {
        let h = "To: dan.duarte@old.example.org\r\nX-Original-To: dan.duarte@old.example.org\r\n";
        old.save(
            "dan.duarte",
            "INBOX",
            &message(&format!("d{i}"), h, "Planning"),
        );
    }
    let h = "To: c.cole@old.example.org\r\nDelivered-To: c.cole@old.example.org\r\n";
    old.save("dan.duarte", "INBOX", &message("shared", h, "Shared alias"));
    // A folder the old server's filter fills, named in the person's language.
    let h = "To: carol.cole@old.example.org\r\nDelivered-To: carol.cole@old.example.org\r\n";
    old.save(
        "carol.cole",
        "INBOX.Projekte Zürich",
        &message("z0", h, "Ausschreibung"),
    );
    let Portal {
        app,
        new,
        sink: _sink,
    } = master_portal_with(
        &old,
        &[
            (
                "FOUNTAIN__MIGRATION__CUTOVER__CATCH_UP_EVERY_MINUTES",
                "0.05",
            ),
            ("FOUNTAIN__MIGRATION__CUTOVER__QUIET_AFTER_DAYS", "0.00025"),
            (
                "FOUNTAIN__MIGRATION__CUTOVER__OLD_DOMAINS",
                "[\"old.example.org\"]",
            ),
            (
                "FOUNTAIN__MIGRATION__CUTOVER__LDIF_DN",
                "uid={localpart},ou=people,dc=example,dc=org",
            ),
        ],
    )
    .await;

    // The wave is copied by IT.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.csv");
    std::fs::write(
        &file,
        format!("email,old_login\n{CAROL},carol.cole\n{DAN},dan.duarte\n"),
    )
    .unwrap();
    for args in [
        vec!["import", file.to_str().unwrap(), "--wave", "Lab"],
        vec!["set", "Lab", "--mode", "it-run", "--concurrency", "2"],
        vec!["start", "Lab"],
    ] {
        let out = fountain(&app, &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    while show(&app, "Lab")["wave"]["state"] != "finished" {
        assert!(Instant::now() < deadline, "the wave never finished");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(new.messages_in(CAROL, "INBOX"), 9);
    // Carol reads and flags one message on the new server; Fountain must leave that alone.
    new.doveadm(&[
        "flags",
        "add",
        "-u",
        CAROL,
        "\\Flagged",
        "mailbox",
        "INBOX",
        "uid",
        "1",
    ]);

    // Nobody is switched yet: no catch-up runs, whatever arrives.
    let out = run(&app, &["cutover", "switch", "--wave", "Nowhere"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(status(&app).people.is_empty());
    // Mail that came between the copy and the switch: the first catch-up takes it.
    let h = "To: carol.cole@old.example.org\r\nDelivered-To: carol.cole@old.example.org\r\n";
    old.save(
        "carol.cole",
        "INBOX",
        &message("between", h, "Before the switch"),
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = run(&app, &["cutover", "switch", "--wave", "Lab", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let switched: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        switched["switched"].as_array().unwrap().len(),
        2,
        "{switched}"
    );
    // Switching again keeps the first switch.
    let out = run(&app, &["cutover", "switch", "--person", CAROL, "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["already"], serde_json::json!([CAROL]), "{again}");
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // After the switch, mail reaches both sides: the old server (senders' retries, old DNS answers,
    // the alias) and the new one (delivery that moved).
    for i in 0..2 {
        let h = "To: carol.cole@old.example.org\r\nDelivered-To: carol.cole@old.example.org\r\n";
        old.save(
            "carol.cole",
            "INBOX",
            &message(&format!("late{i}"), h, "Sent to the old address"),
        );
    }
    let h = "To: c.cole@old.example.org\r\nX-Original-To: c.cole@old.example.org\r\n";
    old.save(
        "carol.cole",
        "INBOX",
        &message("alias", h, "Sent to the alias"),
    );
    let h = "To: carol.cole@old.example.org\r\nDelivered-To: carol.cole@old.example.org\r\n";
    old.save(
        "carol.cole",
        "INBOX.Projekte Zürich",
        &message("z1", h, "Filed by the old server"),
    );
    let h = "To: carol.cole@example.org\r\nDelivered-To: carol.cole@example.org\r\n";
    new.save(
        CAROL,
        "INBOX",
        &message("fresh", h, "Delivered to the new server"),
    );

    // The catch-ups take the old server's new mail; the board says for which address it came.
    let deadline = Instant::now() + Duration::from_secs(120);
    let board = loop {
        let board = status(&app);
        let carol = person(&board, CAROL);
        if new.messages_in(CAROL, "INBOX") == 14
            && new.messages_in(CAROL, "Projekte Zürich") == 2
            && arrived(carol, "carol.cole@old.example.org") == 3
            && arrived(carol, "c.cole@old.example.org") == 1
        {
            break board;
        }
        assert!(Instant::now() < deadline, "not caught up: {board:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let carol = person(&board, CAROL);
    assert!(carol.catch_ups >= 1, "{carol:?}");
    // Only what arrived after the switch counts (not the message from before it).
    assert_eq!(
        carol.arrived.iter().map(|a| a.messages).sum::<u64>(),
        4,
        "{carol:?}"
    );
    assert!(
        matches!(carol.quietness, app::dto::Quietness::StillArriving { .. }),
        "{carol:?}"
    );
    assert_eq!(person(&board, DAN).arrived, Vec::new());
    // Each old message is on the new server once; what the new server got itself is untouched.
    let subjects = new.doveadm(&[
        "-f",
        "tab",
        "fetch",
        "-u",
        CAROL,
        "hdr.subject",
        "mailbox",
        "INBOX",
    ]);
    for (subject, times) in [
        ("Delivered to the new server", 1),
        ("Sent to the old address", 2),
        ("Sent to the alias", 1),
        ("Before the switch", 1),
    ] {
        assert_eq!(
            subjects.matches(subject).count(),
            times,
            "{subject}: {subjects}"
        );
    }
    let flags = new.doveadm(&[
        "-f", "tab", "fetch", "-u", CAROL, "flags", "mailbox", "INBOX", "uid", "1",
    ]);
    assert!(
        flags.contains("\\Flagged"),
        "the flag carol set is gone: {flags}"
    );
    let deleted = new.doveadm(&["search", "-u", CAROL, "mailbox", "INBOX", "DELETED"]);
    assert!(
        deleted.trim().is_empty(),
        "messages flagged deleted: {deleted}"
    );

    // Nothing more comes: both turn quiet, and the board says so.
    let deadline = Instant::now() + Duration::from_secs(90);
    let board = loop {
        let board = status(&app);
        if board.quiet == 2 {
            break board;
        }
        assert!(Instant::now() < deadline, "never quiet: {board:?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // Quiet took catch-ups that found nothing: they went on every few seconds, as configured.
    for p in &board.people {
        assert!(p.catch_ups >= 3 && p.next_catch_up_at.is_some(), "{p:?}");
    }
    assert_eq!(new.messages_in(CAROL, "INBOX"), 14);

    // The old addresses found in the mail: carol's own and the alias (the list is not hers).
    let (carol_web, _) = app.sign_in("carol", "carol-pass").await;
    let (status_code, body) = app.call(&carol_web, "my_old_addresses", &[]).await;
    assert_eq!(status_code, 200, "{body}");
    let mine: app::dto::PersonAddresses = serde_json::from_str(&body).unwrap();
    let found: Vec<&str> = mine.addresses.iter().map(|a| a.address.as_str()).collect();
    assert_eq!(
        found,
        vec!["carol.cole@old.example.org", "c.cole@old.example.org"],
        "{mine:?}"
    );
    // Nobody decides for someone else, or about an address not found.
    let (code, _) = app
        .call(
            &carol_web,
            "decide_old_address",
            &[
                ("address", "dan.duarte@old.example.org"),
                ("decision", "confirmed"),
            ],
        )
        .await;
    assert_eq!(code, 404);
    let (code, _) = app
        .call(
            &carol_web,
            "decide_old_address",
            &[
                ("address", "c.cole@old.example.org"),
                ("decision", "suggested"),
            ],
        )
        .await;
    assert_eq!(code, 400);
    let export = carol_web
        .get(app.url("/it/addresses/export?format=postfix"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 403);

    // Dan claims the shared alias too, over the API.
    let (dan_web, _) = app.sign_in("dan", "dan-pass").await;
    for address in ["dan.duarte@old.example.org", "c.cole@old.example.org"] {
        let (code, body) = app
            .call(
                &dan_web,
                "decide_old_address",
                &[("address", address), ("decision", "confirmed")],
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }

    // Carol's page says someone else claims the alias, not who.
    let (_, body) = app.call(&carol_web, "my_old_addresses", &[]).await;
    let mine: app::dto::PersonAddresses = serde_json::from_str(&body).unwrap();
    let alias = mine
        .addresses
        .iter()
        .find(|a| a.address.as_str() == "c.cole@old.example.org")
        .unwrap();
    assert!(
        alias.contested && alias.also_claimed_by.is_empty(),
        "{alias:?}"
    );

    // Carol confirms hers on her page, in Chromium.
    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/me", ("carol", "carol-pass"), "#my-migration").await;
    for address in ["carol.cole@old.example.org", "c.cole@old.example.org"] {
        let row = format!("#old-addresses li[data-address='{address}']");
        css(c, &format!("{row}[data-hydrated='true'] button.primary"))
            .await
            .click()
            .await
            .unwrap();
        css(c, &format!("{row}[data-decision='confirmed']")).await;
    }
    // The alias is claimed by dan too: her page says so.
    text_until(c, "#old-addresses", 30, |t| {
        t.contains("Someone else says this address is theirs too")
    })
    .await;
    scroll_to(c, "old-addresses").await;
    shot(c, "cutover-old-addresses").await;

    // IT sees the conflict and the board, and downloads the maps: the alias is in none of them.
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let (code, body) = app.call(&ivan, "old_addresses", &[]).await;
    assert_eq!(code, 200, "{body}");
    let everyone: Vec<app::dto::PersonAddresses> = serde_json::from_str(&body).unwrap();
    let conflicted: Vec<(&str, &str)> = everyone
        .iter()
        .flat_map(|p| {
            p.addresses
                .iter()
                .filter(|a| !a.also_claimed_by.is_empty())
                .map(move |a| (p.email.as_str(), a.address.as_str()))
        })
        .collect();
    assert_eq!(
        conflicted,
        vec![
            (CAROL, "c.cole@old.example.org"),
            (DAN, "c.cole@old.example.org")
        ]
    );
    let download = |format: &'static str| {
        let ivan = ivan.clone();
        let url = app.url(&format!("/it/addresses/export?format={format}"));
        async move {
            let resp = ivan.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.text().await.unwrap()
        }
    };
    let postfix = download("postfix").await;
    let lines: Vec<Vec<&str>> = postfix
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        vec![
            vec!["carol.cole@old.example.org", CAROL],
            vec!["dan.duarte@old.example.org", DAN],
        ]
    );
    let csv = download("csv").await;
    assert_eq!(
        csv,
        format!("old_address,new_address\r\ncarol.cole@old.example.org,{CAROL}\r\ndan.duarte@old.example.org,{DAN}\r\n")
    );
    let ldif = download("ldif").await;
    let records = crate::support::ldif::parse_ldif(&ldif).unwrap();
    assert_eq!(
        records
            .iter()
            .map(|(dn, _)| dn.as_str())
            .collect::<Vec<_>>(),
        vec![
            "uid=carol.cole,ou=people,dc=example,dc=org",
            "uid=dan.duarte,ou=people,dc=example,dc=org"
        ]
    );
    // The command line gives the same map, and names the conflict.
    let out = run(&app, &["addresses", "export", "--format", "postfix"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), postfix);
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.cole@old.example.org is left out"));

    // The IT page shows everyone switched, quiet (carol's sign-in ends with her cookies).
    c.delete_all_cookies().await.unwrap();
    sign_in_as(c, &app, "/it", ("ivan", "ivan-pass"), "#it").await;
    text_until(c, "#cutover-summary", 30, |t| {
        t.contains("2 switched, 2 quiet")
    })
    .await;
    css(c, &format!("#cutover-table tr[data-email='{CAROL}'] .arrived[data-address='carol.cole@old.example.org'][data-messages='3']")).await;
    css(c, "#addresses-table tr[data-conflict='true']").await;
    scroll_to(c, "cutover").await;
    shot(c, "cutover-it").await;
}

/// Where people type their old password, Fountain forgets it once their copy is done; switched
/// later, their catch-ups wait for it, and they are asked for it by email once (not every round).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_ups_that_wait_for_a_forgotten_password_ask_the_person_once() {
    const ALICE: &str = "alice.archer@example.org";
    let old = Dovecot::start("old", None);
    for i in 0..3 {
        old.save(
            "alice",
            "INBOX",
            &message(&format!("a{i}"), "", "Wochenbericht"),
        );
    }
    let Portal {
        app,
        new: _new,
        sink,
    } = crate::support::flow::portal(
        old.port,
        &[(
            "FOUNTAIN__MIGRATION__CUTOVER__CATCH_UP_EVERY_MINUTES",
            "0.05",
        )],
    )
    .await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    app.scanned(&alice).await;
    let (code, body) = app.start(&alice, &["INBOX".to_owned()]).await;
    assert_eq!(code, 200, "{body}");
    let request = app.until_ended(&alice, 120).await;
    assert_eq!(request.state, "done", "{request:?}");
    // Done: the password is gone.
    let account = app.view(&alice, "my_migration", &[]).await.account.unwrap();
    assert!(!account.usable, "{account:?}");

    let out = run(&app, &["cutover", "switch", "--person", ALICE]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let subject = "Fountain needs its password once more";
    let asked = sink.wait_for(subject, 60).await;
    assert!(asked["to"].to_string().contains(ALICE), "{asked}");
    assert!(
        asked["text"].as_str().unwrap().contains("Catch-up sync"),
        "{asked}"
    );
    // Several rounds later (one every 3 s), still waiting, and asked only the once.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let board = status(&app);
    let trouble = person(&board, ALICE).trouble.clone().unwrap_or_default();
    assert!(trouble.contains("Catch-up sync"), "{board:?}");
    assert!(person(&board, ALICE).catch_ups == 0, "{board:?}");
    let asks = sink
        .emails()
        .await
        .into_iter()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
        .count();
    assert_eq!(asks, 1);
}
