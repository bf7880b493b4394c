//! The change log over HTTP: `GET …/changes` (a snapshot, then what
//! changed and what was deleted since a cursor), `GET …/activity`, and the
//! validator of task listings (`ETag`, `If-None-Match` → 304), and the
//! export.

use data_encoding::BASE64URL_NOPAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};

backends!(
    a_client_syncs_a_snapshot_then_changes_and_deletions,
    the_feed_pages_with_its_cursor,
    cursors_that_are_not_the_callers_are_refused,
    a_cursor_older_than_the_retention_is_gone,
    the_activity_says_what_changed_when_and_from_which_session,
    a_listing_is_not_modified_while_nothing_changed,
    another_users_changes_are_out_of_reach,
    the_export_holds_every_task_past_a_page_and_a_cursor_to_catch_up,
);

fn changes_path(user: &TestUser, query: &str) -> String {
    format!("/api/v1/users/{}/changes{query}", user.id)
}

/// The feed's page after `cursor` (from the start without one).
async fn changes(app: &TestApp, user: &TestUser, cursor: Option<&str>, limit: u32) -> Value {
    let query = match cursor {
        Some(cursor) => format!("?cursor={cursor}&limit={limit}"),
        None => format!("?limit={limit}"),
    };
    let response = app.get(&changes_path(user, &query), user).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("a JSON page")
}

fn titles(page: &Value) -> Vec<&str> {
    page["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["title"].as_str().expect("a title"))
        .collect()
}

async fn a_client_syncs_a_snapshot_then_changes_and_deletions(app: &TestApp) {
    let user = app.signed_up().await;
    let kept = app
        .create_task(&user, json!({"title": "Kept", "labels": ["Home"]}))
        .await;
    let gone = app.create_task(&user, json!({"title": "Gone"})).await;

    let snapshot = changes(app, &user, None, 100).await;
    assert_eq!(titles(&snapshot), ["Kept", "Gone"]);
    assert_eq!(snapshot["labels"][0]["name"], "Home");
    assert_eq!(snapshot["deleted"], json!([]));
    assert_eq!(snapshot["has_more"], false);
    let cursor = snapshot["cursor"].as_str().expect("a cursor");

    let nothing = changes(app, &user, Some(cursor), 100).await;
    assert_eq!(
        (&nothing["tasks"], &nothing["deleted"]),
        (&json!([]), &json!([]))
    );

    let patched = app
        .send_json(
            Method::PATCH,
            &user.task(&kept),
            &user,
            &json!({"completed": true}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let deleted = app
        .authed(Method::DELETE, &user.task(&gone), &user)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let delta = changes(app, &user, Some(cursor), 100).await;
    assert_eq!(titles(&delta), ["Kept"]);
    assert_eq!(delta["tasks"][0]["completed"], true, "in its latest state");
    assert_eq!(delta["deleted"][0]["type"], "task");
    assert_eq!(delta["deleted"][0]["id"], gone["id"]);
    assert!(delta["deleted"][0]["deleted_at"].is_string());
}

async fn the_feed_pages_with_its_cursor(app: &TestApp) {
    let user = app.signed_up().await;
    for n in 0..5 {
        app.create_task(&user, json!({"title": format!("T{n}")}))
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = changes(app, &user, cursor.as_deref(), 2).await;
        assert!(page["tasks"].as_array().expect("tasks").len() <= 2);
        seen.extend(titles(&page).into_iter().map(str::to_owned));
        cursor = Some(page["cursor"].as_str().expect("a cursor").to_owned());
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, ["T0", "T1", "T2", "T3", "T4"], "each once, in order");
}

async fn cursors_that_are_not_the_callers_are_refused(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    app.create_task(&ada, json!({"title": "Ada's"})).await;
    let adas = changes(app, &ada, None, 100).await;
    let adas_cursor = adas["cursor"].as_str().expect("a cursor");

    for query in [
        format!("?cursor={adas_cursor}"),
        "?cursor=not-a-cursor".to_owned(),
        "?cursor=".to_owned(),
    ] {
        let response = app.get(&changes_path(&bob, &query), &bob).await;
        assert_invalid(response, "cursor").await;
    }
    for limit in ["0", "1001", "x"] {
        let response = app
            .get(&changes_path(&ada, &format!("?limit={limit}")), &ada)
            .await;
        assert_invalid(response, "limit").await;
    }
}

/// The caller's own cursor, as the server encodes one (tag, snapshot flag,
/// owner, sequence number, start of its run in microseconds), whose run
/// began `days_ago`.
fn aged_cursor(cursor: &str, days_ago: i64) -> String {
    let mut bytes = BASE64URL_NOPAD
        .decode(cursor.as_bytes())
        .expect("base64url");
    assert_eq!((bytes[0], bytes.len()), (b'S', 34), "a sync cursor");
    let started = chrono::Utc::now() - chrono::Duration::days(days_ago);
    bytes[26..].copy_from_slice(&started.timestamp_micros().to_be_bytes());
    BASE64URL_NOPAD.encode(&bytes)
}

async fn a_cursor_older_than_the_retention_is_gone(app: &TestApp) {
    let ada = app.signed_up().await;
    app.create_task(&ada, json!({"title": "Ada's"})).await;
    let page = changes(app, &ada, None, 100).await;
    let cursor = page["cursor"].as_str().expect("a cursor");

    let kept = aged_cursor(cursor, 29);
    changes(app, &ada, Some(&kept), 100).await;
    let expired = aged_cursor(cursor, 31);
    let response = app
        .get(&changes_path(&ada, &format!("?cursor={expired}")), &ada)
        .await;
    error_body(response, StatusCode::GONE, "SYNC_CURSOR_EXPIRED").await;
}

async fn the_activity_says_what_changed_when_and_from_which_session(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "First"})).await;
    let renamed = app
        .send_json(
            Method::PATCH,
            &user.task(&task),
            &user,
            &json!({"title": "Second"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let path = format!("/api/v1/users/{}/activity?limit=1", user.id);

    let newest: Value = app.get(&path, &user).await.json().await.expect("json");
    let change = &newest["changes"][0];
    assert_eq!(
        (&change["type"], &change["id"], &change["action"]),
        (&json!("task"), &task["id"], &json!("updated"))
    );
    assert_eq!(change["fields"], json!(["title"]));
    assert!(change["session_id"].is_string(), "{change}");
    let cursor = newest["cursor"].as_str().expect("an older page");
    let older: Value = app
        .get(&format!("{path}&cursor={cursor}"), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(older["changes"][0]["action"], "created");
    assert_eq!(older["cursor"], Value::Null, "the last page");
}

async fn a_listing_is_not_modified_while_nothing_changed(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "One"})).await;
    let first = app.get(&user.tasks(), &user).await;
    let tag = first.headers()["etag"].to_str().expect("ascii").to_owned();

    let again = app
        .authed(Method::GET, &user.tasks(), &user)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], tag.as_str());
    assert!(again.bytes().await.expect("a body").is_empty());

    let other_query = app
        .authed(Method::GET, &format!("{}?limit=5", user.tasks()), &user)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("sent");
    assert_eq!(other_query.status(), StatusCode::OK, "another query");

    app.send_json(
        Method::PATCH,
        &user.task(&task),
        &user,
        &json!({"title": "Changed"}),
    )
    .await;
    let changed = app
        .authed(Method::GET, &user.tasks(), &user)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("sent");
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"], tag.as_str());
}

