//! Planning fields over HTTP: the priority (set, changed, kept by `PUT`,
//! filtered and sorted on, refused outside 0–4), `completed_at`, and the
//! due date or time with its time zone.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invalid};

backends!(
    the_priority_is_set_changed_cleared_and_kept_by_put,
    a_priority_outside_0_to_4_is_refused_on_its_field,
    the_listing_filters_by_priority_min_and_sorts_by_priority,
    completed_at_follows_the_completion_state,
    a_due_date_or_time_is_set_replaced_kept_and_cleared,
    due_fields_and_bounds_are_validated_on_their_fields,
    the_listing_sorts_by_due_and_keeps_a_due_range,
    overdue_lists_the_open_tasks_past_their_due_time,
);

async fn the_priority_is_set_changed_cleared_and_kept_by_put(app: &TestApp) {
    let user = app.signed_up().await;
    let plain = app.create_task(&user, json!({"title": "Plain"})).await;
    let urgent = app
        .create_task(&user, json!({"title": "Urgent", "priority": 4}))
        .await;
    let path = user.task(&urgent);

    let replaced = app
        .send_json(Method::PUT, &path, &user, &json!({"title": "Still urgent"}))
        .await;
    let replaced: Value = replaced.json().await.expect("json");
    let lowered = app
        .send_json(Method::PATCH, &path, &user, &json!({"priority": 1}))
        .await;
    let lowered: Value = lowered.json().await.expect("json");
    let cleared = app
        .send_json(Method::PATCH, &path, &user, &json!({"priority": null}))
        .await;
    let cleared: Value = cleared.json().await.expect("json");
    let raised = app
        .send_json(
            Method::PUT,
            &path,
            &user,
            &json!({"title": "Urgent again", "priority": 4}),
        )
        .await;
    let raised: Value = raised.json().await.expect("json");

    assert_eq!(plain["priority"], 0, "none by default");
    assert_eq!(urgent["priority"], 4);
    assert_eq!(
        (&replaced["title"], &replaced["priority"]),
        (&json!("Still urgent"), &json!(4)),
        "a PUT without a priority keeps it"
    );
    assert_eq!(lowered["priority"], 1);
    assert_eq!(cleared["priority"], 0, "null clears it");
    assert_eq!(raised["priority"], 4, "a PUT with a priority sets it");
    assert_eq!(raised["version"], 5);
}

async fn a_priority_outside_0_to_4_is_refused_on_its_field(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Task"})).await;

    for priority in [json!(5), json!(-1), json!(1_000_000_000_000_i64)] {
        let created = app
            .send_json(
                Method::POST,
                &user.tasks(),
                &user,
                &json!({"title": "T", "priority": priority}),
            )
            .await;
        assert_invalid(created, "priority").await;
        let patched = app
            .send_json(
                Method::PATCH,
                &user.task(&task),
                &user,
                &json!({"priority": priority}),
            )
            .await;
        assert_invalid(patched, "priority").await;
    }
    let listed = app
        .get(&format!("{}?priority_min=5", user.tasks()), &user)
        .await;
    assert_invalid(listed, "priority_min").await;
    let wrong_type = app
        .send_json(
            Method::PATCH,
            &user.task(&task),
            &user,
            &json!({"priority": "high"}),
        )
        .await;
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    let unchanged: Value = app
        .get(&user.task(&task), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unchanged, task, "nothing was written");
}

async fn the_listing_filters_by_priority_min_and_sorts_by_priority(app: &TestApp) {
    let user = app.signed_up().await;
    let mut ids = Vec::new();
    for (title, priority) in [("low", 1), ("urgent", 4), ("none", 0), ("high", 3)] {
        let task = app
            .create_task(&user, json!({"title": title, "priority": priority}))
            .await;
        ids.push(task["id"].clone());
    }
    let titles = |tasks: Value| -> Vec<String> {
        tasks
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["title"].as_str().expect("title").to_owned())
            .collect()
    };
    let user = &user;
    let list = |query: &'static str| async move {
        let response = app.get(&format!("{}{query}", user.tasks()), user).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let total = response.headers()["x-total-count"].clone();
        (titles(response.json().await.expect("json")), total)
    };

    let (by_priority, _) = list("?sort=priority").await;
    let (urgent_first, _) = list("?sort=-priority").await;
    let (at_least_3, total) = list("?priority_min=3&sort=-priority").await;

    assert_eq!(by_priority, ["none", "low", "high", "urgent"]);
    assert_eq!(urgent_first, ["urgent", "high", "low", "none"]);
    assert_eq!(at_least_3, ["urgent", "high"]);
    assert_eq!(total, "2");
}

