//! XOAUTH2 against a real Dovecot that accepts only what the real IdP vouches for (it asks the IdP's
//! userinfo endpoint about every token): like an Exchange Online destination that takes bearer tokens.

use std::time::Duration;

use crate::support::copying::{copy_args, copy_in_background, folder};
use crate::support::servers::Dovecot;
use crate::support::Idp;
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Destination, Endpoint, ImapError};

const REDIRECT: &str = "http://127.0.0.1:3999/auth/callback";

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        timeout: Duration::from_secs(30),
        ..Endpoint::new("127.0.0.1", port)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_from_the_idp_open_the_destination() {
    let idp = Idp::start(REDIRECT).await;
    let userinfo = format!("{}/me", idp.issuer);
    let new = Dovecot::start_with("new", None, &[("DOVECOT_OAUTH2_URL", &userinfo)]);
    let old = Dovecot::start("old", None);
    old.save(
        "alice",
        "INBOX.Projects",
        b"From: a@example.org\r\nSubject: via a token\r\n\r\nhello\r\n",
    );
    let token = idp.access_token(REDIRECT, "alice", "alice-pass").await;

    // The adapter logs in with the token, and the transcript never shows it.
    let transcript = Transcript::default();
    let alice = Credentials::XOAuth2 {
        user: "alice".into(),
        token: token.clone(),
    };
    let mut dest = Destination::connect(&endpoint(new.port), &alice, transcript.clone())
        .await
        .unwrap();
    assert!(dest
        .list()
        .await
        .unwrap()
        .iter()
        .any(|f| f.wire_name == "INBOX"));
    dest.logout().await;
    let text = transcript.text();
    assert!(text.contains("AUTHENTICATE XOAUTH2"), "{text}");
    assert!(!text.contains(&token), "token in transcript: {text}");

    // `fountain copy --dest-auth xoauth2` takes the token where a password would go.
    let dir = tempfile::tempdir().unwrap();
    let args = copy_args(
        old.port,
        "alice",
        new.port,
        "xoauth2",
        &dir.path().join("j.db"),
    );
    let (code, report, stderr) = copy_in_background(args, "alice-old", &token).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        folder(&report, "INBOX.Projects")["copied_now"],
        1,
        "{report}"
    );
    assert!(!stderr.contains(&token), "token on stderr");

    // Someone else's token for alice's mailbox is refused, with the reason.
    let bobs = idp.access_token(REDIRECT, "bob", "bob-pass").await;
    let err = Destination::connect(
        &endpoint(new.port),
        &Credentials::XOAuth2 {
            user: "alice".into(),
            token: bobs,
        },
        Transcript::default(),
    )
    .await
    .err()
    .expect("bob's token must not open alice's mailbox");
    assert!(matches!(err, ImapError::Auth { .. }), "{err}");
}
