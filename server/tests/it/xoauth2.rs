//! XOAUTH2 against a real Dovecot that accepts only what the real IdP vouches for (it asks the IdP's
//! userinfo endpoint about every token): like an Exchange Online destination that takes bearer tokens.

use std::time::Duration;

use crate::support::copying::{copy_args, copy_in_background, folder};
use crate::support::servers::{local_endpoint, Dovecot};
use crate::support::Idp;
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Destination, ImapError};

const REDIRECT: &str = "http://127.0.0.1:3999/auth/callback";

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
    let mut dest = Destination::connect(&local_endpoint(new.port), &alice, transcript.clone())
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
        &local_endpoint(new.port),
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

/// A wave whose people go to an Exchange-like destination that takes only app-only tokens: Fountain
/// gets its application's token from the directory (client credentials) and writes each person's
/// mail with it; a destination whose application secret is wrong stops that person's copy with the
/// directory's reason, and nobody else's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_takes_app_tokens_gets_each_persons_mail() {
    use crate::support::flow::{Portal, MASTER};
    use crate::support::idp::APP;
    const DAN: &str = "dan.duarte@example.org";
    const ERIN: &str = "erin.east@example.org";
    let directory = Idp::start_directory().await;
    let introspection = format!(
        "http://{}:{}@{}/token/introspection",
        APP.0,
        APP.1,
        directory.issuer.trim_start_matches("http://")
    );
    let old = Dovecot::start_for(
        "dan.duarte:x\nerin.east:x\n",
        "old",
        Some(crate::waves::OLD_ADMIN),
        &[],
    );
    for (login, n) in [("dan.duarte", 4), ("erin.east", 2)] {
        for i in 0..n {
            let m = format!("Message-ID: <{login}{i}@t>\r\nSubject: Übergabe {i}\r\n\r\nText\r\n");
            old.save(login, "INBOX", m.as_bytes());
        }
    }
    // Exchange-like: it takes the application's token for any mailbox (as user*app), nothing else.
    let exchange = Dovecot::start_for(
        "dan.duarte@example.org:x\nerin.east@example.org:x\n",
        "new",
        Some(MASTER),
        &[("DOVECOT_OAUTH2_APP_URL", &introspection)],
    );
    let url = format!("imap://127.0.0.1:{}", exchange.port);
    let token_url = format!("{}/token", directory.issuer);
    let login = format!("{{email}}*{}", APP.0);
    let mut env: Vec<(String, String)> = Vec::new();
    for name in ["exchange", "broken"] {
        let key = |k: &str| {
            format!(
                "FOUNTAIN__MIGRATION__DESTINATIONS__{}__{k}",
                name.to_uppercase()
            )
        };
        let secret = if name == "broken" {
            "not-the-secret"
        } else {
            APP.1
        };
        env.extend([
            (key("URL"), url.clone()),
            (key("AUTH"), "xoauth2".to_owned()),
            (key("LOGIN"), login.clone()),
            (key("OAUTH2__TOKEN_URL"), token_url.clone()),
            (key("OAUTH2__CLIENT_ID"), APP.0.to_owned()),
            (key("OAUTH2__CLIENT_SECRET"), secret.to_owned()),
            (key("OAUTH2__SCOPE"), "imap".to_owned()),
        ]);
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Portal {
        app,
        new,
        sink: _sink,
    } = crate::waves::master_portal_with(&old, &env).await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ex.csv");
    std::fs::write(
        &file,
        format!(
            "email,old_login,destination\n{DAN},dan.duarte,exchange\n{ERIN},erin.east,broken\n"
        ),
    )
    .unwrap();
    for args in [
        vec!["import", file.to_str().unwrap(), "--wave", "Exchange"],
        vec!["set", "Exchange", "--mode", "it-run", "--concurrency", "2"],
        vec!["start", "Exchange"],
    ] {
        let out = crate::waves::fountain(&app, &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
    let db = app.db().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let (dan, erin) = loop {
        let dan = crate::waves::request_of(&db, DAN).await;
        let erin = scan_of(&db, ERIN).await;
        let dan_ended = dan.as_ref().is_some_and(|(state, _)| {
            ["done", "failed", "needs_attention"].contains(&state.as_str())
        });
        let erin_ended = erin
            .as_ref()
            .is_some_and(|(state, _)| state != "queued" && state != "running");
        if dan_ended && erin_ended {
            break (dan.unwrap(), erin.unwrap());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "dan {dan:?}, erin's scan {erin:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(dan.0, "done", "{dan:?}");
    assert_eq!(exchange.messages_in(DAN, "INBOX"), 4);
    assert_eq!(new.messages_in(DAN, "INBOX"), 0);
    // The wrong secret: Erin's pre-flight scan stops with the directory's reason, and nothing is
    // copied for her (the wave's report shows why); Dan's copy was not held up by it.
    assert_eq!(erin.0, "failed", "{erin:?}");
    let why = erin.1.unwrap_or_default();
    assert!(
        why.contains("refused Fountain's application login") && why.contains("invalid_client"),
        "{why}"
    );
    assert!(!why.contains("not-the-secret"), "{why}");
    assert_eq!(crate::waves::request_of(&db, ERIN).await, None);
    assert_eq!(exchange.messages_in(ERIN, "INBOX"), 0);
}

/// The state and error of the person's latest scan.
async fn scan_of(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> Option<(String, Option<String>)> {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT s.state AS state, s.error AS error FROM scans s JOIN users u ON u.id = s.user_id \
             WHERE lower(u.email) = ? ORDER BY s.id DESC LIMIT 1",
            [email.into()],
        ))
        .await
        .unwrap()?;
    Some((
        row.try_get("", "state").unwrap(),
        row.try_get("", "error").unwrap(),
    ))
}
