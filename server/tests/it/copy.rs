//! `fountain copy` end to end against real servers: old Dovecot (Cyrus-like layout) → new Dovecot
//! (master user) and old Dovecot → Cyrus (admin proxy). Byte-exact, special-use mapping, no-op re-runs, deltas,
//! exclusions, and quarantine of what the destination refuses (exit 2, nothing lost, no duplicates).

use std::process::Command;

use crate::support::copying::{
    bodies, copy_args, copy_in_background, folder, fountain_copy, total,
};
use crate::support::servers::{local_endpoint, Cyrus, Dovecot};
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Source};

/// Every folder of the rig's sample mailbox, old name → new name.
const SAMPLE_FOLDERS: &[(&str, &str)] = &[
    ("INBOX", "INBOX"),
    ("INBOX.Sent", "Sent"),
    ("INBOX.Drafts", "Drafts"),
    ("INBOX.Trash", "Trash"),
    ("INBOX.Junk", "Junk"),
    ("INBOX.Projects", "Projects"),
    ("INBOX.Projects.Fountain", "Projects/Fountain"),
    ("INBOX.Projects.Archive 2019", "Projects/Archive 2019"),
    ("INBOX.Receipts", "Receipts"),
    ("INBOX.R&AOk-unions", "R&AOk-unions"),
];

fn alice_via_master() -> Credentials {
    Credentials::Master {
        user: "alice".into(),
        master: "admin".into(),
        password: "admin-pass".into(),
    }
}

/// Each source folder holds exactly the same messages (bytes) as its destination folder: nothing lost,
/// nothing duplicated.
async fn assert_same_mail(old: &Dovecot, new: &Dovecot, folders: &[(&str, &str)]) {
    let src = Credentials::Login {
        user: "alice".into(),
        password: "alice-old".into(),
    };
    for (from, to) in folders {
        assert_eq!(
            bodies(old.port, &src, from).await,
            bodies(new.port, &alice_via_master(), to).await,
            "{from} -> {to}: lost or duplicated"
        );
    }
}

