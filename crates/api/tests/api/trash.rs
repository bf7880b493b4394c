//! The trash over HTTP: `DELETE` moves a task and its subtasks there;
//! `GET …/tasks/trash` lists it, `POST …/{task_id}/restore` brings it back
//! (honouring `If-Match`), `DELETE …/tasks/trash/{task_id}` erases it; none
//! of it reaches another user's tasks.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};

backends!(
    a_deleted_task_is_listed_in_the_trash_and_restored_with_its_subtasks,
    a_purged_task_is_gone_for_good,
    the_trash_pages_and_refuses_bad_parameters,
    another_users_trash_is_out_of_reach,
);

async fn delete(app: &TestApp, user: &TestUser, task: &Value) -> Response {
    app.authed(Method::DELETE, &user.task(task), user)
        .send()
        .await
        .expect("sent")
}

async fn restore(app: &TestApp, user: &TestUser, task: &Value, if_match: Option<&str>) -> Response {
    let mut request = app.authed(Method::POST, &format!("{}/restore", user.task(task)), user);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().await.expect("sent")
}

async fn purge(app: &TestApp, user: &TestUser, task: &Value) -> Response {
    let path = format!("{}/trash/{}", user.tasks(), task["id"]);
    app.authed(Method::DELETE, &path, user)
        .send()
        .await
        .expect("sent")
}

/// The trash's page for `query`: its tasks and `X-Total-Count`.
async fn trash(app: &TestApp, user: &TestUser, query: &str) -> (Vec<Value>, u64) {
    let response = app
        .get(&format!("{}/trash{query}", user.tasks()), user)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let total = response.headers()["x-total-count"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("a count");
    (response.json().await.expect("json array"), total)
}

fn ids(tasks: &[Value]) -> Vec<&Value> {
    tasks.iter().map(|t| &t["id"]).collect()
}

async fn a_deleted_task_is_listed_in_the_trash_and_restored_with_its_subtasks(app: &TestApp) {
    let user = app.signed_up().await;
    let root = app.create_task(&user, json!({"title": "Root"})).await;
    let child = app
        .create_task(&user, json!({"title": "Child", "parent_id": root["id"]}))
        .await;

    assert_eq!(
        delete(app, &user, &root).await.status(),
        StatusCode::NO_CONTENT
    );

    for gone in [&root, &child] {
        let read = app.get(&user.task(gone), &user).await;
        error_body(read, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let listing = app.get(&user.tasks(), &user).await;
    assert_eq!(
        listing.json::<Vec<Value>>().await.expect("json"),
        Vec::<Value>::new()
    );
    let (listed, total) = trash(app, &user, "").await;
    assert_eq!(
        (ids(&listed), total),
        (vec![&root["id"]], 1),
        "not its subtask"
    );
    assert_eq!(listed[0]["title"], "Root");
    assert!(
        listed[0]["deleted_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let stale = restore(app, &user, &root, Some("\"2\"")).await;
    error_body(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "PRECONDITION_FAILED",
    )
    .await;
    let nested = restore(app, &user, &child, None).await;
    error_body(nested, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let back = restore(app, &user, &root, Some("\"1\"")).await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(back.headers()["etag"], "\"2\"");
    let back: Value = back.json().await.expect("json");
    assert_eq!(
        (&back["id"], &back["title"], &back["version"]),
        (&root["id"], &json!("Root"), &json!(2))
    );
    let child_back: Value = app
        .get(&user.task(&child), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (&child_back["parent_id"], &child_back["version"]),
        (&root["id"], &json!(2))
    );
    assert_eq!(trash(app, &user, "").await, (vec![], 0));
}

async fn a_purged_task_is_gone_for_good(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Doomed"})).await;
    let live = app.create_task(&user, json!({"title": "Live"})).await;

    error_body(
        purge(app, &user, &live).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    delete(app, &user, &task).await;
    assert_eq!(
        purge(app, &user, &task).await.status(),
        StatusCode::NO_CONTENT
    );

    assert_eq!(trash(app, &user, "").await, (vec![], 0));
    error_body(
        purge(app, &user, &task).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    error_body(
        restore(app, &user, &task, None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        app.get(&user.task(&live), &user).await.status(),
        StatusCode::OK
    );
}

async fn the_trash_pages_and_refuses_bad_parameters(app: &TestApp) {
    let user = app.signed_up().await;
    let mut made = Vec::new();
    for title in ["One", "Two", "Three"] {
        let task = app.create_task(&user, json!({"title": title})).await;
        delete(app, &user, &task).await;
        made.push(task);
    }

    let first_page = app
        .get(&format!("{}/trash?limit=2", user.tasks()), &user)
        .await;
    assert_eq!(
        first_page.headers()["link"],
        format!("<{}/trash?limit=2&offset=2>; rel=\"next\"", user.tasks()).as_str()
    );
    let (first, total) = trash(app, &user, "?limit=2").await;
    let (rest, _) = trash(app, &user, "?limit=2&offset=2").await;

    assert_eq!(total, 3);
    let newest_first: Vec<&Value> = made.iter().rev().map(|t| &t["id"]).collect();
    let mut paged = ids(&first);
    paged.extend(ids(&rest));
    assert_eq!(paged, newest_first);
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?offset=-1", "offset"),
    ] {
        let response = app
            .get(&format!("{}/trash{query}", user.tasks()), &user)
            .await;
        assert_invalid(response, field).await;
    }
}

async fn another_users_trash_is_out_of_reach(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    let adas = app.create_task(&ada, json!({"title": "Ada's"})).await;
    delete(app, &ada, &adas).await;

    let bobs_view = app.get(&format!("{}/trash", ada.tasks()), &bob).await;
    error_body(bobs_view, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(trash(app, &bob, "").await, (vec![], 0));
    let adas_restore = format!("{}/restore", ada.task(&adas));
    let adas_purge = format!("{}/trash/{}", ada.tasks(), adas["id"]);
    for response in [
        restore(app, &bob, &adas, None).await,
        purge(app, &bob, &adas).await,
        app.authed(Method::POST, &adas_restore, &bob)
            .send()
            .await
            .expect("sent"),
        app.authed(Method::DELETE, &adas_purge, &bob)
            .send()
            .await
            .expect("sent"),
    ] {
        error_body(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let parent_in_trash = app
        .send_json(
            Method::POST,
            &ada.tasks(),
            &ada,
            &json!({"title": "Under", "parent_id": adas["id"]}),
        )
        .await;
    assert_invalid(parent_in_trash, "parent_id").await;
    assert_eq!(trash(app, &ada, "").await.1, 1);
}
