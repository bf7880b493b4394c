//! The original backends' paths: the same handlers and rules answer there.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_body};

backends!(
    the_task_lifecycle_works_on_every_route_style_with_trailing_slashes,
    url_user_id_must_be_the_callers_id,
    the_old_auth_paths_work,
    the_old_me_path_updates_and_deletes_like_the_canonical_one,
);

async fn the_task_lifecycle_works_on_every_route_style_with_trailing_slashes(app: &TestApp) {
    let user = app.signed_up().await;
    let id = &user.id;
    for base in [
        format!("/api/v1/users/{id}/tasks"),
        format!("/api/v1/{id}/tasks"),
        format!("/api/users/{id}/tasks"),
        format!("/api/{id}/tasks"),
    ] {
        let created = app
            .send_json(
                Method::POST,
                &format!("{base}/"),
                &user,
                &json!({"title": base}),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED, "{base}");
        let task: Value = created.json().await.expect("json");
        let one = format!("{base}/{}", task["id"]);

        let listed: Vec<Value> = app
            .get(&format!("{base}/"), &user)
            .await
            .json()
            .await
            .expect("json");
        assert!(listed.iter().any(|t| t["id"] == task["id"]), "{base}");
        assert_eq!(
            app.get(&format!("{one}/"), &user).await.status(),
            StatusCode::OK,
            "{base}"
        );
        let put = app
            .send_json(
                Method::PUT,
                &format!("{one}/"),
                &user,
                &json!({"title": "put"}),
            )
            .await;
        assert_eq!(put.status(), StatusCode::OK, "{base}");
        let patch = app
            .send_json(Method::PATCH, &one, &user, &json!({"title": "patched"}))
            .await;
        assert_eq!(patch.status(), StatusCode::OK, "{base}");
        let toggled = app
            .authed(Method::PATCH, &format!("{one}/complete/"), &user)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            toggled.json::<Value>().await.expect("json")["completed"],
            true,
            "{base}"
        );
        let deleted = app
            .authed(Method::DELETE, &format!("{one}/"), &user)
            .send()
            .await
            .expect("sent");
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "{base}");
        assert_eq!(
            app.get(&one, &user).await.status(),
            StatusCode::NOT_FOUND,
            "{base}"
        );
    }
}

async fn url_user_id_must_be_the_callers_id(app: &TestApp) {
    let (user, other) = (app.signed_up().await, app.signed_up().await);
    let task = app.create_task(&user, json!({"title": "Mine"})).await;

    let same = app
        .get(
            &format!("{}?url_user_id={}", user.task(&task), user.id),
            &user,
        )
        .await;
    let differs = app
        .get(&format!("{}?url_user_id={}", user.tasks(), other.id), &user)
        .await;
    let garbage = app
        .get(&format!("{}?url_user_id=nope", user.task(&task)), &user)
        .await;

    assert_eq!(same.status(), StatusCode::OK);
    error_body(differs, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    error_body(garbage, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

async fn the_old_auth_paths_work(app: &TestApp) {
    let register =
        json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"});
    let second =
        json!({"name": "Bob", "email": "bob@example.com", "password": "correct horse battery"});
    let login = json!({"email": "ada@example.com", "password": "correct horse battery"});

    assert_eq!(
        app.post_json("/api/auth/register", &register)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_json("/api/auth/signup/", &second).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_json("/api/auth/signin", &login).await.status(),
        StatusCode::OK
    );
    let response = app.post_json("/api/auth/login/", &login).await;
    let token: Value = response.json().await.expect("json");
    let token = token["access_token"].as_str().expect("token");
    let me = app
        .request(Method::GET, "/api/auth/me/")
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        me.json::<Value>().await.expect("json")["email"],
        "ada@example.com"
    );
}

async fn the_old_me_path_updates_and_deletes_like_the_canonical_one(app: &TestApp) {
    for path in ["/api/v1/auth/me", "/api/auth/me"] {
        let user = app.signed_up().await;

        let renamed = app
            .send_json(Method::PATCH, path, &user, &json!({"name": "Grace"}))
            .await;
        let refused = app
            .send_json(Method::DELETE, path, &user, &json!({"password": "nope"}))
            .await;
        let deleted = app
            .send_json(
                Method::DELETE,
                path,
                &user,
                &json!({"password": user.password}),
            )
            .await;

        assert_eq!(renamed.status(), StatusCode::OK, "PATCH {path}");
        assert_eq!(
            renamed.json::<Value>().await.expect("json")["name"],
            "Grace",
            "PATCH {path}"
        );
        error_body(refused, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "DELETE {path}");
        assert_eq!(
            app.me_status(&user.token).await,
            StatusCode::UNAUTHORIZED,
            "the account deleted through {path} is gone"
        );
    }
}
