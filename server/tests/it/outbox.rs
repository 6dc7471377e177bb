//! Status emails through the outbox and a real SMTP sink: an email written while SMTP is down waits,
//! is retried later, and arrives whole (text and HTML parts); nothing is lost and nothing sent twice.

use crate::support::smtp::SmtpSink;
use crate::support::{free_port, fresh_database, Backend};
use sea_orm::{ConnectionTrait, EntityTrait};
use server::config::EmailConfig;
use server::db::entity::outbox;
use server::notify::emails;
use server::notify::outbox::{enqueue, About};
use server::notify::Mailer;

#[tokio::test]
async fn an_email_written_while_smtp_is_down_is_sent_later_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = server::db::connect(&fresh_database(Backend::Sqlite, &dir).await)
        .await
        .unwrap();
    let smtp_port = free_port();
    let mailer = Mailer::new(&EmailConfig {
        smtp_url: format!("smtp://127.0.0.1:{smtp_port}"),
        from: "Mail move <mail-move@example.org>".into(),
        ca_file: None,
    })
    .unwrap();
    let email = emails::needs_attention(
        &emails::Templates::builtin(),
        "Alice Archer",
        "INBOX: 1 message(s) could not be copied",
        "http://127.0.0.1:3000/me",
    )
    .unwrap();
    let about = About {
        user_id: None,
        request_id: None,
        recipient: "alice.archer@example.org",
    };
    enqueue(&db, about, email).await.unwrap();

    // SMTP is down: nothing is sent, the failure is recorded, the email stays.
    assert_eq!(mailer.send_due(&db).await.unwrap(), 0);
    let row = outbox::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_none());
    assert!(row.last_error.is_some(), "{row:?}");

    let sink = SmtpSink::start_on(smtp_port).await;
    // Not due yet: the retry waits.
    assert_eq!(mailer.send_due(&db).await.unwrap(), 0);
    // Once the pause has passed, it goes out, once.
    let later = server::db::now() + 3600;
    assert_eq!(mailer.send_due_as_of(&db, later).await.unwrap(), 1);
    assert_eq!(mailer.send_due_as_of(&db, later + 3600).await.unwrap(), 0);
    let mail = sink.wait_for("needs attention", 10).await;
    assert_eq!(mail["to"][0]["address"], "alice.archer@example.org");
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .contains("Nothing has been lost"));
    assert!(mail["html"]
        .as_str()
        .unwrap()
        .contains("<a href=\"http://127.0.0.1:3000/me\">"));
    assert_eq!(sink.emails().await.len(), 1);
    let row = outbox::Entity::find().one(&db).await.unwrap().unwrap();
    assert!(row.sent_at.is_some());
}

/// An SMTP server that refuses mailboxes starting with "nobody" at RCPT (550 5.1.1), stopped when
/// dropped.
struct RefusingSmtp {
    port: u16,
    _child: tokio::process::Child,
}

impl RefusingSmtp {
    async fn start() -> RefusingSmtp {
        let port = free_port();
        let child = tokio::process::Command::new("python3")
            .arg(crate::support::repo_root().join("server/rig/smtp-refuse.py"))
            .arg(port.to_string())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return RefusingSmtp {
                    port,
                    _child: child,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("smtp-refuse.py did not start");
    }
}

#[tokio::test]
async fn emails_refused_for_good_or_tried_too_often_are_given_up_and_the_helpdesk_sees_them() {
    let app = crate::support::TestApp::spawn(Backend::Sqlite).await;
    let db = app.db().await;
    let smtp = RefusingSmtp::start().await;
    let mailer = Mailer::new(&EmailConfig {
        smtp_url: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "Mail move <mail-move@example.org>".into(),
        ca_file: None,
    })
    .unwrap();
    let templates = emails::Templates::builtin();
    let write = |to: &'static str| {
        let email = emails::needs_attention(&templates, "Someone", "INBOX", "http://x/me").unwrap();
        let db = db.clone();
        async move {
            let about = About {
                user_id: None,
                request_id: None,
                recipient: to,
            };
            enqueue(&db, about, email).await.unwrap();
        }
    };
    write("nobody.here@example.org").await;
    write("not an address").await;
    write("alice.archer@example.org").await;
    write("relay.test@example.org").await;