#[tokio::test]
async fn copies_a_mailbox_byte_exact_and_reruns_are_noops() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 60, 11);
    let journal = old.dir.path().join("journal.db");
    let mut args = copy_args(old.port, "alice", new.port, "master:admin", &journal);
    args.extend(["--exclude", "INBOX.Trash", "--chunk-mib", "1"].map(String::from));

    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["outcome"], "done", "{report}");
    assert!(
        stderr.contains("done: every selected message is on the destination"),
        "{stderr}"
    );
    // A person at a terminal sees progress and the summary, not the journal's schema migrations.
    assert!(
        !stderr.to_lowercase().contains("migration") && !stderr.contains(" INFO "),
        "{stderr}"
    );
    assert_eq!(folder(&report, "INBOX.Sent")["destination"], "Sent");
    assert_eq!(
        folder(&report, "INBOX.Projects.Fountain")["destination"],
        "Projects/Fountain"
    );
    assert_eq!(folder(&report, "INBOX.Réunions")["destination"], "Réunions");
    assert!(
        report["folders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["source"] != "INBOX.Trash"),
        "excluded"
    );
    let copied = total(&report, "copied_now");
    let trash_count = {
        let mut s = Source::connect(
            &local_endpoint(old.port),
            &Credentials::Login {
                user: "alice".into(),
                password: "alice-old".into(),
            },
            Transcript::default(),
        )
        .await
        .unwrap();
        s.status("INBOX.Trash").await.unwrap().messages as u64
    };
    assert_eq!(copied + trash_count, 60, "{report}");

    // Byte-exact, folder by folder.
    // Everything but the excluded Trash.
    let copied_folders: Vec<(&str, &str)> = SAMPLE_FOLDERS
        .iter()
        .copied()
        .filter(|(from, _)| *from != "INBOX.Trash")
        .collect();
    assert_same_mail(&old, &new, &copied_folders).await;
    assert!(
        bodies(new.port, &alice_via_master(), "Trash")
            .await
            .is_empty(),
        "excluded Trash must stay empty"
    );

    // Subscriptions follow their folders (the sample subscribes every folder it creates).
    assert_eq!(
        folder(&report, "INBOX.Projects.Fountain")["subscribed"],
        true
    );
    let mut check = Source::connect(
        &local_endpoint(new.port),
        &alice_via_master(),
        Transcript::default(),
    )
    .await
    .unwrap();
    let subscribed = check.subscribed().await.unwrap();
    assert!(
        subscribed.contains(&"Projects/Fountain".to_owned())
            && subscribed.contains(&"R&AOk-unions".to_owned()),
        "{subscribed:?}"
    );

    // A re-run finds everything in the journal: nothing copied, nothing duplicated.
    let (code, again, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(total(&again, "copied_now"), 0, "{again}");
    // Every folder was recognised as unchanged from its UIDNEXT alone: no message listing at all.
    assert!(
        again["folders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["unchanged"] == true),
        "{again}"
    );
    assert_eq!(total(&again, "copied_before"), copied);
    assert_eq!(
        folder(&again, "INBOX")["destination_messages"],
        folder(&report, "INBOX")["destination_messages"]
    );

    // New mail after the first copy: only that is copied.
    old.save(
        "alice",
        "INBOX",
        b"From: late@example.org\r\nSubject: arrived later\r\n\r\nhello\r\n",
    );
    let (code, delta, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(total(&delta, "copied_now"), 1, "{delta}");
    assert_eq!(folder(&delta, "INBOX")["copied_now"], 1);
    assert_eq!(folder(&delta, "INBOX")["unchanged"], false);
    assert_eq!(folder(&delta, "INBOX.Sent")["unchanged"], true);
}

#[tokio::test]
async fn refused_messages_are_quarantined_and_the_run_goes_on() {
    let old = Dovecot::start("old", None);
    // The destination refuses messages over 20 KB (like a server's size limit).
    let new = Dovecot::start_with(
        "new",
        Some(("admin", "admin-pass")),
        &[("DOVECOT_MAX_MAIL_SIZE", "20k")],
    );
    old.save(
        "alice",
        "INBOX.Projects",
        b"From: a@example.org\r\nSubject: fine\r\n\r\nfine\r\n",
    );
    let mut big = b"From: b@example.org\r\nSubject: too big for the new server\r\n\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 50_000));
    big.extend_from_slice(b"\r\nthe end\r\n");
    old.save("alice", "INBOX.Projects", &big);
    old.save(
        "alice",
        "INBOX.Projects",
        b"From: c@example.org\r\nSubject: also fine\r\n\r\nfine too\r\n",
    );
    let journal = old.dir.path().join("journal.db");
    let mut args = copy_args(old.port, "alice", new.port, "master:admin", &journal);
    args.extend(["--folder", "INBOX.Projects"].map(String::from));
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(report["outcome"], "needs_attention");
    let projects = folder(&report, "INBOX.Projects");
    assert_eq!(projects["copied_now"], 2, "{report}");
    assert_eq!(projects["quarantined"].as_array().unwrap().len(), 1);
    assert!(
        projects["quarantined"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{report}"
    );
    assert!(
        stderr.contains("needs attention") && stderr.contains("nothing was lost"),
        "{stderr}"
    );

    // The quarantine keeps the raw message for IT.
    let db = sea_orm::Database::connect(format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    use sea_orm::EntityTrait;
    let held = server::db::entity::quarantine::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].raw.as_deref().unwrap(), &big[..]);

    // Re-running retries only the refused one: still refused, still no duplicates.
    let (code, again, _) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 2);
    assert_eq!(folder(&again, "INBOX.Projects")["copied_now"], 0);
    assert_eq!(folder(&again, "INBOX.Projects")["destination_messages"], 2);
}

/// What a copy into a destination that refuses everything left in the quarantine.
struct Quarantined {
    report: serde_json::Value,
    stderr: String,
    /// For each quarantined message, in order: kept whole (else by its headers only).
    held: Vec<bool>,
    /// The journal's quarantine rows, by source UID.
    rows: Vec<server::db::entity::quarantine::Model>,
}

/// Copies `sent` (saved into alice's INBOX.Projects first) to a destination that refuses them, with
/// the quarantine's per-message and per-mailbox limits in MB.
async fn quarantine_run(
    old: &Dovecot,
    new: &Dovecot,
    sent: &[Vec<u8>],
    message_mb: &str,
    mailbox_mb: &str,
) -> Quarantined {
    use sea_orm::{EntityTrait, QueryOrder};
    for m in sent {
        old.save("alice", "INBOX.Projects", m);
    }
    let journal = old.dir.path().join("journal.db");
    let mut args = copy_args(old.port, "alice", new.port, "master:admin", &journal);
    args.extend(
        [
            "--folder",
            "INBOX.Projects",
            "--quarantine-message-mb",
            message_mb,
            "--quarantine-mailbox-mb",
            mailbox_mb,
        ]
        .map(String::from),
    );
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 2, "{stderr}");
    let held = folder(&report, "INBOX.Projects")["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["kept_whole"].as_bool().unwrap())
        .collect();
    let db = sea_orm::Database::connect(format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    let rows = server::db::entity::quarantine::Entity::find()
        .order_by_asc(server::db::entity::quarantine::Column::SourceUid)
        .all(&db)
        .await
        .unwrap();
    Quarantined {
        report,
        stderr,
        held,
        rows,
    }
}

#[tokio::test]
async fn the_quarantine_keeps_bounded_bytes_and_says_what_it_kept() {
    let old = Dovecot::start("old", None);
    // The destination refuses everything over 20 KB; four refused messages of 30 and 60 KB.
    let new = Dovecot::start_with(
        "new",
        Some(("admin", "admin-pass")),
        &[("DOVECOT_MAX_MAIL_SIZE", "20k")],
    );
    let message = |n: usize, kb: usize| {
        let mut m =
            format!("Message-ID: <q{n}@example.org>\r\nSubject: refused {n}\r\n\r\n").into_bytes();
        m.extend(std::iter::repeat_n(b'x', kb * 1000));
        m.extend_from_slice(b"\r\n");
        m
    };
    let sent = [
        message(1, 30),
        message(2, 30),
        message(3, 30),
        message(4, 60),
    ];
    // Whole up to 50 KB each, 70 KB in all: the first two whole, the third past the total, the
    // fourth past the per-message size.
    let Quarantined {
        report,
        stderr,
        held,
        rows,
    } = quarantine_run(&old, &new, &sent, "0.05", "0.07").await;
    assert_eq!(held, [true, true, false, false], "{report}");
    assert!(
        stderr.contains("QUARANTINED 4 (2 kept by headers only: still on the old server)"),
        "{stderr}"
    );
    assert_eq!(rows.len(), 4);
    let kept: usize = rows
        .iter()
        .map(|r| r.raw.as_ref().map_or(0, Vec::len))
        .sum();
    assert!(kept <= 70_000, "{kept} bytes kept");
    for (row, m) in rows.iter().zip(&sent) {
        assert_eq!(row.size, Some(m.len() as i64));
        let raw = row.raw.as_deref().unwrap();
        if row.raw_is_whole {
            assert_eq!(raw, &m[..]);
        } else {
            // The headers, to tell IT what it is; the UID fetches it again from the old server.
            let end = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            assert_eq!(raw, &m[..end]);
        }
    }
}

#[tokio::test]
async fn big_refused_messages_are_quarantined_from_their_spool_file_within_the_limits() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start_with(
        "new",
        Some(("admin", "admin-pass")),
        &[("DOVECOT_MAX_MAIL_SIZE", "20k")],
    );
    // Two 3 MB messages: bigger than one piece, so each is streamed through a spool file.
    let big = |n: usize| {
        let mut m =
            format!("Message-ID: <big{n}@example.org>\r\nSubject: big {n}\r\n\r\n").into_bytes();
        m.extend(std::iter::repeat_n(b'z', 3_000_000));
        m.extend_from_slice(b"\r\n");
        m
    };
    let sent = [big(1), big(2)];
    // Whole up to 5 MB each, 4 MB in all: the first whole, the second by its headers.
    let Quarantined {
        report, held, rows, ..
    } = quarantine_run(&old, &new, &sent, "5", "4").await;
    assert_eq!(held, [true, false], "{report}");
    assert_eq!(rows[0].raw.as_deref().unwrap(), &sent[0][..]);
    let end = sent[1].windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(rows[1].raw.as_deref().unwrap(), &sent[1][..end]);
    assert_eq!(rows[1].size, Some(sent[1].len() as i64));
}

#[test]
fn wrong_password_fails_with_a_clear_message() {
    let old = Dovecot::start("old", None);
    let args = copy_args(
        old.port,
        "alice",
        old.port,
        "login",
        &old.dir.path().join("j.db"),
    );
    let (code, _, stderr) = fountain_copy(&args, "wrong", "wrong");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("refused the login of alice")
            && stderr.contains("Check the user name and password"),
        "{stderr}"
    );
}

#[test]
fn into_cyrus_through_the_admin_proxy() {
    let old = Dovecot::start("old", None);
    let cyrus = Cyrus::start();
    old.save(
        "alice",
        "INBOX.Projects",
        b"From: a@example.org\r\nSubject: one\r\n\r\none\r\n",
    );
    old.save(
        "alice",
        "INBOX.Sent",
        b"From: alice@example.org\r\nSubject: two\r\n\r\ntwo\r\n",
    );
    let args = copy_args(
        old.port,
        "bob",
        cyrus.port,
        "proxy:cyradmin",
        &old.dir.path().join("journal.db"),
    );
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "cyradmin-pass");
    assert_eq!(code, 0, "{stderr}");
    // Cyrus' personal namespace comes from NAMESPACE: INBOX. prefix, "." separator.
    assert_eq!(
        folder(&report, "INBOX.Projects")["destination"],
        "INBOX.Projects"
    );
    assert_eq!(folder(&report, "INBOX.Projects")["destination_messages"], 1);
    assert_eq!(folder(&report, "INBOX.Sent")["copied_now"], 1);
}

