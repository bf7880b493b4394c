//! Subtasks and manual order over HTTP: `parent_id` on create, `PATCH` and
//! `PUT`, the `top_level` and `parent_id` filters, `sort=position`,
//! `…/move` with `If-Match`, refusals on their fields, and deletion of a
//! whole subtree.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid};

backends!(
    subtasks_are_created_listed_and_filtered,
    a_parent_that_is_not_the_callers_is_refused_like_a_missing_one,
    a_move_places_a_task_first_after_a_sibling_or_under_a_parent,
    a_move_honours_if_match_and_refuses_cycles_and_depth,
    put_keeps_the_parent_unless_given,
    deleting_a_task_deletes_its_subtasks,
);

/// The titles a listing with `query` shows, in order.
async fn titles(app: &TestApp, user: &TestUser, query: &str) -> Vec<String> {
    let response = app.get(&format!("{}{query}", user.tasks()), user).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let page: Vec<Value> = response.json().await.expect("json");
    page.iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn subtask(app: &TestApp, user: &TestUser, title: &str, parent: &Value) -> Value {
    app.create_task(user, json!({"title": title, "parent_id": parent["id"]}))
        .await
}

async fn move_task(app: &TestApp, user: &TestUser, task: &Value, body: Value) -> Response {
    let path = format!("{}/move", user.task(task));
    app.send_json(Method::POST, &path, user, &body).await
}

async fn subtasks_are_created_listed_and_filtered(app: &TestApp) {
    let user = app.signed_up().await;
    let root = app.create_task(&user, json!({"title": "Root"})).await;
    let first = subtask(app, &user, "First", &root).await;
    let second = subtask(app, &user, "Second", &root).await;
    subtask(app, &user, "Grandchild", &first).await;
    app.create_task(&user, json!({"title": "Other"})).await;

    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(first["parent_id"], root["id"]);
    assert!(
        first["position"].as_i64() < second["position"].as_i64(),
        "a new subtask goes last: {first} / {second}"
    );
    let children = format!("?parent_id={}&sort=position", root["id"]);
    assert_eq!(titles(app, &user, &children).await, ["First", "Second"]);
    assert_eq!(
        titles(app, &user, "?top_level=true&sort=id").await,
        ["Root", "Other"]
    );
    assert_eq!(
        titles(app, &user, "?top_level=false&sort=id").await,
        ["First", "Second", "Grandchild"]
    );
    for bad in [
        "?top_level=yes",
        "?parent_id=0",
        "?parent_id=x",
        "?sort=place",
    ] {
        let response = app.get(&format!("{}{bad}", user.tasks()), &user).await;
        let field = bad[1..].split('=').next().expect("a name");
        assert_invalid(response, field).await;
    }
}

async fn a_parent_that_is_not_the_callers_is_refused_like_a_missing_one(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    let bobs = app.create_task(&bob, json!({"title": "Bob's"})).await;
    let mine = app.create_task(&ada, json!({"title": "Mine"})).await;
    let missing = bobs["id"].as_i64().expect("an id") + 1000;

    let mut answers = Vec::new();
    for parent in [bobs["id"].clone(), json!(missing)] {
        let body = json!({"title": "Sub", "parent_id": parent});
        let created = app.send_json(Method::POST, &ada.tasks(), &ada, &body).await;
        let patched = app
            .send_json(
                Method::PATCH,
                &ada.task(&mine),
                &ada,
                &json!({"parent_id": parent}),
            )
            .await;
        for response in [created, patched] {
            let status = response.status();
            let body: Value = response.json().await.expect("json");
            answers.push((status, body["code"].clone(), body["errors"].clone()));
        }
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "one answer for another user's task and a missing one: {answers:?}"
    );
    assert_eq!(answers[0].0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answers[0].2[0]["field"], "parent_id", "{answers:?}");
    let response = app
        .send_json(
            Method::POST,
            &ada.tasks(),
            &ada,
            &json!({"title": "S", "parent_id": 0}),
        )
        .await;
    assert_invalid(response, "parent_id").await;
    assert_eq!(
        titles(app, &bob, "").await,
        ["Bob's"],
        "Bob's tasks unchanged"
    );
}

async fn a_move_places_a_task_first_after_a_sibling_or_under_a_parent(app: &TestApp) {
    let user = app.signed_up().await;
    let one = app.create_task(&user, json!({"title": "One"})).await;
    let two = app.create_task(&user, json!({"title": "Two"})).await;
    let three = app.create_task(&user, json!({"title": "Three"})).await;
    let order = "?top_level=true&sort=position";

    let moved = move_task(app, &user, &three, json!({"after": one["id"]})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(moved["version"], 2);
    assert_eq!(titles(app, &user, order).await, ["One", "Three", "Two"]);

    move_task(app, &user, &two, json!({"after": null})).await;
    assert_eq!(titles(app, &user, order).await, ["Two", "One", "Three"]);
    assert_eq!(
        titles(app, &user, "?top_level=true&sort=-position").await,
        ["Three", "One", "Two"]
    );

    let under = move_task(app, &user, &one, json!({"parent_id": two["id"]})).await;
    let under: Value = under.json().await.expect("json");
    assert_eq!(under["parent_id"], two["id"]);
    assert_eq!(titles(app, &user, order).await, ["Two", "Three"]);

    let back = move_task(
        app,
        &user,
        &one,
        json!({"parent_id": null, "after": two["id"]}),
    )
    .await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(titles(app, &user, order).await, ["Two", "One", "Three"]);

    let elsewhere = move_task(app, &user, &one, json!({"after": one["id"]})).await;
    assert_invalid(elsewhere, "after").await;
    let bad = move_task(app, &user, &one, json!({"after": -1})).await;
    assert_invalid(bad, "after").await;
}

async fn a_move_honours_if_match_and_refuses_cycles_and_depth(app: &TestApp) {
    let user = app.signed_up().await;
    let root = app.create_task(&user, json!({"title": "Root"})).await;
    let two = subtask(app, &user, "2", &root).await;
    let three = subtask(app, &user, "3", &two).await;
    let four = subtask(app, &user, "4", &three).await;
    let other = app.create_task(&user, json!({"title": "Other"})).await;
    let path = format!("{}/move", user.task(&other));

    let stale = app
        .authed(Method::POST, &path, &user)
        .header("If-Match", "\"7\"")
        .json(&json!({"after": null}))
        .send()
        .await
        .expect("sent");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let fresh = app
        .authed(Method::POST, &path, &user)
        .header("If-Match", "\"1\"")
        .json(&json!({"after": null}))
        .send()
        .await
        .expect("sent");
    assert_eq!(fresh.status(), StatusCode::OK);

    let cycle = move_task(app, &user, &root, json!({"parent_id": three["id"]})).await;
    assert_invalid(cycle, "parent_id").await;
    let too_deep = subtask_response(app, &user, &four).await;
    assert_invalid(too_deep, "parent_id").await;
    let nested = move_task(app, &user, &other, json!({"parent_id": three["id"]})).await;
    assert_eq!(nested.status(), StatusCode::OK, "a fourth level is fine");
    let deeper = move_task(app, &user, &two, json!({"parent_id": other["id"]})).await;
    assert_invalid(deeper, "parent_id").await;

    let missing = format!("{}/999999/move", user.tasks());
    let response = app
        .send_json(Method::POST, &missing, &user, &json!({"after": null}))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn subtask_response(app: &TestApp, user: &TestUser, parent: &Value) -> Response {
    let body = json!({"title": "Too deep", "parent_id": parent["id"]});
    app.send_json(Method::POST, &user.tasks(), user, &body)
        .await
}

async fn put_keeps_the_parent_unless_given(app: &TestApp) {
    let user = app.signed_up().await;
    let root = app.create_task(&user, json!({"title": "Root"})).await;
    let child = subtask(app, &user, "Child", &root).await;
    let path = user.task(&child);

    let kept = app
        .send_json(Method::PUT, &path, &user, &json!({"title": "Renamed"}))
        .await;
    let kept: Value = kept.json().await.expect("json");
    assert_eq!(
        kept["parent_id"], root["id"],
        "a PUT without parent_id keeps it"
    );
    let same = app
        .send_json(
            Method::PATCH,
            &path,
            &user,
            &json!({"parent_id": root["id"]}),
        )
        .await;
    let same: Value = same.json().await.expect("json");
    assert_eq!(
        same["version"], kept["version"],
        "the same parent writes nothing"
    );
    let top = app
        .send_json(
            Method::PUT,
            &path,
            &user,
            &json!({"title": "Top", "parent_id": null}),
        )
        .await;
    let top: Value = top.json().await.expect("json");
    assert_eq!(top["parent_id"], Value::Null);
    assert!(
        top["position"].as_i64() > root["position"].as_i64(),
        "after its new siblings: {top}"
    );
}

async fn deleting_a_task_deletes_its_subtasks(app: &TestApp) {
    let user = app.signed_up().await;
    let root = app.create_task(&user, json!({"title": "Root"})).await;
    let child = subtask(app, &user, "Child", &root).await;
    subtask(app, &user, "Grandchild", &child).await;
    app.create_task(&user, json!({"title": "Other"})).await;

    let deleted = app
        .authed(Method::DELETE, &user.task(&root), &user)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(titles(app, &user, "").await, ["Other"]);
    let gone = app.get(&user.task(&child), &user).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}
