//! Division IT runs a wave from the IT page in Chromium, as a newcomer would: a CSV with a bad line is
//! refused with the line, the corrected one imported; the wave started, its people sized by the
//! pre-flight scan before its window opens and its plan previewed largest first; the dashboard
//! followed while the copies run on an old Cyrus through its admin proxy; at the end, the CSV report
//! matches what the new server holds.
use std::time::{Duration, Instant};

use server::engine::imap::{Credentials, Destination, Endpoint};

use crate::support::browser::{chromium, css, scroll_to, shot, sign_in_as, text_until};
use crate::support::flow::{portal, Portal};
use crate::support::servers::Cyrus;
use crate::waves::{fountain, show};

/// (old login, email, messages of about 20 KB in INBOX and in INBOX.Projects)
const PEOPLE: [(&str, &str, u32); 3] = [
    ("alice", "alice.archer@example.org", 24),
    ("bob", "bob.baker@example.org", 12),
    ("carol", "carol.cole@example.org", 6),
];

async fn seed(cyrus: &Cyrus) {
    for (login, _, n) in PEOPLE {
        let me = Credentials::Login {
            user: login.into(),
            password: format!("{login}-old"),
        };
        let endpoint = Endpoint::new("127.0.0.1", cyrus.port);
        let mut s = Destination::connect(&endpoint, &me, Default::default())
            .await
            .unwrap();
        s.create("INBOX.Projects").await.unwrap();
        for i in 0..n {
            let folder = if i % 2 == 0 {
                "INBOX"
            } else {
                "INBOX.Projects"
            };
            let body = format!(
                "Message-ID: <{i}.{login}@wave.test>\r\nSubject: Report {i}\r\n\r\n{}\r\n",
                "All figures attached. ".repeat(900)
            );
            s.append(folder, &[], None, body.as_bytes()).await.unwrap();
        }
        s.logout().await;
    }
}

