//! A mailbox the new server refuses part of: an old Dovecot holding two messages with a line in their
//! headers that is not a header (one of them an mbox export's `>From ` line), copied through the
//! portal into a strict Cyrus (admin proxy, logins from the email's local part) that refuses both.
use app::dto::{RequestId, RequestState};

use super::flow::{portal, Portal};
use super::servers::{Cyrus, Dovecot};

pub const BAD_HEADER: &[u8] = b"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>\r\n\
Subject: =?UTF-8?Q?R=C3=A9sum=C3=A9_de_la_r=C3=A9union?=\r\n\
Date: Tue, 1 Dec 2026 10:00:00 +0100\r\n\
this line is not a header\r\n\
\r\n\
body\r\n";
pub const MBOX_LINE: &[u8] = b"From: Mia <mia@example.org>\r\nSubject: Old mbox export\r\n\
Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n>From mia@example.org Mon Nov 30 09:00:00 2026\r\n\r\nbody\r\n";
pub const FINE: &[u8] = b"From: a@example.org\r\nSubject: fine\r\n\r\nfine\r\n";

pub struct Refused {
    pub old: Dovecot,
    pub cyrus: Cyrus,
    pub portal: Portal,
    /// Signed in as alice, whose request needs attention.
    pub alice: reqwest::Client,
    pub request: RequestId,
}

/// alice's copy into the strict Cyrus, run until it needs attention for the two refused messages.
pub async fn refused_mailbox() -> Refused {
    refused_mailbox_for(&[]).await
}

/// As [`refused_mailbox`], the strict Cyrus also holding the mailboxes of `others` (its users-file
/// lines), to copy into later.
pub async fn refused_mailbox_for(others: &[&str]) -> Refused {
    let old = Dovecot::start("old", None);
    old.save("alice", "INBOX", FINE);
    old.save("alice", "INBOX", BAD_HEADER);
    old.save("alice", "INBOX", MBOX_LINE);
    let cyrus = Cyrus::start_for(&format!("alice.archer:x\n{}", others.concat()), true);
    let new_url = format!("imap://127.0.0.1:{}", cyrus.port);
    let portal = portal(
        old.port,
        &[
            ("FOUNTAIN__MIGRATION__NEW_SERVER__URL", new_url.as_str()),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__AUTH", "proxy"),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN", "cyradmin"),
            (
                "FOUNTAIN__MIGRATION__NEW_SERVER__ADMIN_PASSWORD",
                "cyradmin-pass",
            ),
            ("FOUNTAIN__MIGRATION__NEW_SERVER__LOGIN", "{localpart}"),
        ],
    )
    .await;
    let app = &portal.app;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    let ended = app.until_ended(&alice, 90).await;
    assert_eq!(
        ended.state,
        RequestState::NeedsAttention,
        "{ended:?}\n{}",
        app.log()
    );
    Refused {
        old,
        cyrus,
        request: ended.id,
        alice,
        portal,
    }
}
