//! Per-person destinations on real servers: one IT-run wave whose people go to two destination
//! Dovecots (the default new server, and a second one named in the wave file or chosen by IT on the
//! page). Each person's mail lands only on their own destination; IT pausing the second server holds
//! only its people; the done email carries the second server's client settings; a destination no
//! longer changes once someone's migration has started.
use std::time::{Duration, Instant};

use crate::support::flow::{Portal, MASTER};
use crate::support::servers::Dovecot;
use crate::support::TestApp;
use crate::waves::{command as run, fountain, master_portal_with, show, OLD_ADMIN};

const CAROL: &str = "carol.cole@example.org";
const DAN: &str = "dan.duarte@example.org";
const ERIN: &str = "erin.east@example.org";

fn message(id: &str, subject: &str) -> Vec<u8> {
    format!(
        "Message-ID: <{id}@destinations.test>\r\nFrom: someone@partner.example\r\nSubject: {subject}\r\n\r\n{subject}\r\n"
    )
    .into_bytes()
}

/// The state of the person's request, if they have one.
async fn state_of(db: &sea_orm::DatabaseConnection, email: &str) -> Option<String> {
    crate::waves::request_of(db, email)
        .await
        .map(|(state, _)| state)
}

async fn until(what: &str, secs: u64, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn set_second(app: &TestApp, ivan: &reqwest::Client, paused: bool) {
    let mut form = vec![
        ("server", "second"),
        ("max_connections", "3"),
        ("max_mb_per_sec", ""),
        ("reason", "Second server's indexing backlog"),
    ];
    if paused {
        form.push(("claims_paused", "true"));
    }
    let (status, body) = app.call(ivan, "set_server_limits", &form).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_wave_copies_each_person_to_their_own_destination() {
    let old = Dovecot::start_for(
        "carol.cole:x\ndan.duarte:x\nerin.east:x\n",
        "old",
        Some(OLD_ADMIN),
        &[],
    );
    for (login, n) in [("carol.cole", 3), ("dan.duarte", 4), ("erin.east", 2)] {
        for i in 0..n {
            old.save(
                login,
                "INBOX",
                &message(&format!("{login}-{i}"), "Quartalszahlen"),
            );
        }
    }
    old.save(
        "dan.duarte",
        "INBOX.Projekte Zürich",
        &message("dz", "Ausschreibung"),
    );
    let second = Dovecot::start_for(
        "carol.cole@example.org:x\ndan.duarte@example.org:x\nerin.east@example.org:x\n",
        "new",
        Some(MASTER),
        &[],
    );
    let second_url = format!("imap://127.0.0.1:{}", second.port);
    let Portal { app, new, sink } = master_portal_with(
        &old,
        &[
            (
                "FOUNTAIN__MIGRATION__DESTINATIONS__SECOND__URL",
                &second_url,
            ),
            ("FOUNTAIN__MIGRATION__DESTINATIONS__SECOND__AUTH", "master"),
            ("FOUNTAIN__MIGRATION__DESTINATIONS__SECOND__ADMIN", MASTER.0),
            (
                "FOUNTAIN__MIGRATION__DESTINATIONS__SECOND__ADMIN_PASSWORD",
                MASTER.1,
            ),
            (
                "FOUNTAIN__MIGRATION__DESTINATIONS__SECOND__LOGIN",
                "{email}",
            ),
            (
                "FOUNTAIN__MIGRATION__DESTINATIONS__SECOND__CLIENT__IMAP_HOST",
                "imap.second.example.org",
            ),
        ],
    )
    .await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;

    // A destination the configuration does not name is refused with the names there are.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("email,destination\n{DAN},exchange\n")).unwrap();
    let out = fountain(&app, &["import", bad.to_str().unwrap(), "--wave", "Lab"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("unknown destination server \"exchange\"")
            || String::from_utf8_lossy(&out.stderr)
                .contains("unknown destination server \"exchange\""),
        "{out:?}"
    );

    // Dan goes to the second server by the wave file; Erin by IT on the page; Carol by default.
    let file = dir.path().join("lab.csv");
    std::fs::write(
        &file,
        format!(
            "email,old_login,destination\n{CAROL},carol.cole,\n{DAN},dan.duarte,second\n{ERIN},erin.east,\n"
        ),
    )
    .unwrap();
    let out = fountain(&app, &["import", file.to_str().unwrap(), "--wave", "Lab"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (status, body) = app
        .call(
            &ivan,
            "set_destination",
            &[("people", ERIN), ("destination", "second")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let outcome: app::dto::DestinationOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!((outcome.set, outcome.refused.len()), (1, 0), "{outcome:?}");
    let (status, body) = app
        .call(
            &ivan,
            "set_destination",
            &[("people", ERIN), ("destination", "exchange")],
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // IT holds the second server (its indexing is behind): its people wait, Carol goes on.
    set_second(&app, &ivan, true).await;
    for args in [
        vec!["set", "Lab", "--mode", "it-run", "--concurrency", "3"],
        vec!["start", "Lab"],
    ] {
        let out = fountain(&app, &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
    let db = app.db().await;
    until("Carol's copy to the default server", 120, async || {
        state_of(&db, CAROL).await.as_deref() == Some("done")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for waiting in [DAN, ERIN] {
        assert_eq!(
            state_of(&db, waiting).await.as_deref(),
            Some("queued"),
            "{waiting} went ahead while their server was held"
        );
    }

    // Released, they go to the second server; the wave finishes.
    set_second(&app, &ivan, false).await;
    until("the wave", 180, async || {
        show(&app, "Lab")["wave"]["state"] == "finished"
    })
    .await;
    assert_eq!(new.messages_in(CAROL, "INBOX"), 3);
    assert_eq!(second.messages_in(CAROL, "INBOX"), 0);
    assert_eq!(second.messages_in(DAN, "INBOX"), 4);
    assert_eq!(second.messages_in(DAN, "Projekte Zürich"), 1);
    assert_eq!(second.messages_in(ERIN, "INBOX"), 2);
    for elsewhere in [DAN, ERIN] {
        assert_eq!(new.messages_in(elsewhere, "INBOX"), 0, "{elsewhere}");
    }

    // Dan's done email tells him the second server's settings.
    let done = sink.wait_for_n("Your mailbox has been copied", 3, 30).await;
    let to_dan = done
        .iter()
        .find(|m| m["to"].to_string().contains(DAN))
        .expect("Dan's done email");
    assert!(
        to_dan["text"]
            .as_str()
            .unwrap()
            .contains("imap.second.example.org"),
        "{to_dan}"
    );
    let to_carol = done
        .iter()
        .find(|m| m["to"].to_string().contains(CAROL))
        .expect("Carol's done email");
    assert!(
        !to_carol["text"]
            .as_str()
            .unwrap()
            .contains("imap.second.example.org"),
        "{to_carol}"
    );

    // Who goes where, and a destination that no longer changes once copied.
    let out = run(&app, &["destinations", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let board: app::dto::DestinationBoard = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(board.configured.len(), 1);
    let listed: Vec<(&str, &str, bool)> = board
        .people
        .iter()
        .map(|p| (p.email.as_str(), p.destination.as_str(), p.started))
        .collect();
    assert!(listed.contains(&(DAN, "second", true)), "{listed:?}");
    assert!(listed.contains(&(ERIN, "second", true)), "{listed:?}");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let out = run(
        &app,
        &["destinations", "set", "--to", "default", "--person", DAN],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("their migration has started"),
        "{out:?}"
    );
    assert_eq!(
        app::dto::DestinationName::parse("second").ok(),
        destination_of(&db, DAN).await
    );
}

async fn destination_of(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> Option<app::dto::DestinationName> {
    server::jobs::destinations::of_person(db, email)
        .await
        .unwrap()
}