async fn upload(c: &fantoccini::Client, app: &crate::support::TestApp, file: &std::path::Path) {
    c.goto(&app.url("/it")).await.unwrap();
    css(c, "#import-wave").await.send_keys("Lab").await.unwrap();
    css(c, "#import-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    css(c, "#import-submit").await.click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_runs_a_wave_from_the_it_page_on_an_old_cyrus() {
    let cyrus = Cyrus::start_for("alice:alice-old\nbob:bob-old\ncarol:carol-old\n", false);
    seed(&cyrus).await;
    let Portal {
        app,
        new,
        sink: _sink,
    } = portal(
        cyrus.port,
        &[
            ("FOUNTAIN__MIGRATION__OLD_SERVER__AUTH", "proxy"),
            ("FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN", "cyradmin"),
            (
                "FOUNTAIN__MIGRATION__OLD_SERVER__ADMIN_PASSWORD",
                "cyradmin-pass",
            ),
            // Slow enough to watch the dashboard move.
            ("FOUNTAIN__MIGRATION__MAX_MB_PER_SEC", "0.05"),
        ],
    )
    .await;
    let driver = chromium().await;
    let c = &driver.client;
    sign_in_as(c, &app, "/it", ("ivan", "ivan-pass"), "#it").await;

    // A file with a bad line: refused with its line, nothing saved.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("lab.csv");
    std::fs::write(
        &bad,
        "email,old_login\nalice.archer@example.org,alice\nbob.baker@example,bob\ncarol.cole@example.org,carol\n",
    )
    .unwrap();
    upload(c, &app, &bad).await;
    let refused = text_until(c, "#import-refused", 30, |t| t.contains("Nobody was added")).await;
    let problems = text_until(c, "#import-problems", 10, |t| !t.is_empty()).await;
    assert!(problems.starts_with("Line 3:"), "{problems}");
    assert!(refused.contains("nothing was saved"), "{refused}");
    assert_eq!(
        fountain(&app, &["show", "Lab"]).status.code(),
        Some(2),
        "no wave made"
    );
    shot(c, "waves-import-refused").await;

    // Corrected: everyone in.
    let good = dir.path().join("lab-fixed.csv");
    std::fs::write(
        &good,
        "email,old_login\nalice.archer@example.org,alice\nbob.baker@example.org,bob\ncarol.cole@example.org,carol\n",
    )
    .unwrap();
    upload(c, &app, &good).await;
    let imported = text_until(c, "main", 30, |t| t.contains("People imported")).await;
    assert!(
        imported.contains("3 people added to the wave “Lab”"),
        "{imported}"
    );

    // IT-run, two at once, the window opening shortly (set on the page; a window that ends before
    // it starts is refused and nothing changes): the pre-flight scan sizes everyone first.
    c.goto(&app.url("/it")).await.unwrap();
    css(c, "#it[data-hydrated=true]").await;
    css(c, "#wave-0-settings").await.click().await.unwrap();
    let opens = server::db::now() + 45;
    let fill = |id: &'static str, text: String| async move {
        let field = css(c, id).await;
        field.clear().await.unwrap();
        field.send_keys(&text).await.unwrap();
    };
    fill("#wave-concurrency", "2".into()).await;
    css(c, "#wave-mode option[value=it_run]")
        .await
        .click()
        .await
        .unwrap();
    fill(
        "#wave-window-start",
        app::format::format_unix_seconds(opens),
    )
    .await;
    fill(
        "#wave-window-end",
        app::format::format_unix_seconds(opens - 60),
    )
    .await;
    css(c, "#wave-settings-save").await.click().await.unwrap();
    let refused = text_until(c, "#wave-settings-refused", 30, |t| !t.is_empty()).await;
    assert!(
        refused.contains("the window ends before it starts"),
        "{refused}"
    );
    assert_eq!(
        show(&app, "Lab")["wave"]["mode"],
        "invite",
        "nothing changed"
    );
    fill("#wave-window-end", String::new()).await;
    css(c, "#wave-settings-save").await.click().await.unwrap();
    text_until(c, "#wave-settings-saved", 30, |t| !t.is_empty()).await;
    let row = text_until(c, "#wave-0", 30, |t| t.contains("IT-run")).await;
    assert!(
        row.contains(&format!("from {}", app::format::format_unix(opens))),
        "{row}"
    );
    let saved = show(&app, "Lab");
    assert_eq!(saved["wave"]["concurrency"], 2, "{saved}");
    assert_eq!(saved["wave"]["window_start"], opens, "{saved}");
    css(c, "#wave-0-start").await.click().await.unwrap();
    text_until(c, "#wave-0", 30, |t| t.contains("running")).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let order = loop {
        css(c, "#wave-0-plan").await.click().await.unwrap();
        css(c, "#wave-plan").await;
        let order = css(c, "#wave-plan-order").await.text().await.unwrap();
        if order.lines().count() == 3 {
            break order;
        }
        assert!(Instant::now() < deadline, "never sized: {order}");
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.refresh().await.unwrap();
        css(c, "#it[data-hydrated=true]").await;
    };
    assert!(
        server::db::now() < opens,
        "sized by the pre-flight scan before the window opened"
    );
    let first: Vec<&str> = order.lines().collect();
    assert!(
        first[0].starts_with("1. alice.archer@example.org"),
        "{order}"
    );
    assert!(first[2].starts_with("3. carol.cole@example.org"), "{order}");
    scroll_to(c, "wave-plan").await;
    shot(c, "waves-preflight-plan").await;

    // The dashboard while it runs: bytes move, then everyone is done.
    css(c, "#wave-0-dashboard").await.click().await.unwrap();
    let mut done_seen: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let bytes = css(c, "#wave-dashboard-bytes").await;
        let done: u64 = bytes
            .attr("data-done")
            .await
            .unwrap()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        if done_seen.last() != Some(&done) {
            done_seen.push(done);
        }
        let states = css(c, "#wave-dashboard-states").await.text().await.unwrap();
        if states.contains("3 done") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never done: {states}; {done_seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(
        done_seen.windows(2).all(|w| w[0] < w[1]),
        "bytes only grow: {done_seen:?}"
    );
    assert!(
        done_seen.len() >= 3,
        "the dashboard moved while it ran: {done_seen:?}"
    );
    let bars = c
        .find_all(fantoccini::Locator::Css("#wave-people-chart g.person"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 3);
    let rows = c
        .find_all(fantoccini::Locator::Css("#wave-dashboard-people tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "a row per person with their finish");
    let points = css(c, "#wave-bytes-chart polyline.done")
        .await
        .attr("points")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(points.split(' ').count() >= 2, "a line over time: {points}");
    scroll_to(c, "wave-dashboard").await;
    shot(c, "waves-dashboard-done").await;

    // The results as CSV (the link the IT page offers), checked against the new server.
    let href = css(c, "#wave-0-report")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    let csv = ivan
        .get(app.url(&href))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (email, state, old, new_side) = (
        column("email"),
        column("state"),
        column("messages on the old server"),
        column("messages on the new server"),
    );
    let mut rows = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let (login, _, n) = PEOPLE
            .iter()
            .find(|(_, e, _)| *e == cells[email])
            .unwrap_or_else(|| panic!("{line}"));
        assert_eq!(cells[state], "done", "{line}");
        assert_eq!(cells[old], n.to_string(), "{login}: {line}");
        let on_new = new.doveadm(&[
            "mailbox",
            "status",
            "-u",
            cells[email],
            "-t",
            "messages",
            "*",
        ]);
        let on_new = on_new.trim().trim_start_matches("messages=");
        assert_eq!(cells[new_side], on_new, "{login}: {line}");
        rows += 1;
    }
    assert_eq!(rows, 3, "{csv}");
}
