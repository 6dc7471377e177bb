//! COMPRESS=DEFLATE (RFC 4978) against a real Dovecot (imap_zlib): the same mail arrives byte for
//! byte with far fewer bytes on the wire both ways, and a connection cut in the middle of the
//! compressed stream resumes exactly.
use std::sync::atomic::Ordering;

use crate::support::copying::{bodies, copy_args, copy_in_background, total};
use crate::support::proxy::FaultyProxy;
use crate::support::servers::Dovecot;
use server::engine::imap::Credentials;

const FOLDERS: &[(&str, &str)] = &[
    ("INBOX", "INBOX"),
    ("INBOX.Sent", "Sent"),
    ("INBOX.Projects.Fountain", "Projects/Fountain"),
    ("INBOX.R&AOk-unions", "R&AOk-unions"),
];

async fn assert_same_mail(old: &Dovecot, new: &Dovecot, into: &str) {
    let alice = Credentials::Login {
        user: "alice".into(),
        password: "alice-old".into(),
    };
    let admin = Credentials::Master {
        user: into.into(),
        master: "admin".into(),
        password: "admin-pass".into(),
    };
    for (from, to) in FOLDERS {
        let (old_mail, new_mail) = (
            bodies(old.port, &alice, from).await,
            bodies(new.port, &admin, to).await,
        );
        assert!(!old_mail.is_empty(), "{from} holds mail");
        assert_eq!(old_mail, new_mail, "{from} -> {into}'s {to}");
    }
}

/// Copies alice's old mailbox into `into`'s new one through proxies on both servers; returns the
/// report and the bytes the old server sent and the new one received.
async fn copy_through_proxies(
    old: &Dovecot,
    new: &Dovecot,
    into: &str,
    compress: bool,
) -> (serde_json::Value, u64, u64) {
    let old_proxy = FaultyProxy::passthrough_on([127, 0, 0, 1].into(), old.port).await;
    let new_proxy = FaultyProxy::passthrough_on([127, 0, 0, 1].into(), new.port).await;
    let journal = old.dir.path().join(format!("journal-{into}.db"));
    let mut args = copy_args(
        old_proxy.port,
        into,
        new_proxy.port,
        "master:admin",
        &journal,
    );
    if compress {
        args.extend(["--compress-source", "--compress-dest"].map(String::from));
    }
    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["outcome"], "done", "{report}");
    // The proxies count a connection's last bytes when its client hangs up: let them see it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    (
        report,
        old_proxy.from_server.load(Ordering::SeqCst),
        new_proxy.to_server.load(Ordering::SeqCst),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_both_ways_the_same_mail_crosses_in_far_fewer_bytes() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    // Text mail, and one message big enough to be spooled and sent in many pieces.
    old.seed_sample_big("alice", 40, 3, 3.0);

    let (plain, plain_from_old, plain_to_new) =
        copy_through_proxies(&old, &new, "bob", false).await;
    let (zipped, zipped_from_old, zipped_to_new) =
        copy_through_proxies(&old, &new, "alice", true).await;

    let mail = total(&plain, "source_bytes");
    assert_eq!(total(&zipped, "source_bytes"), mail);
    assert_eq!(
        total(&zipped, "copied_now"),
        total(&zipped, "source_messages")
    );
    // Uncompressed, every byte of mail crosses both links (and some protocol around it).
    assert!(
        plain_from_old > mail && plain_to_new > mail,
        "{plain_from_old} {plain_to_new} {mail}"
    );
    // This mail is text: deflate takes it to well under half, both ways.
    assert!(
        zipped_from_old * 2 < plain_from_old,
        "from the old server: {zipped_from_old} compressed vs {plain_from_old}"
    );
    assert!(
        zipped_to_new * 2 < plain_to_new,
        "to the new server: {zipped_to_new} compressed vs {plain_to_new}"
    );
    assert_same_mail(&old, &new, "alice").await;
    assert_same_mail(&old, &new, "bob").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_inside_the_compressed_stream_resumes_exactly() {
    let old = Dovecot::start("old", None);
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    old.seed_sample("alice", 60, 5);
    // The first three connections to the old server die after 20 kB of compressed bytes.
    let proxy = FaultyProxy::start(old.port, 20_000, 3).await;
    let mut args = copy_args(
        proxy.port,
        "alice",
        new.port,
        "master:admin",
        &old.dir.path().join("journal.db"),
    );
    args.extend(
        [
            "--compress-source",
            "--chunk-mib",
            "1",
            "--retries",
            "5",
            "--parallel",
            "1",
        ]
        .map(String::from),
    );
    let (code, report, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(proxy.cuts.load(Ordering::SeqCst), 3, "the faults happened");
    assert_eq!(report["outcome"], "done");
    assert_eq!(
        total(&report, "copied_now"),
        total(&report, "source_messages"),
        "{report}"
    );
    assert_same_mail(&old, &new, "alice").await;
}
