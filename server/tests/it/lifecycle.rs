//! The portal's process lifecycle: health reporting and graceful shutdown.

use crate::support::{postgres_admin_url, Backend, TestApp};
use sea_orm::{ConnectionTrait, Database};

#[tokio::test]
async fn sigterm_stops_the_portal_gracefully() {
    let mut app = TestApp::spawn_process_with(Backend::Sqlite, &[]).await;
    let status = app.terminate().await;
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        app.log()
    );
    assert!(app.log().contains("portal stopped"), "{}", app.log());
    assert!(
        reqwest::get(app.url("/healthz")).await.is_err(),
        "still answering after SIGTERM"
    );
}

#[tokio::test]
async fn healthz_reports_a_lost_database() {
    let app = TestApp::spawn(Backend::Postgres).await;
    assert_eq!(
        reqwest::get(app.url("/healthz")).await.unwrap().status(),
        200
    );

    let name = app.db_url.rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect(postgres_admin_url()).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();

    let resp = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["database"],
        "unreachable"
    );
}
