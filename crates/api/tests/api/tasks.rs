//! The task lifecycle, ownership, listing and preconditions at the canonical paths.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_body};

backends!(
    a_new_task_is_stored_trimmed_at_version_1,
    a_task_can_be_read_back_with_its_etag,
    put_replaces_title_and_description_and_keeps_completed_unless_given,
    patch_changes_only_the_given_fields,
    an_empty_patch_changes_nothing,
    complete_without_a_body_toggles_and_with_a_value_sets_it_once,
    a_deleted_task_is_gone,
    listing_shows_only_the_callers_tasks_newest_first,
    listing_filters_by_completion_and_literal_text,
    listing_sorts_by_every_field_with_id_ties,
    listing_pages_with_total_count_and_next_link,
    a_stale_if_match_is_refused_and_changes_nothing,
    a_current_or_wildcard_if_match_is_accepted,
    another_users_task_is_not_found_on_every_method,
    another_users_path_is_not_found,
    ids_that_do_not_parse_are_not_found,
);

async fn a_new_task_is_stored_trimmed_at_version_1(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app
        .send_json(
            Method::POST,
            &user.tasks(),
            &user,
            &json!({"title": "  Write report "}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let task: Value = response.json().await.expect("json");
    assert_eq!(location, format!("{}/{}", user.tasks(), task["id"]));
    assert_eq!(task["title"], "Write report");
    assert_eq!(task["description"], Value::Null);
    assert_eq!(task["completed"], false);
    assert_eq!(task["version"], 1);
    assert_eq!(task["user_id"], user.id.as_str());
    assert!(task["id"].as_i64().is_some_and(|id| id > 0));
    assert!(
        task["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

async fn a_task_can_be_read_back_with_its_etag(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app
        .create_task(
            &user,
            json!({"title": "Read", "description": "it", "completed": true}),
        )
        .await;

    let response = app.get(&user.task(&task), &user).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert_eq!(response.json::<Value>().await.expect("json"), task);
}

async fn put_replaces_title_and_description_and_keeps_completed_unless_given(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app
        .create_task(
            &user,
            json!({"title": "Old", "description": "old", "completed": true}),
        )
        .await;

    let replaced = app
        .send_json(
            Method::PUT,
            &user.task(&task),
            &user,
            &json!({"title": "New"}),
        )
        .await;

    assert_eq!(replaced.status(), StatusCode::OK);
    assert_eq!(replaced.headers()["etag"], "\"2\"");
    let body: Value = replaced.json().await.expect("json");
    assert_eq!(
        (
            body["title"].as_str(),
            &body["description"],
            &body["completed"]
        ),
        (Some("New"), &Value::Null, &json!(true))
    );
    let again = app
        .send_json(
            Method::PUT,
            &user.task(&task),
            &user,
            &json!({"title": "New", "completed": false}),
        )
        .await;
    let body: Value = again.json().await.expect("json");
    assert_eq!(
        (body["completed"].as_bool(), body["version"].as_i64()),
        (Some(false), Some(3))
    );
}

async fn patch_changes_only_the_given_fields(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app
        .create_task(&user, json!({"title": "Keep", "description": "clear me"}))
        .await;

    let patched = app
        .send_json(
            Method::PATCH,
            &user.task(&task),
            &user,
            &json!({"completed": true}),
        )
        .await;
    let cleared = app
        .send_json(
            Method::PATCH,
            &user.task(&task),
            &user,
            &json!({"description": null}),
        )
        .await;

    let patched: Value = patched.json().await.expect("json");
    assert_eq!(
        (patched["title"].as_str(), patched["description"].as_str()),
        (Some("Keep"), Some("clear me"))
    );
    assert_eq!(
        (patched["completed"].as_bool(), patched["version"].as_i64()),
        (Some(true), Some(2))
    );
    let cleared: Value = cleared.json().await.expect("json");
    assert_eq!(
        (&cleared["description"], cleared["version"].as_i64()),
        (&Value::Null, Some(3))
    );
    assert_eq!(cleared["completed"], true);
}

async fn an_empty_patch_changes_nothing(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Same"})).await;

    let response = app
        .send_json(Method::PATCH, &user.task(&task), &user, &json!({}))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.expect("json"), task);
}

async fn complete_without_a_body_toggles_and_with_a_value_sets_it_once(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Toggle"})).await;
    let path = format!("{}/complete", user.task(&task));

    let on = app
        .authed(Method::PATCH, &path, &user)
        .send()
        .await
        .expect("sent");
    let off = app
        .authed(Method::PATCH, &path, &user)
        .send()
        .await
        .expect("sent");
    let set = app
        .send_json(Method::PATCH, &path, &user, &json!({"completed": true}))
        .await;
    let set_again = app
        .send_json(Method::PATCH, &path, &user, &json!({"completed": true}))
        .await;

    assert_eq!(on.json::<Value>().await.expect("json")["completed"], true);
    assert_eq!(off.json::<Value>().await.expect("json")["completed"], false);
    let set: Value = set.json().await.expect("json");
    assert_eq!(set["completed"], true);
    assert_eq!(
        set_again.headers()["etag"],
        "\"4\"",
        "setting it again changes nothing"
    );
    let last: Value = set_again.json().await.expect("json");
    assert_eq!(last, set);
    assert_eq!(last["version"], 4);
}

async fn a_deleted_task_is_gone(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Bye"})).await;

    let deleted = app
        .authed(Method::DELETE, &user.task(&task), &user)
        .send()
        .await
        .expect("sent");
    let again = app
        .authed(Method::DELETE, &user.task(&task), &user)
        .send()
        .await
        .expect("sent");

    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    error_body(again, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    error_body(
        app.get(&user.task(&task), &user).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn list(
    app: &TestApp,
    user: &TestUser,
    query: &str,
) -> (Vec<Value>, reqwest::header::HeaderMap) {
    let response = app.get(&format!("{}{query}", user.tasks()), user).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let headers = response.headers().clone();
    (response.json().await.expect("json array"), headers)
}

fn titles(tasks: &[Value]) -> Vec<&str> {
    tasks
        .iter()
        .map(|t| t["title"].as_str().expect("title"))
        .collect()
}

async fn listing_shows_only_the_callers_tasks_newest_first(app: &TestApp) {
    let (ada, bob) = (app.signed_up().await, app.signed_up().await);
    for title in ["first", "second", "third"] {
        app.create_task(&ada, json!({"title": title})).await;
    }
    app.create_task(&bob, json!({"title": "bob's"})).await;

    let (tasks, headers) = list(app, &ada, "").await;

    assert_eq!(titles(&tasks), ["third", "second", "first"]);
    assert_eq!(headers["x-total-count"], "3");
    assert!(headers.get("link").is_none());
}

async fn listing_filters_by_completion_and_literal_text(app: &TestApp) {
    let user = app.signed_up().await;
    app.create_task(
        &user,
        json!({"title": "Pay 100% of rent", "completed": true}),
    )
    .await;
    app.create_task(&user, json!({"title": "Pay 1000 of rent"}))
        .await;
    app.create_task(
        &user,
        json!({"title": "snake_case", "description": "RENAME things"}),
    )
    .await;
    app.create_task(&user, json!({"title": "snakeXcase"})).await;
    app.create_task(&user, json!({"title": r"back\slash"}))
        .await;

    let (done, _) = list(app, &user, "?completed=true").await;
    let (open, headers) = list(app, &user, "?completed=false").await;
    let (percent, _) = list(app, &user, "?q=100%25").await;
    let (underscore, _) = list(app, &user, "?q=e_c").await;
    let (case_insensitive, _) = list(app, &user, "?q=rename").await;
    let (backslash, _) = list(app, &user, "?q=%5Cs").await;

    assert_eq!(titles(&done), ["Pay 100% of rent"]);
    assert_eq!(headers["x-total-count"], "4");
    assert_eq!(open.len(), 4);
    assert_eq!(titles(&percent), ["Pay 100% of rent"]);
    assert_eq!(titles(&underscore), ["snake_case"]);
    assert_eq!(titles(&case_insensitive), ["snake_case"]);
    assert_eq!(titles(&backslash), [r"back\slash"]);
}

async fn listing_sorts_by_every_field_with_id_ties(app: &TestApp) {
    let user = app.signed_up().await;
    let b = app.create_task(&user, json!({"title": "b"})).await;
    let a = app.create_task(&user, json!({"title": "a"})).await;
    let b2 = app.create_task(&user, json!({"title": "b"})).await;
    app.send_json(
        Method::PATCH,
        &user.task(&b),
        &user,
        &json!({"completed": true}),
    )
    .await;
    let ids = |tasks: &[Value]| {
        tasks
            .iter()
            .map(|t| t["id"].as_i64().expect("id"))
            .collect::<Vec<_>>()
    };
    let id = |t: &Value| t["id"].as_i64().expect("id");

    let expectations = [
        ("title", vec![id(&a), id(&b), id(&b2)]),
        ("-title", vec![id(&b2), id(&b), id(&a)]),
        ("id", vec![id(&b), id(&a), id(&b2)]),
        ("-id", vec![id(&b2), id(&a), id(&b)]),
        ("created_at", vec![id(&b), id(&a), id(&b2)]),
        ("-created_at", vec![id(&b2), id(&a), id(&b)]),
        ("updated_at", vec![id(&a), id(&b2), id(&b)]),
        ("-updated_at", vec![id(&b), id(&b2), id(&a)]),
    ];
    for (sort, expected) in expectations {
        let (tasks, _) = list(app, &user, &format!("?sort={sort}")).await;
        assert_eq!(ids(&tasks), expected, "sort={sort}");
    }
}

async fn listing_pages_with_total_count_and_next_link(app: &TestApp) {
    let user = app.signed_up().await;
    for n in 0..5 {
        app.create_task(&user, json!({"title": format!("task {n}")}))
            .await;
    }

    let (first, headers) = list(app, &user, "?sort=title&limit=2").await;
    let link = headers["link"].to_str().expect("ascii").to_owned();
    let (last, last_headers) = list(app, &user, "?sort=title&limit=2&offset=4").await;

    assert_eq!(titles(&first), ["task 0", "task 1"]);
    assert_eq!(headers["x-total-count"], "5");
    assert!(link.ends_with(">; rel=\"next\""), "{link}");
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .expect("target");
    let next_page: Vec<Value> = app.get(next, &user).await.json().await.expect("json");
    assert_eq!(titles(&next_page), ["task 2", "task 3"]);
    assert_eq!(titles(&last), ["task 4"]);
    assert_eq!(last_headers["x-total-count"], "5");
    assert!(last_headers.get("link").is_none());
}

async fn a_stale_if_match_is_refused_and_changes_nothing(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "v1"})).await;
    app.send_json(
        Method::PATCH,
        &user.task(&task),
        &user,
        &json!({"title": "v2"}),
    )
    .await;
    let path = user.task(&task);

    let put = app
        .authed(Method::PUT, &path, &user)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "x"}));
    let patch = app
        .authed(Method::PATCH, &path, &user)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "x"}));
    let complete = app
        .authed(Method::PATCH, &format!("{path}/complete"), &user)
        .header("if-match", "\"1\"");
    let garbage = app
        .authed(Method::PATCH, &path, &user)
        .header("if-match", "W/\"2\"")
        .json(&json!({"title": "x"}));
    let delete = app
        .authed(Method::DELETE, &path, &user)
        .header("if-match", "\"1\"");
    for request in [put, patch, complete, garbage, delete] {
        let response = request.send().await.expect("sent");
        error_body(
            response,
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION_FAILED",
        )
        .await;
    }

    let current: Value = app.get(&path, &user).await.json().await.expect("json");
    assert_eq!(
        (current["title"].as_str(), current["version"].as_i64()),
        (Some("v2"), Some(2))
    );
    assert_eq!(current["completed"], false);
}

