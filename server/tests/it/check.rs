//! `fountain check` against real parts: the identity provider and the SMTP server behind an internal
//! CA (trusted through `auth.ca_file` and `email.ca_file`, refused without them), each IMAP server
//! with the administrator's login for a person, and a failing part named with why.
use crate::support::flow::{portal, Portal};
use crate::support::idp::Idp;
use crate::support::servers::Dovecot;
use crate::support::smtp::SmtpSink;
use crate::support::{fresh_database, Backend};

#[tokio::test]
async fn check_trusts_internal_cas_and_names_each_failing_part() {
    let old = Dovecot::start("old", None);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(old.port, &[]).await;
    // An organisation's provider and relay, their certificates signed by its own CA.
    let (certificates, _) = Dovecot::start_tls("old");
    let ca = certificates.ca_file();
    let tls = ca.parent().unwrap();
    let (cert, key) = (tls.join("cert.pem"), tls.join("key.pem"));
    let idp = Idp::start_tls(&cert, &key).await;
    let relay = SmtpSink::start_tls(&cert, &key).await;
    let smtps = format!("smtps://127.0.0.1:{}", relay.smtp_port);
    let ca = ca.to_str().unwrap();
    let internal = [
        ("FOUNTAIN__AUTH__ISSUER", idp.issuer.as_str()),
        ("FOUNTAIN__EMAIL__SMTP_URL", smtps.as_str()),
    ];
    let trusted = [
        internal[0],
        internal[1],
        ("FOUNTAIN__AUTH__CA_FILE", ca),
        ("FOUNTAIN__EMAIL__CA_FILE", ca),
    ];

    let (ok, out) = app.check(&trusted, &["--mailbox", "alice.archer@example.org"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("ok    identity provider {}", idp.issuer)),
        "{out}"
    );
    assert!(out.contains(&format!("ok    SMTP {smtps}")), "{out}");
    assert!(
        out.contains("administrator logged in for alice.archer@example.org"),
        "{out}"
    );
    assert!(
        out.contains("people log in with their own passwords"),
        "{out}"
    );

    // Sending through the relay trusts the same CA file (an outbox of its own: the portal's workers
    // send theirs elsewhere). Before the refusals below: the relay stops at a failed handshake.
    let dir = tempfile::tempdir().unwrap();
    let db = server::db::connect(&fresh_database(Backend::Sqlite, &dir).await)
        .await
        .unwrap();
    let email = server::notify::emails::needs_attention(
        &server::notify::emails::Templates::builtin(),
        "Alice Archer",
        "INBOX",
        "http://127.0.0.1:3000/me",
    )
    .unwrap();
    let about = server::notify::outbox::About {
        user_id: None,
        request_id: None,
        recipient: "alice.archer@example.org",
    };
    server::notify::outbox::enqueue(&db, about, email)
        .await
        .unwrap();
    let mailer = server::notify::Mailer::new(&server::config::EmailConfig {
        smtp_url: smtps.clone(),
        from: "Mail move <mail-move@example.org>".into(),
        ca_file: Some(ca.into()),
    })
    .unwrap();
    assert_eq!(mailer.send_due(&db).await.unwrap(), 1);
    relay.wait_for("needs attention", 10).await;

    // Without the CA files, both are refused by name, and nothing else is.
    let (ok, out) = app.check(&internal, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL  identity provider https://"), "{out}");
    for part in ["identity provider", "SMTP"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("FAIL  {part}")))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.to_lowercase().contains("certificate"), "{line}");
    }
    assert!(out.contains(&format!("FAIL  SMTP {smtps}")), "{out}");
    assert!(out.contains("2 check(s) failed"), "{out}");

    // A wrong administrator password fails that server's line, with the server's refusal.
    let wrong = [
        trusted[0],
        trusted[1],
        trusted[2],
        trusted[3],
        ("FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN_PASSWORD", "not-it"),
    ];
    let (ok, out) = app.check(&wrong, &["--mailbox", "alice.archer@example.org"]);
    assert!(!ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("FAIL  new IMAP server"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("alice.archer@example.org"), "{line}");
    assert!(!out.contains("not-it"), "the password leaked: {out}");
}
