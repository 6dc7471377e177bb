//! The engine's IMAP adapter against real servers: old Dovecot (Cyrus-like layout) → new Dovecot
//! (master user), and Cyrus through its admin proxy. Bodies byte-exact, flags and dates kept, reading
//! never marks anything seen, and the destination transcript never asks to delete anything.

use crate::support::assert_never_deletes;
use crate::support::servers::{local_endpoint, Cyrus, Dovecot};
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Destination, Endpoint, ImapError, Outgoing, Source};
use server::engine::plan::folders::SpecialUse;

fn login(user: &str, password: &str) -> Credentials {
    Credentials::Login {
        user: user.into(),
        password: password.into(),
    }
}

/// A message with 8-bit header text, a long body and CRLF line ends.
fn message(n: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Émile <emile@example.org>\r\nTo: alice@example.org\r\nSubject: Réunion n°{n}\r\n\
         Date: Tue, 3 Mar 2009 10:00:00 +0100\r\nMessage-ID: <m{n}@example.org>\r\n\r\n"
    )
    .into_bytes();
    for line in 0..(50 * n + 1) {
        m.extend_from_slice(format!("line {line} of message {n}\r\n").as_bytes());
    }
    m
}

#[tokio::test]
async fn old_dovecot_to_new_dovecot_byte_exact() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    let originals: Vec<Vec<u8>> = (1..=3).map(message).collect();
    for m in &originals {
        old.save("alice", "INBOX.Projects", m);
    }

    let mut source = Source::connect(
        &local_endpoint(old.port),
        &login("alice", "alice-old"),
        Transcript::default(),
    )
    .await
    .unwrap();
    let folders = source.list().await.unwrap();
    let projects = folders
        .iter()
        .find(|f| f.wire_name == "INBOX.Projects")
        .expect("listed");
    assert_eq!(projects.separator, Some('.'));
    assert!(projects.selectable);
    let status = source.status("INBOX.Projects").await.unwrap();
    assert_eq!(status.messages, 3);

    let examined = source.examine("INBOX.Projects").await.unwrap();
    assert_eq!(examined.uid_validity, status.uid_validity);
    let listed = source.list_messages().await.unwrap();
    assert_eq!(
        listed.iter().map(|l| l.size).collect::<Vec<_>>(),
        originals.iter().map(|m| m.len() as u64).collect::<Vec<_>>()
    );
    let fetched = source.fetch("1:*").await.unwrap();
    assert_eq!(fetched.len(), 3);
    for (f, original) in fetched.iter().zip(&originals) {
        assert_eq!(&f.body, original, "body of UID {} is not byte-exact", f.uid);
        assert!(f.internal_date.is_some());
        assert!(
            !f.flags.iter().any(|x| x == "\\Seen"),
            "reading must not mark as seen: {:?}",
            f.flags
        );
    }
    // And a second look still shows them unseen.
    let again = source.fetch("1:*").await.unwrap();
    assert!(again.iter().all(|f| !f.flags.iter().any(|x| x == "\\Seen")));
    source.logout().await;

    let audit = Transcript::default();
    let master = Credentials::Master {
        user: "alice".into(),
        master: "admin".into(),
        password: "admin-pass".into(),
    };
    let mut dest = Destination::connect(&local_endpoint(new.port), &master, audit.clone())
        .await
        .unwrap();
    assert!(
        dest.capabilities.iter().any(|c| c == "UIDPLUS"),
        "{:?}",
        dest.capabilities
    );
    let dest_folders = dest.list().await.unwrap();
    assert!(dest_folders
        .iter()
        .any(|f| f.wire_name == "Sent" && f.special_use == Some(SpecialUse::Sent)));
    dest.create("Projects").await.unwrap();
    dest.create("Projects").await.unwrap(); // already there: fine
    let date = "01-Feb-2009 23:59:59 -0800";
    let mut uids = Vec::new();
    for f in &fetched {
        let flags = vec!["\\Flagged".to_owned(), "$Label1".to_owned()];
        let appended = dest
            .append("Projects", &flags, Some(date), &f.body)
            .await
            .unwrap()
            .expect("APPENDUID");
        uids.push(appended.uid);
    }
    assert_eq!(uids.len(), 3);
    // MULTIAPPEND: all at once, UIDs reported in order.
    assert!(dest.can_append_many());
    let batch: Vec<Vec<u8>> = (4..=6).map(message).collect();
    let outgoing: Vec<Outgoing<'_>> = batch
        .iter()
        .map(|b| Outgoing {
            flags: &[],
            internal_date: None,
            body: b,
        })
        .collect();
    let batch_uids = dest.append_many("Projects", &outgoing).await.unwrap();
    assert_eq!(batch_uids.len(), 3);
    let first = batch_uids[0].expect("APPENDUID");
    assert_eq!(
        batch_uids,
        vec![Some(first), Some(first + 1), Some(first + 2)]
    );
    let refused = dest
        .append(
            "Projects",
            &["\\Deleted".to_owned()],
            None,
            b"Subject: x\r\n\r\nx\r\n",
        )
        .await;
    assert!(
        matches!(refused, Err(ImapError::Refused { .. })),
        "{refused:?}"
    );
    // Flag updates: carried ones go through, `\\Deleted` never leaves the process.
    dest.open_folder("Projects", true).await.unwrap();
    let mut change = server::engine::plan::flags::FlagChange::default();
    change.add.push("\\Seen".into());
    change.remove.push("$Label1".into());
    dest.store_flags(&uids[0].to_string(), &change)
        .await
        .unwrap();
    for bad in ["\\Deleted", "\\deleted"] {
        let mut deleting = server::engine::plan::flags::FlagChange::default();
        deleting.add.push(bad.into());
        let refused = dest.store_flags(&uids[1].to_string(), &deleting).await;
        assert!(
            matches!(refused, Err(ImapError::Refused { .. })),
            "{refused:?}"
        );
    }
    assert_eq!(dest.status("Projects").await.unwrap().messages, 6);
    dest.logout().await;
    let transcript = audit.text();
    assert_never_deletes(&transcript);
    assert!(transcript.contains("APPEND \"Projects\""), "{transcript}");
    assert!(
        !transcript.contains("admin-pass"),
        "secret in transcript: {transcript}"
    );

    // Read back from the destination: same bytes, flags and date.
    let mut check = Source::connect(&local_endpoint(new.port), &master, Transcript::default())
        .await
        .unwrap();
    check.examine("Projects").await.unwrap();
    let copies = check
        .fetch(
            &uids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        )
        .await
        .unwrap();
    assert_eq!(copies.len(), 3);
    for (i, (copy, original)) in copies.iter().zip(&originals).enumerate() {
        assert_eq!(&copy.body, original);
        assert!(
            copy.flags.contains(&"\\Flagged".to_owned()),
            "{:?}",
            copy.flags
        );
        // The first one's flags were changed after the copy: +\\Seen -$Label1.
        assert_eq!(
            copy.flags.contains(&"$Label1".to_owned()),
            i != 0,
            "{:?}",
            copy.flags
        );
        assert_eq!(
            copy.flags.contains(&"\\Seen".to_owned()),
            i == 0,
            "{:?}",
            copy.flags
        );
        // The same instant: Dovecot keeps INTERNALDATE as a timestamp and answers in its own zone (UTC).
        assert_eq!(
            copy.internal_date.as_deref(),
            Some("02-Feb-2009 07:59:59 +0000")
        );
    }
}

