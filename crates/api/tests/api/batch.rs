//! Batches over HTTP: every op or none, each op on its own, one result per
//! op, the envelope's limits, another user's tasks, and idempotent repeats.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_body};

backends!(
    an_atomic_batch_writes_every_op,
    an_atomic_batch_with_a_refused_op_writes_nothing,
    a_batch_that_is_not_atomic_writes_each_op_on_its_own,
    the_envelope_is_validated,
    another_users_task_in_a_batch_is_missing,
    a_batch_with_an_idempotency_key_is_written_once,
);

fn batch_path(user: &TestUser) -> String {
    format!("{}/batch", user.tasks())
}

async fn send(app: &TestApp, user: &TestUser, body: Value) -> Response {
    app.send_json(Method::POST, &batch_path(user), user, &body)
        .await
}

async fn answer(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let response = send(app, user, body).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

fn statuses(answer: &Value) -> Vec<u64> {
    answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_u64().expect("status"))
        .collect()
}

async fn titles(app: &TestApp, user: &TestUser) -> Vec<String> {
    let page: Vec<Value> = app
        .get(&format!("{}?sort=id", user.tasks()), user)
        .await
        .json()
        .await
        .expect("json");
    page.iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn an_atomic_batch_writes_every_op(app: &TestApp) {
    let user = app.signed_up().await;
    let first = app.create_task(&user, json!({"title": "First"})).await;
    let second = app.create_task(&user, json!({"title": "Second"})).await;
    let done = answer(
        app,
        &user,
        json!({"ops": [
            {"op": "create", "body": {"title": "New", "labels": ["Batch"]}},
            {"op": "patch", "id": first["id"], "if_match": "\"1\"", "body": {"priority": 4}},
            {"op": "complete", "id": first["id"], "if_match": 2},
            {"op": "move", "id": second["id"], "body": {"parent_id": first["id"]}},
            {"op": "delete", "id": second["id"]},
        ]}),
    )
    .await;

    assert_eq!(statuses(&done), [201, 200, 200, 200, 204], "{done}");
    assert_eq!(
        (&done["applied"], &done["failed_index"]),
        (&json!(true), &Value::Null)
    );
    let results = &done["results"];
    assert_eq!(results[0]["task"]["labels"], json!(["Batch"]));
    assert_eq!(
        (
            &results[2]["task"]["completed"],
            &results[2]["task"]["version"]
        ),
        (&json!(true), &json!(3))
    );
    assert_eq!(results[3]["task"]["parent_id"], first["id"]);
    assert!(results[4].get("task").is_none());
    assert_eq!(titles(app, &user).await, ["First", "New"]);
}

async fn an_atomic_batch_with_a_refused_op_writes_nothing(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Task"})).await;
    let refused = answer(
        app,
        &user,
        json!({"atomic": true, "ops": [
            {"op": "create", "body": {"title": "Never"}},
            {"op": "patch", "id": task["id"], "if_match": "\"9\"", "body": {"title": "Stale"}},
            {"op": "delete", "id": task["id"]},
        ]}),
    )
    .await;
    assert_eq!(statuses(&refused), [424, 412, 424], "{refused}");
    assert_eq!(
        (&refused["applied"], &refused["failed_index"]),
        (&json!(false), &json!(1))
    );
    assert_eq!(
        refused["results"][1]["error"]["code"],
        "PRECONDITION_FAILED"
    );
    assert_eq!(titles(app, &user).await, ["Task"], "nothing written");

    let unparsed = answer(
        app,
        &user,
        json!({"ops": [
            {"op": "delete", "id": task["id"]},
            {"op": "create", "body": {"title": " "}},
            {"op": "rename", "id": task["id"]},
        ]}),
    )
    .await;
    assert_eq!(statuses(&unparsed), [424, 422, 422], "{unparsed}");
    assert_eq!(unparsed["failed_index"], 1);
    assert_eq!(
        unparsed["results"][1]["error"]["errors"][0]["field"],
        "title"
    );
    assert_eq!(unparsed["results"][2]["error"]["errors"][0]["field"], "op");
    assert_eq!(titles(app, &user).await, ["Task"], "nothing written");
}

async fn a_batch_that_is_not_atomic_writes_each_op_on_its_own(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Task"})).await;
    let mixed = answer(
        app,
        &user,
        json!({"atomic": false, "ops": [
            {"op": "create", "body": {"title": "Kept"}},
            {"op": "patch", "id": 999_999_999, "body": {"title": "Nowhere"}},
            {"op": "create", "body": {}},
            {"op": "complete", "id": task["id"], "if_match": "*"},
        ]}),
    )
    .await;
    assert_eq!(statuses(&mixed), [201, 404, 422, 200], "{mixed}");
    assert_eq!(
        (&mixed["applied"], &mixed["failed_index"]),
        (&json!(true), &Value::Null)
    );
    assert_eq!(titles(app, &user).await, ["Task", "Kept"]);
}

async fn the_envelope_is_validated(app: &TestApp) {
    let user = app.signed_up().await;
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"op": "create", "body": {"title": format!("T{i}")}}))
        .collect();
    for (body, field) in [
        (json!({"ops": []}), "ops"),
        (json!({}), "ops"),
        (json!({"ops": too_many}), "ops"),
        (
            json!({"atomic": null, "ops": [{"op": "delete", "id": 1}]}),
            "atomic",
        ),
    ] {
        let response = send(app, &user, body).await;
        let body = error_body(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let not_a_list = send(app, &user, json!({"ops": {"op": "create"}})).await;
    assert_eq!(not_a_list.status(), StatusCode::BAD_REQUEST);
    let hundred: Vec<Value> = (0..100)
        .map(|i| json!({"op": "create", "body": {"title": format!("T{i}")}}))
        .collect();
    let full = answer(app, &user, json!({"ops": hundred})).await;
    assert_eq!(statuses(&full), vec![201; 100]);
    assert_eq!(titles(app, &user).await.len(), 100);
}

async fn another_users_task_in_a_batch_is_missing(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    let bobs = app.create_task(&bob, json!({"title": "Bob's"})).await;
    let refused = answer(
        app,
        &ada,
        json!({"ops": [
            {"op": "create", "body": {"title": "Sub", "parent_id": bobs["id"]}},
        ]}),
    )
    .await;
    assert_eq!(statuses(&refused), [422]);
    for op in ["patch", "complete", "move", "delete"] {
        let body = json!({"atomic": false, "ops": [{"op": op, "id": bobs["id"], "body": {}}]});
        let answer = answer(app, &ada, body).await;
        assert_eq!(statuses(&answer), [404], "{op}: {answer}");
    }
    let read: Value = app
        .get(&bob.task(&bobs), &bob)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (&read["title"], &read["version"]),
        (&json!("Bob's"), &json!(1))
    );
    let foreign = app
        .send_json(
            Method::POST,
            &batch_path(&bob),
            &ada,
            &json!({"ops": [{"op": "delete", "id": bobs["id"]}]}),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
}

async fn a_batch_with_an_idempotency_key_is_written_once(app: &TestApp) {
    let user = app.signed_up().await;
    let body = json!({"ops": [{"op": "create", "body": {"title": "Once"}}]});
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = app
            .authed(Method::POST, &batch_path(&user), &user)
            .header("Idempotency-Key", "batch-1")
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        answers.push(response.text().await.expect("body"));
    }
    assert_eq!(answers[0], answers[1], "replayed byte for byte");
    assert_eq!(titles(app, &user).await, ["Once"]);
}
