//! Unusual and malformed mail, the kind an aging server has collected over the years, against the real
//! servers: it arrives intact, or is quarantined with its reason and raw bytes while the rest goes on.

use crate::support::copying::{copy_args, copy_in_background, folder, total};
use crate::support::servers::{local_endpoint, Cyrus, Dovecot};
use sea_orm::{ConnectionTrait, Database, Statement};
use server::engine::imap::transcript::Transcript;
use server::engine::imap::{Credentials, Destination, Source};

/// One message of the corpus: where it is, what it is, and its flags and INTERNALDATE.
struct Case {
    folder: &'static str,
    body: Vec<u8>,
    flags: Vec<String>,
    date: &'static str,
}

fn case(folder: &'static str, id: &str, rest: &[u8], flags: &[&str], date: &'static str) -> Case {
    let mut body = format!("Message-ID: <{id}@corpus>\r\n").into_bytes();
    body.extend_from_slice(rest);
    Case {
        folder,
        body,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        date,
    }
}

/// A line-structured body of about `size` bytes.
fn big(size: usize) -> Vec<u8> {
    let mut body = b"Subject: big\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    let mut n = 0;
    while body.len() < size {
        body.extend_from_slice(
            format!("line {n:08} of a big message ...............\r\n").as_bytes(),
        );
        n += 1;
    }
    body
}

fn corpus() -> Vec<Case> {
    vec![
        case("INBOX", "nul", b"Subject: NUL bytes\r\n\r\nbefore\0after\0\r\n", &["\\Seen"], "01-Jan-2020 00:00:00 +1400"),
        case(
            "INBOX.R&AOk-unions",
            "eight-bit",
            "Subject: Réunion café\r\nFrom: Zoë <zoe@example.org>\r\n\r\nnon-ASCII headers, no encoding\r\n".as_bytes(),
            &["$Label1", "\\Flagged"],
            "31-Dec-1999 23:59:59 -1200",
        ),
        case(
            "INBOX.Projects.2024",
            "bad-mime",
            b"Subject: bad MIME\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\na part that never ends\r\n",
            &["$Work", "NonJunk"],
            "15-Jun-2010 12:00:00 +0530",
        ),
        case(
            "INBOX.Sent",
            "truncated",
            b"Subject: truncated\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29y",
            &["\\Seen", "\\Answered"],
            "29-Feb-2016 06:30:00 +0000",
        ),
        case("INBOX", "one-mb", &big(1_000_000), &[], "01-Mar-2021 10:00:00 +0100"),
        case("INBOX.Projects", "ten-mb", &big(10_000_000), &["\\Draft"], "02-Mar-2021 10:00:00 -0700"),
    ]
}

/// Puts the corpus into alice's mailbox on Cyrus, the way mail reaches an old server over the years.
async fn seed_cyrus(cyrus: &Cyrus, cases: &[Case]) {
    let alice = Credentials::Login {
        user: "alice".into(),
        password: "alice-old".into(),
    };
    let mut cyrus =
        Destination::connect(&local_endpoint(cyrus.port), &alice, Transcript::default())
            .await
            .unwrap();
    for c in cases {
        cyrus.create(c.folder).await.unwrap();
        cyrus
            .append(c.folder, &c.flags, Some(c.date), &c.body)
            .await
            .unwrap_or_else(|e| panic!("seeding {}: {e}", c.folder));
    }
    cyrus.logout().await;
}