#[tokio::test]
async fn cyrus_admin_proxy_reads_and_writes_a_users_mailbox() {
    let cyrus = Cyrus::start();
    let proxy = Credentials::Proxy {
        user: "bob".into(),
        admin: "cyradmin".into(),
        password: "cyradmin-pass".into(),
    };
    let audit = Transcript::default();
    let mut dest = Destination::connect(&local_endpoint(cyrus.port), &proxy, audit.clone())
        .await
        .unwrap();
    dest.create("INBOX.Archive 2019").await.unwrap();
    let original = message(7);
    let appended = dest
        .append("INBOX.Archive 2019", &["\\Seen".into()], None, &original)
        .await
        .unwrap();
    assert!(appended.is_some(), "Cyrus has UIDPLUS");
    dest.logout().await;
    assert_never_deletes(&audit.text());
    assert!(!audit.text().contains("cyradmin-pass"));

    let mut source = Source::connect(&local_endpoint(cyrus.port), &proxy, Transcript::default())
        .await
        .unwrap();
    let folders = source.list().await.unwrap();
    assert!(
        folders.iter().any(|f| f.wire_name == "INBOX.Archive 2019"),
        "{folders:?}"
    );
    source.examine("INBOX.Archive 2019").await.unwrap();
    let fetched = source.fetch("1:*").await.unwrap();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].body, original);
    assert!(fetched[0].flags.contains(&"\\Seen".to_owned()));
}

#[tokio::test]
async fn wrong_password_and_unreachable_server_are_explained() {
    let old = Dovecot::start("old", None);
    let err = Source::connect(
        &local_endpoint(old.port),
        &login("alice", "nope"),
        Transcript::default(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(err, ImapError::Auth { .. }), "{err:?}");
    assert!(
        err.to_string().contains("Check the user name and password"),
        "{err}"
    );
    assert!(!err.is_transient());

    let closed = crate::support::free_port();
    let err = Source::connect(
        &local_endpoint(closed),
        &login("alice", "x"),
        Transcript::default(),
    )
    .await
    .err()
    .unwrap();
    assert!(
        matches!(err, ImapError::Connect { .. }) && err.is_transient(),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_reply_over_the_bound_is_refused_not_buffered() {
    let old = Dovecot::start("old", None);
    // Dovecot's NAMESPACE reply is about 70 bytes: a 32-byte bound refuses it.
    let tight = Endpoint {
        max_reply_bytes: 32,
        ..local_endpoint(old.port)
    };
    let err = Source::connect(&tight, &login("alice", "alice-old"), Transcript::default())
        .await
        .err()
        .expect("the reply is over the bound");
    assert!(
        matches!(&err, ImapError::Lost { detail, .. } if detail.contains("over 32 bytes")),
        "{err}"
    );
    // With the default bound the same server is fine.
    Source::connect(
        &local_endpoint(old.port),
        &login("alice", "alice-old"),
        Transcript::default(),
    )
    .await
    .unwrap()
    .logout()
    .await;
}
