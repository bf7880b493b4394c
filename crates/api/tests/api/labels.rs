//! Labels over HTTP: the label routes (create, list, get, rename and
//! recolor, delete; names unique per user ignoring case; another user's
//! label is missing), and labels on tasks (by name, made when new, kept by
//! `PUT`, the repeatable `label` filter, renames and deletions showing on
//! the tasks).

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};

backends!(
    a_label_is_created_listed_changed_and_deleted,
    label_names_are_unique_per_user_and_validated,
    another_users_label_is_missing,
    a_task_carries_labels_by_name_and_is_listed_by_them,
    renaming_or_deleting_a_label_shows_on_its_tasks,
    task_labels_are_validated_on_their_field,
);

fn labels_path(user: &TestUser) -> String {
    format!("/api/v1/users/{}/labels", user.id)
}

fn label_path(user: &TestUser, label: &Value) -> String {
    format!("{}/{}", labels_path(user), label["id"])
}

async fn create_label(app: &TestApp, user: &TestUser, body: Value) -> Response {
    app.send_json(Method::POST, &labels_path(user), user, &body)
        .await
}

async fn label(app: &TestApp, user: &TestUser, name: &str) -> Value {
    let response = create_label(app, user, json!({"name": name})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

/// The titles a listing with `query` shows, in order.
async fn titles(app: &TestApp, user: &TestUser, query: &str) -> Vec<String> {
    let response = app.get(&format!("{}{query}", user.tasks()), user).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let page: Vec<Value> = response.json().await.expect("json");
    page.iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn a_label_is_created_listed_changed_and_deleted(app: &TestApp) {
    let user = app.signed_up().await;
    let created = create_label(app, &user, json!({"name": " Work ", "color": "#2A9D8F"})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let work: Value = created.json().await.expect("json");
    assert_eq!(
        (&work["name"], &work["color"]),
        (&json!("Work"), &json!("#2a9d8f"))
    );
    assert_eq!(work["user_id"], json!(user.id));
    label(app, &user, "errands").await;

    let listed: Vec<Value> = app
        .get(&labels_path(&user), &user)
        .await
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = listed
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["errands", "Work"], "by name, ignoring case");
    let read: Value = app
        .get(&label_path(&user, &work), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read, work);

    let changed = app
        .send_json(
            Method::PATCH,
            &label_path(&user, &work),
            &user,
            &json!({"name": "Office", "color": null}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.expect("json");
    assert_eq!(
        (&changed["name"], &changed["color"]),
        (&json!("Office"), &Value::Null)
    );
    let recolored = app
        .send_json(
            Method::PATCH,
            &label_path(&user, &work),
            &user,
            &json!({"color": "#000000"}),
        )
        .await;
    let recolored: Value = recolored.json().await.expect("json");
    assert_eq!(
        (&recolored["name"], &recolored["color"]),
        (&json!("Office"), &json!("#000000"))
    );

    let deleted = app
        .authed(Method::DELETE, &label_path(&user, &work), &user)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.get(&label_path(&user, &work), &user).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

async fn label_names_are_unique_per_user_and_validated(app: &TestApp) {
    let user = app.signed_up().await;
    let other = app.signed_up().await;
    let work = label(app, &user, "Work").await;
    let home = label(app, &user, "Home").await;
    label(app, &other, "work").await;

    let again = create_label(app, &user, json!({"name": "WORK"})).await;
    error_body(again, StatusCode::CONFLICT, "LABEL_TAKEN").await;
    let clash = app
        .send_json(
            Method::PATCH,
            &label_path(&user, &home),
            &user,
            &json!({"name": "work"}),
        )
        .await;
    error_body(clash, StatusCode::CONFLICT, "LABEL_TAKEN").await;
    let respelled = app
        .send_json(
            Method::PATCH,
            &label_path(&user, &work),
            &user,
            &json!({"name": "WORK"}),
        )
        .await;
    assert_eq!(
        respelled.status(),
        StatusCode::OK,
        "its own name in another case"
    );

    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": null}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(51)}), "name"),
        (json!({"name": "a\tb"}), "name"),
        (json!({"name": "Ok", "color": "red"}), "color"),
        (json!({"name": "Ok", "color": "#12345"}), "color"),
    ] {
        assert_invalid(create_label(app, &user, body).await, field).await;
    }
    let no_name = app
        .send_json(
            Method::PATCH,
            &label_path(&user, &home),
            &user,
            &json!({"name": null}),
        )
        .await;
    assert_invalid(no_name, "name").await;
}

async fn another_users_label_is_missing(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    let bobs = label(app, &bob, "Secret").await;
    let path = format!("{}/{}", labels_path(&ada), bobs["id"]);
    let foreign = label_path(&bob, &bobs);

    for response in [
        app.get(&path, &ada).await,
        app.send_json(Method::PATCH, &path, &ada, &json!({"name": "Mine"}))
            .await,
        app.authed(Method::DELETE, &path, &ada)
            .send()
            .await
            .expect("sent"),
        app.get(&foreign, &ada).await,
        app.get(&format!("{}/0", labels_path(&ada)), &ada).await,
        app.get(&format!("{}/x", labels_path(&ada)), &ada).await,
    ] {
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let still: Value = app.get(&foreign, &bob).await.json().await.expect("json");
    assert_eq!(still["name"], "Secret");
}

async fn a_task_carries_labels_by_name_and_is_listed_by_them(app: &TestApp) {
    let user = app.signed_up().await;
    label(app, &user, "Errands").await;
    let both = app
        .create_task(
            &user,
            json!({"title": "Both", "labels": ["errands", "Work", "WORK"]}),
        )
        .await;
    let errands = app
        .create_task(
            &user,
            json!({"title": "Errands only", "labels": ["ERRANDS"]}),
        )
        .await;
    app.create_task(&user, json!({"title": "None"})).await;

    assert_eq!(both["labels"], json!(["Errands", "Work"]));
    assert_eq!(errands["labels"], json!(["Errands"]));
    let listed: Vec<Value> = app
        .get(&labels_path(&user), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed.len(), 2, "Work was made: {listed:?}");

    assert_eq!(
        titles(app, &user, "?label=errands&sort=id").await,
        ["Both", "Errands only"]
    );
    assert_eq!(
        titles(app, &user, "?label=errands&label=work&sort=id").await,
        ["Both"],
        "every label asked for"
    );
    assert!(titles(app, &user, "?label=Nowhere").await.is_empty());

    let path = user.task(&both);
    let kept: Value = app
        .send_json(
            Method::PUT,
            &path,
            &user,
            &json!({"title": "Both, renamed"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        kept["labels"],
        json!(["Errands", "Work"]),
        "PUT keeps labels"
    );
    let same: Value = app
        .send_json(
            Method::PATCH,
            &path,
            &user,
            &json!({"labels": ["work", "errands"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        same["labels"],
        json!(["Work", "Errands"]),
        "in the order given"
    );
    let cleared: Value = app
        .send_json(Method::PATCH, &path, &user, &json!({"labels": null}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["labels"], json!([]));
    assert_eq!(
        titles(app, &user, "?label=work").await,
        Vec::<String>::new()
    );
}

async fn renaming_or_deleting_a_label_shows_on_its_tasks(app: &TestApp) {
    let user = app.signed_up().await;
    let home = label(app, &user, "Home").await;
    let task = app
        .create_task(
            &user,
            json!({"title": "Tagged", "labels": ["Work", "home"]}),
        )
        .await;
    let renamed = app
        .send_json(
            Method::PATCH,
            &label_path(&user, &home),
            &user,
            &json!({"name": "House"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let read: Value = app
        .get(&user.task(&task), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["labels"], json!(["Work", "House"]));
    assert_eq!(read["version"], 2, "the task changed");

    let deleted = app
        .authed(Method::DELETE, &label_path(&user, &home), &user)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let read: Value = app
        .get(&user.task(&task), &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (&read["labels"], &read["version"]),
        (&json!(["Work"]), &json!(3))
    );
}

async fn task_labels_are_validated_on_their_field(app: &TestApp) {
    let user = app.signed_up().await;
    let many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
    for labels in [
        json!(many),
        json!([""]),
        json!(["a\u{7}b"]),
        json!(["x".repeat(51)]),
    ] {
        let body = json!({"title": "T", "labels": labels});
        let response = app
            .send_json(Method::POST, &user.tasks(), &user, &body)
            .await;
        assert_invalid(response, "labels").await;
    }
    let not_text = app
        .send_json(
            Method::POST,
            &user.tasks(),
            &user,
            &json!({"title": "T", "labels": [1]}),
        )
        .await;
    assert_eq!(not_text.status(), StatusCode::BAD_REQUEST);
    let filter = app.get(&format!("{}?label=%20", user.tasks()), &user).await;
    assert_invalid(filter, "label").await;
    assert!(titles(app, &user, "").await.is_empty(), "nothing stored");
}