/// Dovecot keeps NUL bytes as 0x80 (its documented behaviour): everything else must match exactly.
fn as_dovecot_stores(body: &[u8]) -> Vec<u8> {
    body.iter()
        .map(|&b| if b == 0 { 0x80 } else { b })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusual_mail_from_cyrus_arrives_intact() {
    let cyrus = Cyrus::start();
    let new = Dovecot::start("new", Some(("admin", "admin-pass")));
    let cases = corpus();
    seed_cyrus(&cyrus, &cases).await;

    let dir = tempfile::tempdir().unwrap();
    let mut args = copy_args(
        cyrus.port,
        "alice",
        new.port,
        "master:admin",
        &dir.path().join("j.db"),
    );
    args.extend(["--source-auth", "proxy:cyradmin"].map(String::from));
    let (code, report, stderr) = copy_in_background(args, "cyradmin-pass", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(total(&report, "copied_now"), cases.len() as u64, "{report}");
    assert_eq!(folder(&report, "INBOX.Réunions")["destination"], "Réunions");
    assert_eq!(folder(&report, "INBOX.Sent")["destination"], "Sent");
    assert_eq!(
        folder(&report, "INBOX.Projects.2024")["destination"],
        "Projects/2024"
    );
    for f in report["folders"].as_array().unwrap() {
        assert_eq!(f["source_bytes"], f["destination_bytes"], "{f}");
    }

    // Again with alice's own password instead of the admin proxy, and a journal that knows nothing:
    // everything is recognised on the destination, nothing is copied twice.
    let args = copy_args(
        cyrus.port,
        "alice",
        new.port,
        "master:admin",
        &dir.path().join("k.db"),
    );
    let (code, again, stderr) = copy_in_background(args, "alice-old", "admin-pass").await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(total(&again, "copied_now"), 0, "{again}");
    assert_eq!(total(&again, "recovered"), cases.len() as u64, "{again}");

    let master = Credentials::Master {
        user: "alice".into(),
        master: "admin".into(),
        password: "admin-pass".into(),
    };
    let mut check = Source::connect(&local_endpoint(new.port), &master, Transcript::default())
        .await
        .unwrap();
    for c in &cases {
        let dest_folder = match c.folder {
            "INBOX" => "INBOX".to_owned(),
            "INBOX.Sent" => "Sent".to_owned(),
            other => other.trim_start_matches("INBOX.").replace('.', "/"),
        };
        check.examine(&dest_folder).await.unwrap();
        let copies = check.fetch("1:*").await.unwrap();
        let id =
            String::from_utf8_lossy(&c.body[..c.body.iter().position(|&b| b == b'\r').unwrap()])
                .into_owned();
        let copy = copies
            .iter()
            .find(|m| m.body.starts_with(id.as_bytes()))
            .unwrap_or_else(|| panic!("{id} missing from {dest_folder}"));
        assert!(
            copy.body == as_dovecot_stores(&c.body),
            "{id}: bytes differ"
        );
        let mut want = c.flags.clone();
        let mut got = copy.flags.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{id}: flags");
        assert_eq!(
            instant(copy.internal_date.as_deref().unwrap()),
            instant(c.date),
            "{id}: date"
        );
    }
}

/// An IMAP date-time as seconds since the epoch (zones differ between servers; the instant must not).
fn instant(date: &str) -> i64 {
    let (day, rest) = date.split_once('-').unwrap();
    let (month, rest) = rest.split_once('-').unwrap();
    let (year, rest) = rest.split_once(' ').unwrap();
    let (time, zone) = rest.split_once(' ').unwrap();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)
    .unwrap() as i64
        + 1;
    let (y, d): (i64, i64) = (year.parse().unwrap(), day.trim().parse().unwrap());
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 {
        (y - 1, month + 9)
    } else {
        (y, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let offset = sign
        * (zone[1..3].parse::<i64>().unwrap() * 3600 + zone[3..5].parse::<i64>().unwrap() * 60);
    days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2] - offset
}

#[test]
fn instants_of_imap_dates() {
    assert_eq!(instant("01-Jan-1970 00:00:00 +0000"), 0);
    assert_eq!(instant("01-Jan-1970 14:00:00 +1400"), 0);
    assert_eq!(
        instant(" 2-Feb-2009 07:59:59 +0000"),
        instant("01-Feb-2009 23:59:59 -0800")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cyrus_refuses_is_quarantined_with_its_bytes() {
    let old = Dovecot::start("old", None);
    let cyrus = Cyrus::start();
    // A header line that is not a header: Cyrus' APPEND refuses it ("invalid header").
    let bad_header =
        b"From: a@example.org\r\nthis line is not a header\r\nSubject: bad\r\n\r\nbody\r\n"
            .to_vec();
    let fine = |subject: &str| format!("From: a@example.org\r\nSubject: {subject}\r\n\r\nfine\r\n");
    old.save("alice", "INBOX.Projects", fine("one").as_bytes());
    old.save("alice", "INBOX.Odd", &bad_header);
    old.save("alice", "INBOX.Projects", fine("two").as_bytes());
    let journal = old.dir.path().join("journal.db");
    let args = copy_args(old.port, "bob", cyrus.port, "proxy:cyradmin", &journal);
    let (code, report, stderr) = copy_in_background(args, "alice-old", "cyradmin-pass").await;
    assert_eq!(code, 2, "needs attention: {stderr}");
    assert_eq!(report["outcome"], "needs_attention");
    let projects = folder(&report, "INBOX.Projects");
    assert_eq!(projects["copied_now"], 2, "the others went on: {report}");
    assert_eq!(projects["destination_messages"], 2, "{report}");
    let odd = folder(&report, "INBOX.Odd");
    assert_eq!(odd["copied_now"], 0, "{report}");
    let quarantined = odd["quarantined"].as_array().unwrap();
    assert_eq!(quarantined.len(), 1, "{report}");
    assert_eq!(
        quarantined[0]["reason"], "the destination refused it: Message contains invalid header",
        "{report}"
    );
    assert!(stderr.contains("QUARANTINED 1"), "{stderr}");

    // The raw bytes are kept, so IT can look at (and later fix and re-send) exactly what was refused.
    let db = Database::connect(format!("sqlite://{}", journal.display()))
        .await
        .unwrap();
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT raw FROM quarantine",
        ))
        .await
        .unwrap()
        .unwrap();
    let raw: Vec<u8> = row.try_get("", "raw").unwrap();
    assert_eq!(raw, bad_header);
}
