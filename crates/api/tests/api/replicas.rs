//! Several replicas on one PostgreSQL database, directly or through
//! PgBouncer in transaction mode: a simultaneous start migrates exactly once.

use sea_orm::{ConnectionTrait, Database, Statement};
use taskpulse_api::settings::AppEnv;
use taskpulse_api::startup::Application;

use crate::helpers::{Backend, Scratch, ScratchDb, test_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_at_once_on_an_empty_database_migrate_exactly_once() {
    start_two_replicas_at_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_at_once_through_pgbouncer_migrate_exactly_once() {
    start_two_replicas_at_once(Backend::PgBouncer).await;
}

async fn start_two_replicas_at_once(backend: Backend) {
    let Some(ScratchDb {
        server_url,
        direct_url,
        scratch,
    }) = Scratch::create(backend).await
    else {
        return;
    };
    let settings = || {
        let mut settings = test_settings(&server_url)
            .validated(AppEnv::Test)
            .expect("valid settings");
        settings.database.transaction_pooling = matches!(backend, Backend::PgBouncer);
        settings
    };

    let (first, second) = tokio::join!(
        Application::build(settings()),
        Application::build(settings())
    );

    let db = Database::connect(&direct_url).await.expect("connect");
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version",
    );
    let rows = db.query_all_raw(statement).await.expect("migration rows");
    let _ = db.close().await;
    let (first, second) = (first.map(|a| a.port()), second.map(|a| a.port()));
    scratch.remove().await;

    assert!(
        first.is_ok() && second.is_ok(),
        "both start: {first:?} {second:?}"
    );
    assert!(rows.len() >= 4, "every migration applied");
    for row in rows {
        assert_eq!(
            row.try_get::<i64>("", "n").expect("count"),
            1,
            "each migration recorded once"
        );
    }
}