#[test]
fn a_renumbered_folder_is_not_copied_twice() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    let message = b"From: a@example.org\r\nMessage-ID: <once@example.org>\r\nSubject: once\r\n\r\nonly once\r\n";
    let no_id = b"From: b@example.org\r\nSubject: no id\r\n\r\nmatched by date and size\r\n";
    old.save("alice", "INBOX.Projects", message);
    old.save("alice", "INBOX.Projects", no_id);
    let args = copy_args(
        old.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    let (code, _, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");

    // The old server loses its index and renumbers the folder: same mail (same dates), new UIDVALIDITY.
    let dates = |server: &Dovecot| {
        server.doveadm(&[
            "-f",
            "flow",
            "fetch",
            "-u",
            "alice",
            "date.received guid",
            "mailbox",
            "INBOX.Projects",
        ])
    };
    let before = dates(&old);
    old.doveadm(&[
        "mailbox",
        "update",
        "-u",
        "alice",
        "--uid-validity",
        "4242",
        "INBOX.Projects",
    ]);
    assert_eq!(dates(&old), before, "same mail, only renumbered");

    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    let projects = folder(&report, "INBOX.Projects");
    assert_eq!(projects["copied_now"], 0, "{report}");
    assert_eq!(projects["recovered"], 2, "{report}");
    assert_eq!(projects["destination_messages"], 2, "{report}");
    assert!(
        projects["notes"][0]
            .as_str()
            .unwrap()
            .contains("renumbered"),
        "{report}"
    );

    // Mail that arrives after the renumbering is copied, once.
    old.save(
        "alice",
        "INBOX.Projects",
        b"From: c@example.org\r\nSubject: later\r\n\r\nnew\r\n",
    );
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    let projects = folder(&report, "INBOX.Projects");
    assert_eq!(projects["copied_now"], 1, "{report}");
    assert_eq!(projects["destination_messages"], 3, "{report}");
}

/// A journal that starts afresh (lost, or another URL for the same server) does not duplicate what
/// the destination already has.
#[test]
fn a_fresh_journal_does_not_duplicate() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 25, 3);
    let first = copy_args(
        old.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("a.db"),
    );
    let (code, report, stderr) = fountain_copy(&first, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    let copied = total(&report, "copied_now");

    let second = copy_args(
        old.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("b.db"),
    );
    let (code, again, stderr) = fountain_copy(&second, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(total(&again, "copied_now"), 0, "{again}");
    assert_eq!(total(&again, "recovered"), copied, "{again}");
    assert_eq!(
        total(&again, "destination_messages"),
        total(&report, "destination_messages"),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_reconnect_and_resume_exactly() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 40, 5);
    // The source's first three connections die after 150 kB: mid-FETCH, mid-folder.
    let proxy = crate::support::proxy::FaultyProxy::start(old.port, 150_000, 3).await;
    let mut args = copy_args(
        proxy.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    // One folder at a time, so the faults land where this test expects them.
    args.extend(["--chunk-mib", "1", "--retries", "5", "--parallel", "1"].map(String::from));
    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        proxy.cuts.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "the faults happened"
    );
    assert!(stderr.contains("retrying"), "{stderr}");
    assert_eq!(report["outcome"], "done");
    assert_eq!(
        total(&report, "copied_now"),
        total(&report, "source_messages"),
        "{report}"
    );

    assert_same_mail(&old, &new, SAMPLE_FOLDERS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_destination_times_out_and_the_copy_resumes() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 30, 9);
    // The destination's first two connections go silent after 3 kB of replies (mid-APPENDs).
    let proxy = crate::support::proxy::FaultyProxy::start_with(
        new.port,
        crate::support::proxy::Fault::Stall,
        3_000,
        2,
    )
    .await;
    let mut args = copy_args(
        old.port,
        "alice",
        proxy.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    args.extend(["--timeout", "2", "--retries", "4", "--chunk-mib", "1"].map(String::from));
    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("did not answer within 2 s"), "{stderr}");
    assert_eq!(report["outcome"], "done");
    assert_same_mail(&old, &new, SAMPLE_FOLDERS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_append_reply_is_found_not_copied_twice() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 30, 13);
    // The destination stores the messages, but the client never hears its OK: twice.
    let proxy = crate::support::proxy::FaultyProxy::start_with(
        new.port,
        crate::support::proxy::Fault::LoseReplyWith(b"APPENDUID"),
        0,
        2,
    )
    .await;
    let mut args = copy_args(
        old.port,
        "alice",
        proxy.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    args.extend(["--retries", "4", "--chunk-mib", "1", "--parallel", "1"].map(String::from));
    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(total(&report, "recovered") >= 2, "{report}");
    assert_same_mail(&old, &new, SAMPLE_FOLDERS).await;
}

/// A seeded old server reached through a slow link on its first connection (so a copy is surely still
/// running a while later), a new server, and the copy's arguments.
struct SlowCopy {
    old: Dovecot,
    new: Dovecot,
    _proxy: crate::support::proxy::FaultyProxy,
    args: Vec<String>,
}

async fn slow_copy(seed: u32) -> SlowCopy {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 60, seed);
    let proxy = crate::support::proxy::FaultyProxy::start_with(
        old.port,
        crate::support::proxy::Fault::Slow(150_000),
        0,
        1,
    )
    .await;
    let mut args = copy_args(
        proxy.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    args.extend(["--chunk-mib", "1"].map(String::from));
    SlowCopy {
        old,
        new,
        _proxy: proxy,
        args,
    }
}

/// `fountain copy` as a child process, its stderr piped.
fn spawn_copy(args: &[String]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fountain"))
        .arg("copy")
        .args(args)
        .env_remove("RUST_LOG")
        .env("FOUNTAIN_SOURCE_PASSWORD", "alice-old")
        .env("FOUNTAIN_DEST_PASSWORD", "admin-pass")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_copy_the_rerun_finishes_exactly() {
    use std::io::BufRead;
    let SlowCopy {
        old,
        new,
        _proxy,
        args,
    } = slow_copy(17).await;
    let mut child = spawn_copy(&args);
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let killed = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        let mut progress_lines = 0;
        for line in stderr.lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            // "FOLDER: 12/40 messages, …": kill after a few chunks, well before the end.
            progress_lines += usize::from(line.contains(" messages, "));
            if progress_lines == 3 {
                assert!(child.try_wait().unwrap().is_none(), "still running");
                child.kill().unwrap(); // SIGKILL: no cleanup, no journal flush
                child.wait().unwrap();
                return seen;
            }
        }
        let _ = child.wait();
        panic!("no progress seen before the copy ended:\n{seen}");
    })
    .await
    .unwrap();
    assert!(!killed.contains("done:"), "{killed}");

    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert!(total(&report, "copied_before") > 0, "{report}");
    assert_same_mail(&old, &new, SAMPLE_FOLDERS).await;
}

