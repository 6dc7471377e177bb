//! The probes against real parts: `/metrics` counts what a real copy did (requests by state, messages
//! and bytes written, a refused login by class), `/readyz` says whether a worker beats, and a worker
//! started alone answers the same on its own listener, its heartbeat gone when it stops.
use std::time::Duration;

use app::dto::RequestState;

use crate::support::flow::{portal, portal_with, Portal};
use crate::support::servers::Dovecot;
use crate::support::{free_port, Backend};

/// The value of the sample whose line starts with `series` (name and labels, as written).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_what_a_real_copy_did() {
    let old = Dovecot::start("old", None);
    old.seed_sample("alice", 40, 3);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal(old.port, &[]).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    // A wrong password: the old server refuses the login, counted by class.
    let (status, _) = app.connect_call(&alice, "alice", "not-her-password").await;
    assert!(status >= 400);
    app.connect(&alice, "alice", "alice-old").await;
    let (status, body) = app.scan_and_start_everything(&alice).await;
    assert_eq!(status, 200, "{body}");
    let request = app.until_ended(&alice, 120).await;
    assert_eq!(request.state, RequestState::Done);
    let report = request.report.unwrap();
    let copied: u64 = report.folders.iter().map(|f| f.copied).sum();
    assert!(copied > 0);

    let (status, metrics) = get(&app.url("/metrics")).await;
    assert_eq!(status, 200, "{metrics}");
    assert!(
        metrics.contains("# TYPE fountain_requests gauge"),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "fountain_requests{state=\"done\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&metrics, "fountain_queue_depth"), Some(0.0));
    assert_eq!(sample(&metrics, "fountain_workers_alive"), Some(1.0));
    let new_address = format!("127.0.0.1:{}", _new.port);
    assert_eq!(
        sample(
            &metrics,
            &format!("fountain_copied_messages_total{{server=\"new\",address=\"{new_address}\"}}")
        ),
        Some(copied as f64),
        "{metrics}"
    );
    let old_address = format!("127.0.0.1:{}", old.port);
    assert_eq!(
        sample(
            &metrics,
            &format!(
                "fountain_imap_errors_total{{server=\"old\",address=\"{old_address}\",class=\"auth\"}}"
            )
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        sample(&metrics, "fountain_server_connection_cap{server=\"old\"}")
            .is_some_and(|c| c >= 1.0),
        "{metrics}"
    );
    // The status email went out: nothing waits, nothing was given up on.
    assert_eq!(sample(&metrics, "fountain_outbox_given_up"), Some(0.0));

    let (status, ready) = get(&app.url("/readyz")).await;
    assert_eq!(status, 200, "{ready}");
}

#[tokio::test]
async fn readiness_follows_the_workers_and_a_worker_alone_answers_on_its_own_listener() {
    let old = Dovecot::start("old", None);
    let Portal {
        new: _new,
        sink: _sink,
        app,
    } = portal_with(
        Backend::Postgres,
        old.port,
        &[],
        &[
            ("FOUNTAIN__MIGRATION__WORKERS_IN_PORTAL", "false"),
            ("FOUNTAIN__MIGRATION__HEARTBEAT_TIMEOUT_SECS", "30"),
        ],
    )
    .await;
    // No worker yet: alive, but not ready, and saying why.
    assert_eq!(get(&app.url("/healthz")).await.0, 200);
    let (status, body) = get(&app.url("/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("no worker has beaten"), "{body}");

    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // Its /metrics behind a bearer token.
    let token_dir = tempfile::tempdir().unwrap();
    let token_file = token_dir.path().join("metrics-token");
    std::fs::write(&token_file, "t0ken-of-the-probes-test\n").unwrap();
    let mut worker = app.spawn_worker_with(
        1,
        &[
            ("FOUNTAIN__SERVER__WORKER_LISTEN", &listen),
            (
                "FOUNTAIN__SERVER__METRICS_TOKEN_FILE",
                token_file.to_str().unwrap(),
            ),
        ],
    );
    let worker_url = |path: &str| format!("http://{listen}{path}");
    let mut ready = (0, String::new());
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(worker_url("/readyz")).await {
            ready = (r.status().as_u16(), r.text().await.unwrap());
            if ready.0 == 200 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ready.0, 200, "{ready:?}");
    assert_eq!(get(&worker_url("/healthz")).await.0, 200);
    let (status, refused) = get(&worker_url("/metrics")).await;
    assert_eq!(status, 401, "{refused}");
    assert!(!refused.contains("fountain_"), "{refused}");
    let wrong = reqwest::Client::new()
        .get(worker_url("/metrics"))
        .bearer_auth("t0ken-of-the-probes-tesT")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let answer = reqwest::Client::new()
        .get(worker_url("/metrics"))
        .bearer_auth("t0ken-of-the-probes-test")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let metrics = answer.text().await.unwrap();
    assert_eq!(sample(&metrics, "fountain_workers_alive"), Some(1.0));
    assert!(metrics.contains("fountain_worker_heartbeat_age_seconds{worker=\""));
    // The portal sees the worker through the database.
    assert_eq!(get(&app.url("/readyz")).await.0, 200);

    // Stopped cleanly, the worker takes its heartbeat with it: not ready again at once.
    let pid = worker.id().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(35), worker.wait())
        .await
        .expect("the worker stops")
        .unwrap();
    let (status, body) = get(&app.url("/readyz")).await;
    assert_eq!(status, 503, "{body}");
    let (_, metrics) = get(&app.url("/metrics")).await;
    assert_eq!(sample(&metrics, "fountain_workers_alive"), Some(0.0));
}

/// The helpdesk's page polls every 5 s and a reverse proxy keeps idle connections to the portal for a
/// minute: a connection idle longer than that poll must still be open (actix closes at 5 s unless told).
#[tokio::test]
async fn an_idle_connection_outlives_the_pages_polls() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = crate::support::TestApp::spawn(Backend::Sqlite).await;
    let port = app
        .address
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let ask = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for round in 0..2 {
        if round == 1 {
            tokio::time::sleep(Duration::from_secs(7)).await;
        }
        stream.write_all(ask).await.unwrap();
        let mut answer = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
            .await
            .expect("an answer")
            .unwrap_or(0);
        let head = String::from_utf8_lossy(&answer[..n]);
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "round {round}: {head:?} (the portal closed the idle connection)"
        );
    }
}
