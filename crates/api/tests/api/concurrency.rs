//! No lost writes: idempotent creates and concurrent updates.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_body};

backends!(
    a_repeated_idempotent_create_replays_the_first_answer,
    an_idempotency_key_with_another_body_is_refused,
    an_invalid_idempotency_key_is_a_validation_error,
    idempotency_keys_belong_to_one_user,
    twenty_simultaneous_idempotent_creates_make_one_task,
    fifty_concurrent_toggles_with_if_match_lose_no_update,
    twenty_concurrent_patches_without_if_match_all_count,
);

async fn create_with_key(
    app: &TestApp,
    user: &TestUser,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.authed(Method::POST, &user.tasks(), user)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

async fn task_count(app: &TestApp, user: &TestUser) -> usize {
    let tasks: Vec<Value> = app
        .get(&user.tasks(), user)
        .await
        .json()
        .await
        .expect("json");
    tasks.len()
}

async fn a_repeated_idempotent_create_replays_the_first_answer(app: &TestApp) {
    let user = app.signed_up().await;
    let body = json!({"title": "Once"});

    let first = create_with_key(app, &user, "key-1", &body).await;
    let second = create_with_key(app, &user, "key-1", &body).await;

    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    for header in ["etag", "location", "content-type"] {
        assert_eq!(
            first.headers()[header],
            second.headers()[header],
            "{header}"
        );
    }
    assert_eq!(
        first.bytes().await.expect("body"),
        second.bytes().await.expect("body")
    );
    assert_eq!(task_count(app, &user).await, 1);
}

async fn an_idempotency_key_with_another_body_is_refused(app: &TestApp) {
    let user = app.signed_up().await;
    create_with_key(app, &user, "key-1", &json!({"title": "First"})).await;

    let response = create_with_key(app, &user, "key-1", &json!({"title": "Second"})).await;

    error_body(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
    assert_eq!(task_count(app, &user).await, 1);
}

async fn an_invalid_idempotency_key_is_a_validation_error(app: &TestApp) {
    let user = app.signed_up().await;

    let response = create_with_key(app, &user, &"k".repeat(256), &json!({"title": "x"})).await;

    let body = error_body(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(task_count(app, &user).await, 0);
}

async fn idempotency_keys_belong_to_one_user(app: &TestApp) {
    let (ada, bob) = (app.signed_up().await, app.signed_up().await);
    let body = json!({"title": "Same key"});

    let adas = create_with_key(app, &ada, "shared", &body).await;
    let bobs = create_with_key(app, &bob, "shared", &body).await;

    assert_eq!(
        (adas.status(), bobs.status()),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let bobs: Value = bobs.json().await.expect("json");
    assert_eq!(bobs["user_id"], bob.id.as_str());
    assert_eq!(task_count(app, &ada).await, 1);
    assert_eq!(task_count(app, &bob).await, 1);
}

async fn twenty_simultaneous_idempotent_creates_make_one_task(app: &TestApp) {
    let user = app.signed_up().await;
    let body = json!({"title": "Exactly once"});

    let responses = join_all((0..20).map(|_| create_with_key(app, &user, "burst", &body))).await;

    let mut created_bodies = Vec::new();
    for response in responses {
        match response.status() {
            StatusCode::CREATED => created_bodies.push(response.bytes().await.expect("body")),
            StatusCode::CONFLICT => {
                error_body(response, StatusCode::CONFLICT, "IDEMPOTENCY_IN_PROGRESS").await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(!created_bodies.is_empty());
    assert!(created_bodies.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(task_count(app, &user).await, 1);
}

/// Toggles with `If-Match`, re-reading and retrying on 412 until it lands.
async fn toggle_until_applied(app: &TestApp, user: &TestUser, path: &str) {
    loop {
        let current = app.get(path, user).await;
        let etag = current.headers()["etag"].clone();
        let response = app
            .authed(Method::PATCH, &format!("{path}/complete"), user)
            .header("if-match", etag)
            .send()
            .await
            .expect("sent");
        match response.status() {
            StatusCode::OK => return,
            StatusCode::PRECONDITION_FAILED => continue,
            other => panic!("unexpected status {other}"),
        }
    }
}

async fn fifty_concurrent_toggles_with_if_match_lose_no_update(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Contended"})).await;
    let path = user.task(&task);

    join_all((0..50).map(|_| toggle_until_applied(app, &user, &path))).await;

    let last: Value = app.get(&path, &user).await.json().await.expect("json");
    assert_eq!(last["version"], 51);
    assert_eq!(last["completed"], false, "an even number of toggles");
}

async fn twenty_concurrent_patches_without_if_match_all_count(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Busy"})).await;
    let path = user.task(&task);

    let edits: Vec<Value> = (0..20)
        .map(|n| json!({"title": format!("edit {n}")}))
        .collect();

    let responses = join_all(
        edits
            .iter()
            .map(|edit| app.send_json(Method::PATCH, &path, &user, edit)),
    )
    .await;

    assert!(responses.iter().all(|r| r.status() == StatusCode::OK));
    let last: Value = app.get(&path, &user).await.json().await.expect("json");
    assert_eq!(last["version"], 21);
}
