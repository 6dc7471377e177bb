//! The test rig itself: the repo's scripts start real Dovecot servers (old layout, new layout with a
//! master user), a real Cyrus IMAP (admin proxy) and a real SMTP sink, on private ports, and stop them.

use std::time::Duration;

use crate::support::servers::{Cyrus, Dovecot};
use crate::support::smtp::SmtpSink;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Sends IMAP commands (tagged t1, t2, …) and returns everything the server said up to the last tagged reply.
async fn imap(port: u16, commands: &[&str]) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut transcript = String::new();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        transcript.push_str(&line);
        transcript.push('\n');
        // Dovecot may first say it is waiting for its auth process; the greeting proper follows.
        if line.starts_with("* OK") && !line.contains("Waiting for authentication") {
            break;
        }
    }
    for (i, command) in commands.iter().enumerate() {
        let tag = format!("t{}", i + 1);
        write
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .unwrap();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            transcript.push_str(&line);
            transcript.push('\n');
            if line.starts_with(&format!("{tag} ")) {
                break;
            }
        }
    }
    transcript
}

#[tokio::test]
async fn old_dovecot_has_the_cyrus_like_layout() {
    let old = Dovecot::start("old", None);
    let t = imap(
        old.port,
        &[
            "LOGIN alice alice-old",
            "CREATE INBOX.Projects",
            "LIST \"\" \"*\"",
            "LOGOUT",
        ],
    )
    .await;
    assert!(t.contains("t1 OK"), "{t}");
    assert!(t.contains("\".\" INBOX.Projects"), "{t}");
    let bad = imap(old.port, &["LOGIN alice wrong-password"]).await;
    assert!(bad.contains("t1 NO"), "{bad}");
}

#[tokio::test]
async fn new_dovecot_has_special_use_folders_and_a_master_user() {
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    let t = imap(
        new.port,
        &[
            "LOGIN alice*admin admin-pass",
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)",
            "LOGOUT",
        ],
    )
    .await;
    assert!(t.contains("t1 OK"), "{t}");
    for (flag, name) in [
        ("\\Sent", "Sent"),
        ("\\Drafts", "Drafts"),
        ("\\Trash", "Trash"),
        ("\\Junk", "Junk"),
        ("\\Archive", "Archive"),
    ] {
        assert!(
            t.contains(&format!("({flag}) \"/\" {name}")),
            "{flag} missing: {t}"
        );
    }
    assert!(t.contains("UIDPLUS") && t.contains("MULTIAPPEND"), "{t}");
}

#[tokio::test]
async fn cyrus_serves_users_and_admin_proxy() {
    use base64::Engine;
    let cyrus = Cyrus::start();
    let t = imap(
        cyrus.port,
        &[
            "LOGIN alice alice-old",
            "CREATE INBOX.Projects",
            "LIST \"\" \"*\"",
            "LOGOUT",
        ],
    )
    .await;
    assert!(t.contains("Cyrus IMAP 3."), "{t}");
    assert!(
        t.contains("t2 OK") && t.contains("\".\" INBOX.Projects"),
        "{t}"
    );

    // The admin logs in as bob (SASL PLAIN with authzid) and sees bob's mailbox, not its own.
    let proxy = base64::engine::general_purpose::STANDARD.encode("bob\0cyradmin\0cyradmin-pass");
    let t = imap(
        cyrus.port,
        &[
            &format!("AUTHENTICATE PLAIN {proxy}"),
            "SELECT INBOX",
            "LOGOUT",
        ],
    )
    .await;
    assert!(t.contains("t1 OK") && t.contains("t2 OK"), "{t}");

    let bad = imap(cyrus.port, &["LOGIN alice wrong-password"]).await;
    assert!(bad.contains("t1 NO"), "{bad}");
}

#[tokio::test]
async fn smtp_sink_shows_what_was_sent() {
    let sink = SmtpSink::start().await;
    let smtp = sink.smtp_port;
    let stream = TcpStream::connect(("127.0.0.1", smtp)).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut expect = async |code: &str| loop {
        let line = lines.next_line().await.unwrap().unwrap();
        assert!(line.starts_with(code), "expected {code}, got {line}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    };
    expect("220").await;
    for (send, code) in [
        ("EHLO rig.test\r\n", "250"),
        ("MAIL FROM:<fountain@example.org>\r\n", "250"),
        ("RCPT TO:<alice.archer@example.org>\r\n", "250"),
        ("DATA\r\n", "354"),
        ("To: Alice <alice.archer@example.org>\r\nSubject: Your migration has started\r\n\r\nHello Alice.\r\n.\r\n", "250"),
    ] {
        write.write_all(send.as_bytes()).await.unwrap();
        expect(code).await;
    }
    // The sink stores the message just after it answers 250.
    let mail = sink.wait_for("Your migration has started", 10).await;
    assert_eq!(mail["to"][0]["address"], "alice.archer@example.org");
}