async fn completed_at_follows_the_completion_state(app: &TestApp) {
    let user = app.signed_up().await;
    let done = app
        .create_task(&user, json!({"title": "Done", "completed": true}))
        .await;
    let open = app.create_task(&user, json!({"title": "Open"})).await;
    let toggle = format!("{}/complete", user.task(&open));

    let completed: Value = app
        .authed(Method::PATCH, &toggle, &user)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let renamed: Value = app
        .send_json(
            Method::PATCH,
            &user.task(&open),
            &user,
            &json!({"title": "Renamed"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let reopened: Value = app
        .send_json(
            Method::PATCH,
            &user.task(&open),
            &user,
            &json!({"completed": false}),
        )
        .await
        .json()
        .await
        .expect("json");

    assert!(
        done["completed_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{done}"
    );
    assert_eq!(open["completed_at"], Value::Null);
    assert!(completed["completed_at"].is_string(), "{completed}");
    assert_eq!(
        renamed["completed_at"], completed["completed_at"],
        "kept while it stays completed"
    );
    assert_eq!(reopened["completed_at"], Value::Null);
}

async fn a_due_date_or_time_is_set_replaced_kept_and_cleared(app: &TestApp) {
    let user = app.signed_up().await;
    let plain = app.create_task(&user, json!({"title": "Plain"})).await;
    let task = app
        .create_task(
            &user,
            json!({"title": "Gifts", "due_date": "2026-12-24", "time_zone": "Europe/Paris"}),
        )
        .await;
    let path = user.task(&task);
    let send = |method: Method, body: Value| {
        let path = path.clone();
        let user = &user;
        async move {
            let response = app.send_json(method, &path, user, &body).await;
            assert_eq!(response.status(), StatusCode::OK, "{body}");
            response.json::<Value>().await.expect("json")
        }
    };

    let fine = json!({"due_at": "2026-12-24T18:00:00.1234567+01:00"});
    let to_the_microsecond = send(Method::PATCH, fine.clone()).await;
    let again = send(Method::PATCH, fine).await;
    let timed = send(
        Method::PATCH,
        json!({"due_at": "2026-12-24T18:00:00+01:00"}),
    )
    .await;
    let replaced = send(Method::PUT, json!({"title": "Gifts!"})).await;
    let cleared = send(Method::PATCH, json!({"due_date": null, "time_zone": null})).await;

    assert_eq!(
        (&plain["due_date"], &plain["due_at"], &plain["time_zone"]),
        (&Value::Null, &Value::Null, &json!("UTC"))
    );
    assert_eq!(
        (&task["due_date"], &task["due_at"], &task["time_zone"]),
        (&json!("2026-12-24"), &Value::Null, &json!("Europe/Paris"))
    );
    assert_eq!(
        (&timed["due_date"], &timed["due_at"]),
        (&Value::Null, &json!("2026-12-24T17:00:00Z")),
        "an instant replaces the date, kept in UTC"
    );
    assert_eq!(to_the_microsecond["due_at"], "2026-12-24T17:00:00.123456Z");
    assert_eq!(
        again, to_the_microsecond,
        "the same instant again writes nothing"
    );
    assert_eq!(
        (&replaced["due_at"], &replaced["time_zone"]),
        (&timed["due_at"], &json!("Europe/Paris")),
        "a PUT without them keeps them"
    );
    assert_eq!(
        (
            &cleared["due_date"],
            &cleared["due_at"],
            &cleared["time_zone"]
        ),
        (&Value::Null, &Value::Null, &json!("UTC"))
    );
}

async fn due_fields_and_bounds_are_validated_on_their_fields(app: &TestApp) {
    let user = app.signed_up().await;
    let cases = [
        (
            json!({"due_date": "2026-12-24", "due_at": "2026-12-24T18:00:00Z"}),
            "due_at",
        ),
        (json!({"due_date": "2026-13-01"}), "due_date"),
        (json!({"due_date": "2026-1-5"}), "due_date"),
        (json!({"due_date": "24/12/2026"}), "due_date"),
        (json!({"due_date": "-001-01-01"}), "due_date"),
        (json!({"due_date": "+999-01-01"}), "due_date"),
        (json!({"due_date": "2026- 1- 1"}), "due_date"),
        (json!({"due_date": "0000-01-01"}), "due_date"),
        (json!({"due_at": "9999-12-31T23:00:00-02:00"}), "due_at"),
        (json!({"due_at": "2026-12-24T18:00:00"}), "due_at"),
        (json!({"due_at": "tomorrow"}), "due_at"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"time_zone": "europe/paris"}), "time_zone"),
    ];
    for (fields, field) in cases {
        let mut body = json!({"title": "T"});
        for (key, value) in fields.as_object().expect("object") {
            body[key] = value.clone();
        }
        let created = app
            .send_json(Method::POST, &user.tasks(), &user, &body)
            .await;
        assert_invalid(created, field).await;
    }
    for bound in [
        "due_before=soon",
        "due_after=2026-02-30",
        "due_before=2026-12-24T10:00",
    ] {
        let listed = app.get(&format!("{}?{bound}", user.tasks()), &user).await;
        let field = bound.split('=').next().expect("a name");
        assert_invalid(listed, field).await;
    }
}

async fn the_listing_sorts_by_due_and_keeps_a_due_range(app: &TestApp) {
    let user = app.signed_up().await;
    for body in [
        json!({"title": "all day 7th", "due_date": "2026-12-07", "time_zone": "Pacific/Auckland"}),
        json!({"title": "undated"}),
        json!({"title": "noon 6th", "due_at": "2026-12-06T12:00:00Z"}),
        json!({"title": "8th", "due_at": "2026-12-08T09:00:00+09:00"}),
    ] {
        app.create_task(&user, body).await;
    }
    let user = &user;
    let titles = |query: &'static str| async move {
        let response = app.get(&format!("{}{query}", user.tasks()), user).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let tasks: Value = response.json().await.expect("json");
        tasks
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["title"].as_str().expect("title").to_owned())
            .collect::<Vec<_>>()
    };

    assert_eq!(
        titles("?sort=due").await,
        ["noon 6th", "all day 7th", "8th", "undated"]
    );
    assert_eq!(
        titles("?sort=-due").await,
        ["8th", "all day 7th", "noon 6th", "undated"]
    );
    assert_eq!(
        titles("?sort=due&due_after=2026-12-07&due_before=2026-12-08T00:00:01Z").await,
        ["all day 7th", "8th"],
        "the 8th at 09:00+09:00 is midnight UTC"
    );
}

async fn overdue_lists_the_open_tasks_past_their_due_time(app: &TestApp) {
    let user = app.signed_up().await;
    for body in [
        json!({"title": "Past date", "due_date": "2000-01-01", "time_zone": "Pacific/Kiritimati"}),
        json!({"title": "Past instant", "due_at": "2000-01-01T00:00:00Z"}),
        json!({"title": "Done", "due_date": "2000-01-01", "completed": true}),
        json!({"title": "Future", "due_date": "2999-01-01"}),
        json!({"title": "Undated"}),
    ] {
        app.create_task(&user, body).await;
    }
    let titles = |query: &'static str| {
        let user = &user;
        async move {
            let response = app.get(&format!("{}{query}", user.tasks()), user).await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let page: Vec<Value> = response.json().await.expect("json");
            page.iter()
                .map(|t| t["title"].as_str().expect("title").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles("?overdue=true&sort=id").await,
        ["Past date", "Past instant"]
    );
    assert_eq!(
        titles("?overdue=false&sort=id").await,
        ["Done", "Future", "Undated"]
    );
    let bad = app
        .get(&format!("{}?overdue=yes", user.tasks()), &user)
        .await;
    assert_invalid(bad, "overdue").await;
}