async fn another_users_changes_are_out_of_reach(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    app.create_task(&ada, json!({"title": "Ada's"})).await;

    for path in [
        changes_path(&ada, ""),
        format!("/api/v1/users/{}/activity", ada.id),
        format!("/api/v1/users/{}/export", ada.id),
    ] {
        let response = app.get(&path, &bob).await;
        error_body(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let bobs = changes(app, &bob, None, 100).await;
    assert_eq!((&bobs["tasks"], &bobs["labels"]), (&json!([]), &json!([])));
}

async fn the_export_holds_every_task_past_a_page_and_a_cursor_to_catch_up(app: &TestApp) {
    let user = app.signed_up().await;
    // More than one page of the export (500 tasks).
    for round in 0..6 {
        let ops: Vec<Value> = (0..100)
            .map(|n| json!({"op": "create", "body": {"title": format!("Task {round}-{n}")}}))
            .collect();
        let batch = app
            .send_json(
                Method::POST,
                &format!("{}/batch", user.tasks()),
                &user,
                &json!({"ops": ops}),
            )
            .await;
        assert_eq!(batch.status(), StatusCode::OK);
    }
    let parent = app
        .create_task(&user, json!({"title": "Parent", "labels": ["Home"]}))
        .await;
    let child = app
        .create_task(&user, json!({"title": "Child", "parent_id": parent["id"]}))
        .await;
    let trashed = app
        .authed(Method::DELETE, &user.task(&parent), &user)
        .send()
        .await
        .expect("sent");
    assert_eq!(trashed.status(), StatusCode::NO_CONTENT);

    let response = app
        .get(&format!("/api/v1/users/{}/export", user.id), &user)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"taskpulse-export.json\""
    );
    let export: Value = response.json().await.expect("one JSON document");
    assert_eq!(export["account"]["email"], user.email.as_str());
    assert!(export["account"].get("password").is_none());
    assert_eq!(export["labels"][0]["name"], "Home");
    let tasks = export["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 602);
    let ids: Vec<i64> = tasks
        .iter()
        .map(|t| t["id"].as_i64().expect("an id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "each task once");
    assert_eq!(tasks[0]["title"], "Task 0-0");
    assert_eq!(tasks[0]["deleted_at"], Value::Null);
    for gone in [&parent, &child] {
        let found = tasks
            .iter()
            .find(|t| t["id"] == gone["id"])
            .expect("in the export");
        assert!(found["deleted_at"].is_string(), "{found}");
    }

    let cursor = export["cursor"].as_str().expect("a cursor");
    let since = changes(app, &user, Some(cursor), 100).await;
    assert_eq!(titles(&since), Vec::<&str>::new());
    let first = &tasks[0];
    let patched = app
        .send_json(
            Method::PATCH,
            &user.task(first),
            &user,
            &json!({"priority": 2}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let since = changes(app, &user, Some(cursor), 100).await;
    assert_eq!(titles(&since), ["Task 0-0"]);
}