async fn a_current_or_wildcard_if_match_is_accepted(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "v1"})).await;
    let path = user.task(&task);

    let current = app
        .authed(Method::PATCH, &path, &user)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "v2"}));
    let wildcard = app
        .authed(Method::PATCH, &path, &user)
        .header("if-match", "*")
        .json(&json!({"title": "v3"}));
    let delete = app
        .authed(Method::DELETE, &path, &user)
        .header("if-match", "\"3\"");

    assert_eq!(
        current.send().await.expect("sent").headers()["etag"],
        "\"2\""
    );
    assert_eq!(
        wildcard.send().await.expect("sent").headers()["etag"],
        "\"3\""
    );
    assert_eq!(
        delete.send().await.expect("sent").status(),
        StatusCode::NO_CONTENT
    );
}

async fn another_users_task_is_not_found_on_every_method(app: &TestApp) {
    let (owner, intruder) = (app.signed_up().await, app.signed_up().await);
    let task = app
        .create_task(&owner, json!({"title": "Private", "description": "secret"}))
        .await;
    let id = &task["id"];
    let paths = [format!("{}/{id}", intruder.tasks()), owner.task(&task)];

    for path in &paths {
        let attempts = [
            app.authed(Method::GET, path, &intruder),
            app.authed(Method::PUT, path, &intruder)
                .json(&json!({"title": "hacked"})),
            app.authed(Method::PATCH, path, &intruder)
                .json(&json!({"title": "hacked"})),
            app.authed(Method::PATCH, &format!("{path}/complete"), &intruder),
            app.authed(Method::PATCH, &format!("{path}/complete"), &intruder)
                .header("if-match", "\"1\""),
            app.authed(Method::DELETE, path, &intruder),
            app.authed(Method::DELETE, path, &intruder)
                .header("if-match", "\"1\""),
        ];
        for attempt in attempts {
            let response = attempt.send().await.expect("sent");
            let body = error_body(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
            assert!(!body.to_string().contains("Private"));
        }
    }

    let unchanged: Value = app
        .get(&owner.task(&task), &owner)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unchanged, task);
    let (intruders_list, headers) = list(app, &intruder, "").await;
    assert!(intruders_list.is_empty());
    assert_eq!(headers["x-total-count"], "0");
}

async fn another_users_path_is_not_found(app: &TestApp) {
    let (owner, intruder) = (app.signed_up().await, app.signed_up().await);
    app.create_task(&owner, json!({"title": "Private"})).await;

    let listing = app.get(&owner.tasks(), &intruder).await;
    let creation = app
        .send_json(
            Method::POST,
            &owner.tasks(),
            &intruder,
            &json!({"title": "planted"}),
        )
        .await;

    error_body(listing, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    error_body(creation, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let (tasks, _) = list(app, &owner, "").await;
    assert_eq!(titles(&tasks), ["Private"]);
}

async fn ids_that_do_not_parse_are_not_found(app: &TestApp) {
    let user = app.signed_up().await;

    for path in [
        format!("{}/abc", user.tasks()),
        format!("{}/0", user.tasks()),
        format!("{}/-1", user.tasks()),
        format!("{}/99999999999999999999", user.tasks()),
        format!("{}/999999", user.tasks()),
        "/api/v1/users/not-a-uuid/tasks".to_owned(),
    ] {
        error_body(
            app.get(&path, &user).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
    }
}
