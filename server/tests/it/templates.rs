//! What people receive, as division IT sees it before they do: templates from IT's folder over the
//! built-in ones, a preview with a real person's data (text and HTML), a test send that reaches the
//! SMTP sink at IT's own address, and an edit with a misspelt placeholder refused with its line.
use app::dto::{EmailPreview, TemplateFile};

use crate::support::flow::{portal, Portal};
use crate::support::servers::Dovecot;
use crate::support::TestApp;

const REWORDED: &str = "Subject: Bitte verbinden Sie Ihr altes Postfach erneut\n\nHallo {{ name }},\n\n{{ portal_url }}\n";

async fn preview(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    kind: &str,
    person: &str,
) -> EmailPreview {
    let (status, body) = app
        .call(client, name, &[("kind", kind), ("person", person)])
        .await;
    assert_eq!(status, 200, "{name} {kind}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// `fountain check` with the portal's configuration and `templates_dir`.
fn check(app: &TestApp, templates_dir: &std::path::Path) -> (bool, String) {
    let dir = templates_dir.to_str().unwrap();
    app.check(&[("FOUNTAIN__MIGRATION__TEMPLATES_DIR", dir)], &[])
}

#[tokio::test]
async fn it_previews_and_test_sends_any_email_with_a_persons_data_and_a_broken_edit_is_refused() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 20, 4);
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(folder.path().join("email")).unwrap();
    std::fs::write(folder.path().join("email/reconnect.txt"), REWORDED).unwrap();
    let dir = folder.path().to_str().unwrap().to_owned();
    let Portal {
        new: _new,
        sink,
        app,
    } = portal(
        old.port,
        &[("FOUNTAIN__MIGRATION__TEMPLATES_DIR", dir.as_str())],
    )
    .await;
    // alice's migration runs to done: her report is what the preview shows.
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    let done = app.until_ended(&alice, 120).await;
    assert_eq!(done.state, "done");

    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let (status, body) = app.call(&ivan, "email_templates", &[]).await;
    assert_eq!(status, 200, "{body}");
    let files: Vec<TemplateFile> = serde_json::from_str(&body).unwrap();
    assert_eq!(files.len(), 19);
    let from_folder: Vec<&str> = files
        .iter()
        .filter(|f| f.loaded_from.is_some())
        .map(|f| f.file.as_str())
        .collect();
    assert_eq!(from_folder, ["email/reconnect.txt"]);
    let instructions = files
        .iter()
        .find(|f| f.file == "client-instructions.txt")
        .unwrap();
    assert!(instructions.required.contains(&"login".to_owned()));

    // The done email as alice received it, from her own report, with today's instructions.
    let shown = preview(
        &app,
        &ivan,
        "preview_email",
        "Done",
        "Alice.Archer@example.org",
    )
    .await;
    assert_eq!(shown.person, "alice.archer@example.org");
    assert!(!shown.sample_data, "alice has a report");
    assert_eq!(shown.subject, "Your mailbox has been copied");
    for part in [&shown.text, &shown.html] {
        assert!(
            part.contains("Alice Archer") && part.contains("INBOX.Projects"),
            "{part}"
        );
        assert!(
            part.contains("alice.archer@example.org"),
            "her new login: {part}"
        );
    }
    assert!(shown.html.contains("<table"), "the summary table is HTML");
    // IT's own reworded template is the one used.
    let reconnect = preview(&app, &ivan, "preview_email", "Reconnect", "").await;
    assert_eq!(
        reconnect.subject,
        "Bitte verbinden Sie Ihr altes Postfach erneut"
    );
    assert!(
        reconnect.text.contains("Hallo Ivan Ito"),
        "{}",
        reconnect.text
    );
    // After the switch, the catch-ups' request for her old password.
    let catch_up = preview(&app, &ivan, "preview_email", "CatchUpPassword", "").await;
    assert!(
        catch_up.subject.contains("needs its password once more")
            && catch_up.text.contains("Catch-up sync"),
        "{catch_up:?}"
    );
    // A wave's emails: alice is in no wave, so a sample wave stands in (and says so).
    for (kind, subject) in [
        (
            "Invitation",
            "Your mailbox moves to the new server: Sample wave",
        ),
        (
            "Reminder",
            "Reminder: move your mailbox (Sample wave, tomorrow)",
        ),
        ("Notice", "IT will move your mailbox: Sample wave"),
    ] {
        let shown = preview(
            &app,
            &ivan,
            "preview_email",
            kind,
            "alice.archer@example.org",
        )
        .await;
        assert_eq!(shown.subject, subject);
        assert!(shown.sample_data, "{kind}: a made-up wave");
        assert!(shown.text.contains("Hello Alice Archer"), "{}", shown.text);
        assert!(shown.text.contains("(UTC)"), "the window: {}", shown.text);
    }
    // Someone who never signed in cannot be previewed.
    let (status, body) = app
        .call(
            &ivan,
            "preview_email",
            &[("kind", "Done"), ("person", "nobody@example.org")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("has signed in"), "{body}");

    // A test send reaches IT's own address, marked as a test; alice gets nothing more.
    sink.wait_for("Your mailbox move has started", 30).await;
    sink.wait_for("Your mailbox has been copied", 30).await;
    let before = sink.emails().await.len();
    let sent = preview(
        &app,
        &ivan,
        "send_test_email",
        "Done",
        "alice.archer@example.org",
    )
    .await;
    assert_eq!(sent.sent_to.as_deref(), Some("ivan.ito@example.org"));
    let test = sink
        .wait_for("[Test] Your mailbox has been copied", 30)
        .await;
    assert_eq!(test["to"][0]["address"], "ivan.ito@example.org");
    assert_eq!(test["text"].as_str().unwrap(), sent.text);
    assert_eq!(sink.emails().await.len(), before + 1);

    // An edit with a misspelt placeholder is refused, naming the file and the line.
    assert!(
        check(&app, folder.path()).0,
        "{}",
        check(&app, folder.path()).1
    );
    std::fs::write(
        folder.path().join("email/done.txt"),
        "Subject: Done\n\nHello {{ name }},\n{{ instructions }}\n{{ portal_url }}\nRegards, {{ naem }}\n",
    )
    .unwrap();
    let (ok, out) = check(&app, folder.path());
    assert!(!ok, "{out}");
    assert!(out.contains("email/done.txt, line 6"), "{out}");
    // So is one that drops what people need (the login in the instructions).
    std::fs::remove_file(folder.path().join("email/done.txt")).unwrap();
    std::fs::write(
        folder.path().join("client-instructions.txt"),
        "Server: {{ imap_host }} and {{ smtp_host }}; your user name is alice\n",
    )
    .unwrap();
    let (ok, out) = check(&app, folder.path());
    assert!(
        !ok && out.contains("client-instructions.txt must use {{ login }}"),
        "{out}"
    );
}
