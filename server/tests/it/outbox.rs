//! Status emails through the outbox and a real SMTP sink: an email written while SMTP is down waits,
//! is retried later, and arrives whole (text and HTML parts); nothing is lost and nothing sent twice.

use crate::support::smtp::SmtpSink;
use crate::support::{free_port, fresh_database, Backend};
use sea_orm::EntityTrait;
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