    // The refusal of that mailbox and the bad address end at once; the good one goes; a refusal
    // that is about the relay (relaying denied) would refuse anyone, and waits to be tried again.
    assert_eq!(mailer.send_due(&db).await.unwrap(), 1);
    let rows = outbox::Entity::find().all(&db).await.unwrap();
    for row in &rows {
        assert_eq!(row.attempts, 1, "{row:?}");
        match row.recipient.as_str() {
            "alice.archer@example.org" => {
                assert!(row.sent_at.is_some() && row.gave_up_at.is_none())
            }
            "relay.test@example.org" => assert!(
                row.sent_at.is_none()
                    && row.gave_up_at.is_none()
                    && row.next_attempt_at >= row.created_at + 15
                    && row
                        .last_error
                        .as_deref()
                        .unwrap_or_default()
                        .contains("Relay access denied"),
                "{row:?}"
            ),
            _ => assert!(row.gave_up_at.is_some() && row.sent_at.is_none(), "{row:?}"),
        }
    }
    let refused = rows
        .iter()
        .find(|r| r.recipient.starts_with("nobody"))
        .unwrap();
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("User unknown"),
        "{refused:?}"
    );
    // Never tried again, however late (the relay's refusal is: that is its second attempt).
    let much_later = server::db::now() + 30 * 86_400;
    assert_eq!(mailer.send_due_as_of(&db, much_later).await.unwrap(), 0);
    let again = outbox::Entity::find().all(&db).await.unwrap();
    for row in &again {
        let expected = if row.recipient.starts_with("relay") {
            2
        } else {
            1
        };
        assert_eq!(row.attempts, expected, "{row:?}");
    }

    // A relay down for a day: each failure is retried, until the last allowed attempt.
    let down = Mailer::new(&EmailConfig {
        smtp_url: format!("smtp://127.0.0.1:{}", free_port()),
        from: "Mail move <mail-move@example.org>".into(),
        ca_file: None,
    })
    .unwrap();
    write("bob.baker@example.org").await;
    assert_eq!(down.send_due(&db).await.unwrap(), 0);
    let bob = |rows: Vec<outbox::Model>| {
        rows.into_iter()
            .find(|r| r.recipient == "bob.baker@example.org")
            .unwrap()
    };
    let first = bob(outbox::Entity::find().all(&db).await.unwrap());
    assert!(
        first.gave_up_at.is_none() && first.attempts == 1,
        "{first:?}"
    );
    db.execute_unprepared(&format!(
        "UPDATE outbox SET attempts = {} WHERE id = {}",
        server::notify::outbox::MAX_ATTEMPTS - 1,
        first.id
    ))
    .await
    .unwrap();
    assert_eq!(down.send_due_as_of(&db, much_later).await.unwrap(), 0);
    let last = bob(outbox::Entity::find().all(&db).await.unwrap());
    assert!(last.gave_up_at.is_some(), "{last:?}");
    assert_eq!(last.attempts, server::notify::outbox::MAX_ATTEMPTS);

    // The helpdesk's queue lists the three given up on, newest first, with what the server said.
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let (status, body) = app.call(&hana, "helpdesk_triage", &[]).await;
    assert_eq!(status, 200, "{body}");
    let triage: app::dto::Triage = serde_json::from_str(&body).unwrap();
    let to: Vec<&str> = triage.undelivered.iter().map(|e| e.to.as_str()).collect();
    assert_eq!(to.len(), 3, "{to:?}");
    assert_eq!(to[0], "bob.baker@example.org", "{to:?}");
    assert!(to.contains(&"nobody.here@example.org") && to.contains(&"not an address"));
    assert!(triage.undelivered.iter().all(|e| !e.why.is_empty()));
    // People without the helpdesk role do not see them.
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let (status, _) = app.call(&alice, "helpdesk_triage", &[]).await;
    assert_eq!(status, 403);
}
