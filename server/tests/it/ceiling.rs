//! An aging server that takes two sessions and no more (Dovecot's `process_limit = 2`: a third login
//! hangs ten seconds, then the connection drops). Four copies at once within a cap of four: the
//! refused logins teach the budget the server's ceiling, the copies that met them wait for a session
//! to end instead of failing again, and every mailbox arrives whole.
use std::time::Duration;

use crate::support::copying::{bodies, engine_job};
use crate::support::proxy::FaultyProxy;
use crate::support::servers::{local_endpoint, Dovecot};
use server::engine::copy::{copy_mailbox, CopyJob};
use server::engine::imap::Credentials;
use server::engine::throttle::{Limits, Throttle};

const PEOPLE: [&str; 4] = ["ann", "ben", "cat", "dan"];

fn job(old: u16, new: u16, who: &str, throttle: &std::sync::Arc<Throttle>) -> CopyJob {
    CopyJob {
        // One reconnect each: a copy refused twice would fail.
        retries: 1,
        throttle: throttle.clone(),
        ..engine_job(old, new, who, "old")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_takes_two_sessions_is_kept_to_two_and_nothing_fails() {
    let users: String = PEOPLE.iter().map(|p| format!("{p}:old\n")).collect();
    let old = Dovecot::start_for(&users, "old", None, &[("DOVECOT_PROCESS_LIMIT", "2")]);
    let new = Dovecot::start_for(&users, "new", Some(("admin", "admin-pass")), &[]);
    for (i, who) in PEOPLE.iter().enumerate() {
        old.seed_sample(who, 12, 40 + i as u32);
    }
    // A slow old server: every session lasts well beyond the ten seconds a refused login hangs.
    let proxy = FaultyProxy::passthrough_on([127, 0, 0, 1].into(), old.port).await;
    proxy.lag(Duration::from_millis(250));
    let throttle = Throttle::new(Limits {
        max_connections: 4,
        bytes_per_second: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let copies = PEOPLE.iter().map(|who| {
        let job = job(proxy.port, new.port, who, &throttle);
        let journal = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join(format!("{who}.db")).display()
        );
        async move {
            let db = server::db::connect(&journal).await.unwrap();
            copy_mailbox(&db, &job, &|_| {}).await
        }
    });
    let reports = futures_util::future::join_all(copies).await;
    for (who, report) in PEOPLE.iter().zip(&reports) {
        let report = report
            .as_ref()
            .unwrap_or_else(|e| panic!("{who}'s copy failed: {e}"));
        assert_eq!(report.messages_copied_now(), 12, "{who}");
    }
    let budget = throttle.server(&local_endpoint(proxy.port)).state();
    assert_eq!(budget.connection_ceiling, Some(2), "{budget:?}");
    assert!(
        proxy.peak.load(std::sync::atomic::Ordering::SeqCst) >= 3,
        "the server was asked for more than it takes (else this test proves nothing)"
    );

    proxy.lag(Duration::ZERO);
    for who in PEOPLE {
        let mine = Credentials::Login {
            user: who.into(),
            password: "old".into(),
        };
        let admin = Credentials::Master {
            user: who.into(),
            master: "admin".into(),
            password: "admin-pass".into(),
        };
        let inbox = bodies(old.port, &mine, "INBOX").await;
        assert!(!inbox.is_empty(), "{who}");
        assert_eq!(inbox, bodies(new.port, &admin, "INBOX").await, "{who}");
    }
}