/// Flags of `folder` on a server, per Message-ID.
async fn flags_by_message_id(
    port: u16,
    credentials: &Credentials,
    folder: &str,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut s = Source::connect(&local_endpoint(port), credentials, Transcript::default())
        .await
        .unwrap();
    s.examine(folder).await.unwrap();
    s.fingerprints("1:*")
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            let mut flags = m.flags;
            flags.sort();
            (m.fingerprint.message_id.unwrap_or_default(), flags)
        })
        .collect()
}

fn doveadm_flags(server: &Dovecot, action: &str, flag: &str, message_id: &str) {
    server.doveadm(&[
        "flags",
        action,
        "-u",
        "alice",
        flag,
        "mailbox",
        "INBOX",
        "header",
        "Message-ID",
        message_id,
    ]);
}

#[tokio::test]
async fn delta_runs_carry_flag_changes_and_keep_the_users_own() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.save(
        "alice",
        "INBOX",
        b"From: a@example.org\r\nMessage-ID: <one@x>\r\nSubject: 1\r\n\r\none\r\n",
    );
    old.save(
        "alice",
        "INBOX",
        b"From: a@example.org\r\nMessage-ID: <two@x>\r\nSubject: 2\r\n\r\ntwo\r\n",
    );
    let args = copy_args(
        old.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    let (code, _, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");

    // Before the cutover the user still reads on the old server; on the new one they label a message.
    doveadm_flags(&old, "add", "\\Seen \\Flagged", "<one@x>");
    doveadm_flags(&new, "add", "$Work", "<one@x>");
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    let inbox = folder(&report, "INBOX");
    assert_eq!(
        inbox["unchanged"], false,
        "a flag change is a change: {report}"
    );
    assert_eq!(inbox["flags_updated"], 1, "{report}");
    assert_eq!(inbox["copied_now"], 0, "{report}");
    let dest = flags_by_message_id(new.port, &alice_via_master(), "INBOX").await;
    assert_eq!(
        dest["<one@x>"],
        ["$Work", "\\Flagged", "\\Seen"],
        "{dest:?}"
    );
    assert!(dest["<two@x>"].is_empty(), "{dest:?}");

    // The user marks it unread again on the old server: that change travels too, $Work stays.
    doveadm_flags(&old, "remove", "\\Seen", "<one@x>");
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(folder(&report, "INBOX")["flags_updated"], 1, "{report}");
    let dest = flags_by_message_id(new.port, &alice_via_master(), "INBOX").await;
    assert_eq!(dest["<one@x>"], ["$Work", "\\Flagged"], "{dest:?}");

    // Nothing changed since: a no-op.
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(folder(&report, "INBOX")["unchanged"], true, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_in_parallel_within_the_connection_budget() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 50, 23);
    let proxy =
        crate::support::proxy::FaultyProxy::passthrough_on([127, 0, 0, 1].into(), old.port).await;
    let mut args = copy_args(
        proxy.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    let sources = |report: &serde_json::Value| -> Vec<String> {
        report["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["source"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut one_by_one = args.clone();
    one_by_one.extend(["--parallel", "1", "--dry-run"].map(String::from));
    let (code, planned, stderr) = fountain_copy(&one_by_one, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    args.extend(["--parallel", "4", "--max-connections", "2"].map(String::from));
    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        proxy.peak.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "two folders at once, never more connections than the budget"
    );
    // The report keeps the planned folder order, whatever order the workers finished in.
    assert_eq!(sources(&report), sources(&planned));
    assert_same_mail(&old, &new, SAMPLE_FOLDERS).await;
}

/// Names a Zimbra-like destination forbids are renamed the same way every run, reported, and their mail
/// arrives under the new names: nothing silently dropped.
#[tokio::test]
async fn forbidden_and_colliding_names_are_renamed_and_reported() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    for (i, name) in [
        "INBOX.Calendar",
        "INBOX.Projects",
        "INBOX.projects",
        "INBOX.Q1: budget",
    ]
    .iter()
    .enumerate()
    {
        old.save(
            "alice",
            name,
            format!("From: a@example.org\r\nSubject: {i}\r\n\r\nin {name}\r\n").as_bytes(),
        );
    }
    let mut args = copy_args(
        old.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    args.extend(["--dest-profile", "zimbra"].map(String::from));
    let (code, report, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    let expect = [
        ("INBOX.Calendar", "Calendar (mail)", "reserved"),
        ("INBOX.Projects", "Projects", ""),
        (
            "INBOX.projects",
            "projects (2)",
            "name taken by INBOX.Projects",
        ),
        ("INBOX.Q1: budget", "Q1_ budget", "not allowed"),
    ];
    for (source, destination, note) in expect {
        let f = folder(&report, source);
        assert_eq!(f["destination"], destination, "{report}");
        assert_eq!(f["copied_now"], 1, "{report}");
        assert_eq!(f["destination_messages"], 1, "{report}");
        let notes = f["notes"].to_string();
        assert!(notes.contains(note), "{source}: {notes}");
    }
    assert!(
        stderr.contains("Calendar (mail)"),
        "the summary names the renames: {stderr}"
    );
    // The same plan on the next run: nothing moves, nothing is copied again.
    let (code, again, stderr) = fountain_copy(&args, "alice-old", "admin-pass");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(total(&again, "copied_now"), 0, "{again}");
    assert_eq!(
        folder(&again, "INBOX.projects")["destination"],
        "projects (2)"
    );
}

/// The whole engine, not just the adapter, audited: a first copy, a delta run that carries flag changes
/// and new mail, and a run with a fresh journal that recognises everything. Every command the
/// destination received is recorded; none of them can delete anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_never_sends_anything_that_deletes() {
    use crate::support::copying::engine_job;
    use server::engine::copy::{copy_mailbox, CopyJob};

    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 30, 29);
    let audit = Transcript::default();
    let job = CopyJob {
        transcripts: server::engine::copy::Transcripts {
            source: Transcript::counting(),
            destination: audit.clone(),
        },
        ..engine_job(old.port, new.port, "alice", "alice-old")
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    let db = server::db::connect(&journal("a.db")).await.unwrap();
    let first = copy_mailbox(&db, &job, &|_| {}).await.unwrap();
    assert_eq!(first.messages_copied_now(), 30);

    old.save(
        "alice",
        "INBOX",
        b"From: late@example.org\r\nSubject: later\r\n\r\nlater\r\n",
    );
    old.doveadm(&[
        "flags",
        "add",
        "-u",
        "alice",
        "\\Flagged",
        "mailbox",
        "INBOX",
        "ALL",
    ]);
    let delta = copy_mailbox(&db, &job, &|_| {}).await.unwrap();
    assert_eq!(delta.messages_copied_now(), 1);
    assert!(delta.folders.iter().map(|f| f.flags_updated).sum::<u64>() > 0);

    let fresh = server::db::connect(&journal("b.db")).await.unwrap();
    let again = copy_mailbox(&fresh, &job, &|_| {}).await.unwrap();
    assert_eq!(again.messages_copied_now(), 0);
    assert_eq!(again.folders.iter().map(|f| f.recovered).sum::<u64>(), 31);

    let text = audit.text();
    // The audit saw every path: appends, flag updates, and the read-only looks of recovery.
    for seen in ["APPEND", "UID STORE", "SELECT", "EXAMINE", "UID FETCH"] {
        assert!(
            text.contains(seen),
            "{seen} missing from the audit:\n{text}"
        );
    }
    crate::support::assert_never_deletes(&text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_runs_on_one_journal_never_duplicate() {
    use std::io::BufRead;
    // The first run's source link is slow, so it surely still runs while the others start.
    let SlowCopy {
        old,
        new,
        _proxy,
        args,
    } = slow_copy(23).await;
    let mut first = spawn_copy(&args);
    let mut first_err = std::io::BufReader::new(first.stderr.take().unwrap());
    // Once it shows progress it holds the journal.
    let mut line = String::new();
    while !line.contains(" messages, ") {
        line.clear();
        assert!(
            first_err.read_line(&mut line).unwrap() > 0,
            "the first run ended early"
        );
    }

    let (code, _, stderr) = copy_in_background(args.clone(), "alice-old", "admin-pass").await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("another fountain copy is using the journal") && stderr.contains("--wait"),
        "{stderr}"
    );
    let mut waiting = args.clone();
    waiting.push("--wait".into());
    let waiter = tokio::spawn(copy_in_background(waiting, "alice-old", "admin-pass"));
    let first_code = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut first_err, &mut rest);
        (first.wait().unwrap().code(), rest)
    })
    .await
    .unwrap();
    assert_eq!(first_code.0, Some(0), "{}", first_code.1);
    let (code, report, stderr) = waiter.await.unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("waiting for it to finish"), "{stderr}");
    assert_eq!(
        total(&report, "copied_now"),
        0,
        "the waiting run found everything copied: {report}"
    );
    assert_same_mail(&old, &new, SAMPLE_FOLDERS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_and_under_reported_messages_stream_through_byte_exact() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    // 12 MB: larger than a chunk (1 MiB here) and than one piece.
    let big = |tag: &str, mb: usize| {
        let mut m =
            format!("Message-ID: <{tag}@example.org>\r\nSubject: {tag}\r\n\r\n").into_bytes();
        for line in 0..mb * 10_000 {
            m.extend_from_slice(format!("{line:08} {}\r\n", "y".repeat(89)).as_bytes());
        }
        m
    };
    old.save("alice", "INBOX.Big", &big("big", 12));
    old.save("alice", "INBOX.Liar", &big("liar", 6));
    // Seen through this proxy the old server under-reports every size (2,000 bytes), but sends whole
    // messages: a copy that trusted the sizes would fetch a 6 MB message as a small one.
    let liar = crate::support::proxy::FaultyProxy::start_with(
        old.port,
        crate::support::proxy::Fault::SizesSay(2000),
        0,
        usize::MAX,
    )
    .await;
    let endpoint = server::engine::imap::Endpoint {
        timeout: std::time::Duration::from_secs(20),
        ..server::engine::imap::Endpoint::new("127.0.0.1", liar.port)
    };
    let alice = Credentials::Login {
        user: "alice".into(),
        password: "alice-old".into(),
    };
    let mut source = server::engine::imap::Source::connect(&endpoint, &alice, Default::default())
        .await
        .unwrap();
    source.examine("INBOX.Liar").await.unwrap();
    assert_eq!(source.list_messages().await.unwrap()[0].size, 2000);
    let whole = source.fetch("1:*").await.unwrap();
    assert!(
        whole[0].body.len() > 6_000_000,
        "the proxy sends messages whole"
    );
    drop(whole);
    source.logout().await;
    let journal = old.dir.path().join("journal.db");
    let spool = tempfile::tempdir().unwrap();
    let mut args = copy_args(liar.port, "alice", new.port, "master:admin", &journal);
    args.extend(
        [
            "--folder",
            "INBOX.Big",
            "--folder",
            "INBOX.Liar",
            "--chunk-mib",
            "1",
            "--spool-dir",
            spool.path().to_str().unwrap(),
        ]
        .map(String::from),
    );
    let (code, report, stderr) = copy_in_background(args.clone(), "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(folder(&report, "INBOX.Big")["copied_now"], 1, "{report}");
    assert_eq!(folder(&report, "INBOX.Liar")["copied_now"], 1, "{report}");
    assert_same_mail(&old, &new, &[("INBOX.Big", "Big"), ("INBOX.Liar", "Liar")]).await;
    assert_eq!(
        std::fs::read_dir(spool.path()).unwrap().count(),
        0,
        "spool files are removed"
    );
    // A re-run copies nothing twice.
    let (code, again, _) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0);
    assert_eq!(total(&again, "copied_now"), 0, "{again}");
}
