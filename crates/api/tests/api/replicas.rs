//! Several replicas on one database: a simultaneous start migrates exactly
//! once (PostgreSQL, directly or through PgBouncer in transaction mode),
//! and a listing read again on one replica shows what was written through
//! another.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use taskpulse_api::settings::AppEnv;
use taskpulse_api::startup::Application;

use crate::helpers::{Backend, Scratch, ScratchDb, TestApp, TestUser, test_settings};

backends!(a_listing_read_again_shows_every_write_made_through_another_replica);

/// The titles `app` lists for `user`, and its `X-Total-Count`.
async fn titles(app: &TestApp, user: &TestUser, query: &str) -> (Vec<String>, String) {
    let response = app.get(&format!("{}{query}", user.tasks()), user).await;
    assert_eq!(response.status(), StatusCode::OK);
    let total = response.headers()["x-total-count"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Vec<Value> = response.json().await.expect("a page");
    let titles = body
        .iter()
        .map(|task| task["title"].as_str().expect("title").to_owned())
        .collect();
    (titles, total)
}

async fn a_listing_read_again_shows_every_write_made_through_another_replica(app: &TestApp) {
    let other = app.replica().await;
    let user = app.signed_up().await;
    let first = app.create_task(&user, json!({"title": "first"})).await;
    app.create_task(&user, json!({"title": "second"})).await;
    let listed = |app| titles(app, &user, "?sort=title");
    assert_eq!(
        listed(app).await,
        (vec!["first".into(), "second".into()], "2".into())
    );
    assert_eq!(
        listed(app).await,
        (vec!["first".into(), "second".into()], "2".into())
    );

    other.create_task(&user, json!({"title": "third"})).await;
    assert_eq!(listed(app).await.0, ["first", "second", "third"]);

    let renamed = other
        .send_json(
            Method::PATCH,
            &user.task(&first),
            &user,
            &json!({"title": "zeroth"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(listed(app).await.0, ["second", "third", "zeroth"]);

    let completed = other
        .send_json(
            Method::PATCH,
            &format!("{}/complete", user.task(&first)),
            &user,
            &json!({"completed": true}),
        )
        .await;
    assert_eq!(completed.status(), StatusCode::OK);
    assert_eq!(
        titles(app, &user, "?completed=true").await,
        (vec!["zeroth".into()], "1".into())
    );
    let deleted = other
        .authed(Method::DELETE, &user.task(&first), &user)
        .send()
        .await
        .expect("request sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        listed(app).await,
        (vec!["second".into(), "third".into()], "2".into())
    );
    assert_eq!(
        titles(app, &user, "?completed=true").await,
        (vec![], "0".into())
    );

    let logout = other
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let revoked = app
        .get(&format!("{}?sort=title", user.tasks()), &user)
        .await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
}

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
