//! `GET /api/v1/auth/security-events`: each account's own security log,
//! with the client and request of every event, newest first, paged.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};

backends!(
    sign_ins_failures_and_changes_are_logged_newest_first_with_their_request,
    an_account_lists_its_own_events_only,
    a_reused_refresh_token_is_logged,
    form_logins_are_logged_as_logins,
    the_log_pages_with_before_and_limit,
    bad_listing_parameters_are_refused,
);

const EVENTS: &str = "/api/v1/auth/security-events";

/// The events of `user`'s log at `path` (the first page unless it says).
async fn events(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let response = app.get(path, user).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

fn types(page: &Value) -> Vec<&str> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect()
}

async fn wrong_login(app: &TestApp, email: &str, request_id: &str) {
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("User-Agent", "security-test/1.0")
        .header("X-Request-Id", request_id)
        .json(&json!({"email": email, "password": "not the password"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn sign_ins_failures_and_changes_are_logged_newest_first_with_their_request(app: &TestApp) {
    let user = app.signed_up().await;
    wrong_login(app, &user.email, "req-wrong-password").await;
    let second = app.new_session(&user).await;
    let changed = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &second,
            &json!({"current_password": "nope, not it", "new_password": "another passphrase"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::FORBIDDEN);
    let ended = app
        .authed(Method::DELETE, "/api/v1/auth/sessions", &second)
        .header("X-Request-Id", "req-end-others")
        .json(&json!({"password": user.password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);

    let page = events(app, &second, EVENTS).await;

    assert_eq!(
        types(&page),
        [
            "other_sessions_ended",
            "password_confirmation_failed",
            "login_succeeded",
            "login_failed",
            "registered",
        ]
    );
    let list = page["events"].as_array().expect("events");
    let (ended, succeeded, failed, registered) = (&list[0], &list[2], &list[3], &list[4]);
    assert_eq!(failed["user_agent"], "security-test/1.0");
    assert_eq!(failed["request_id"], "req-wrong-password");
    assert_eq!(failed["ip"], "127.0.0.1");
    assert_eq!(failed["session_id"], Value::Null);
    assert_eq!(ended["request_id"], "req-end-others");
    assert_eq!(
        ended["session_id"], succeeded["session_id"],
        "the request came through the second session"
    );
    assert!(registered["session_id"].is_string());
    assert_ne!(registered["session_id"], succeeded["session_id"]);
    let ids: Vec<i64> = list.iter().map(|e| e["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert!(
        list.iter()
            .all(|e| e["at"].as_str().is_some_and(|at| at.ends_with('Z')))
    );
    assert_eq!(page["next_before"], Value::Null);
}

async fn an_account_lists_its_own_events_only(app: &TestApp) {
    let ada = app.signed_up().await;
    let bob = app.signed_up().await;
    wrong_login(app, &bob.email, "req-ada-tries-bob").await;
    wrong_login(app, "nobody-at-all@example.com", "req-unknown").await;

    let adas = events(app, &ada, EVENTS).await;
    let bobs = events(app, &bob, EVENTS).await;

    assert_eq!(types(&adas), ["registered"]);
    assert_eq!(types(&bobs), ["login_failed", "registered"]);
    assert_eq!(bobs["events"][0]["request_id"], "req-ada-tries-bob");
    let anonymous = app.request(Method::GET, EVENTS).send().await.expect("sent");
    error_body(anonymous, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

async fn a_reused_refresh_token_is_logged(app: &TestApp) {
    let user = app.signed_up().await;
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let again = app.new_session(&user).await;
    let page = events(app, &again, EVENTS).await;

    assert_eq!(
        types(&page),
        ["login_succeeded", "refresh_token_reused", "registered"]
    );
}

async fn form_logins_are_logged_as_logins(app: &TestApp) {
    let user = app.signed_up().await;
    let failed = app.form_login(&user.email, "not the password").await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    let signed_in = app
        .request(Method::POST, "/api/v1/auth/login/access-token")
        .header("X-Request-Id", "req-form-login")
        .form(&[("username", &user.email), ("password", &user.password)])
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), StatusCode::OK);

    let page = events(app, &user, EVENTS).await;

    assert_eq!(
        types(&page),
        ["login_succeeded", "login_failed", "registered"]
    );
    assert_eq!(page["events"][0]["request_id"], "req-form-login");
}

async fn the_log_pages_with_before_and_limit(app: &TestApp) {
    let user = app.signed_up().await;
    for n in 0..3 {
        wrong_login(app, &user.email, &format!("req-{n}")).await;
    }

    let first = events(app, &user, &format!("{EVENTS}?limit=2")).await;
    let next = first["next_before"].as_i64().expect("a next page");
    let second = events(app, &user, &format!("{EVENTS}?limit=2&before={next}")).await;
    let next = second["next_before"]
        .as_i64()
        .expect("a full page may have more");
    let third = events(app, &user, &format!("{EVENTS}?limit=2&before={next}")).await;

    let request_ids = |page: &Value| -> Vec<String> {
        page["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["request_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(request_ids(&first), ["req-2", "req-1"]);
    assert_eq!(request_ids(&second)[0], "req-0");
    assert_eq!(types(&second), ["login_failed", "registered"]);
    assert_eq!(types(&third), Vec::<&str>::new());
    assert_eq!(third["next_before"], Value::Null);
}

async fn bad_listing_parameters_are_refused(app: &TestApp) {
    let user = app.signed_up().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("before=0", "before"),
        ("before=-3", "before"),
        ("before=1e3", "before"),
    ] {
        let response = app.get(&format!("{EVENTS}?{query}"), &user).await;
        assert_invalid(response, field).await;
    }
}
