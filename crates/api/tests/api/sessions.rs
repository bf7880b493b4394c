//! Sessions and refresh tokens: rotation, theft detection, logout, and the
//! caller's session list.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_body};

backends!(
    a_refresh_rotates_the_refresh_token_within_the_session,
    a_rotated_refresh_token_presented_again_ends_every_session,
    an_unknown_refresh_token_is_unauthorized,
    logout_ends_the_session_and_its_access_tokens_at_once,
    a_logged_out_token_is_refused_by_every_task_route_before_anything_else,
    sessions_lists_the_live_sessions_and_marks_the_current_one,
    ending_a_session_needs_the_password_and_ends_its_tokens,
    another_users_session_is_not_found,
    ending_the_other_sessions_keeps_the_current_one,
    refresh_tokens_are_stored_only_as_hashes,
    every_token_response_says_when_the_session_ends,
);

backends!(with two_second_sessions; a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed);

fn two_second_sessions(settings: &mut taskpulse_api::settings::Settings) {
    settings.auth.session_max_lifetime_secs = 2;
}

/// The `session_ends_at` of a token response.
fn session_end(body: &Value) -> DateTime<Utc> {
    let at = body["session_ends_at"].as_str().expect("session_ends_at");
    DateTime::parse_from_rfc3339(at)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

async fn every_token_response_says_when_the_session_ends(app: &TestApp) {
    let before = Utc::now();
    let registered: Value = app
        .register("Ada", "ada@example.com", "a fine passphrase")
        .await
        .json()
        .await
        .expect("json");
    let logged_in: Value = app
        .login("ada@example.com", "a fine passphrase")
        .await
        .json()
        .await
        .expect("json");
    let refresh = logged_in["refresh_token"].as_str().expect("token");
    let refreshed: Value = app.refresh(refresh).await.json().await.expect("json");
    let after = Utc::now();

    let ninety_days = Duration::days(90);
    for body in [&registered, &logged_in] {
        let ends = session_end(body);
        assert!(
            ends >= before + ninety_days - Duration::seconds(1),
            "{body}"
        );
        assert!(ends <= after + ninety_days, "{body}");
    }
    assert_eq!(
        refreshed["session_ends_at"], logged_in["session_ends_at"],
        "a refresh keeps the session's end"
    );
}

async fn a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed(app: &TestApp) {
    let user = app.signed_up().await;
    let refreshed = app.refresh(&user.refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let body: Value = refreshed.json().await.expect("json");
    let ends = session_end(&body);
    assert!(ends <= Utc::now() + Duration::seconds(2), "{body}");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!(
        (0..=2).contains(&expires_in),
        "no access token outlives it: {body}"
    );
    let access = body["access_token"].as_str().expect("token").to_owned();
    let refresh = body["refresh_token"].as_str().expect("token").to_owned();

    let wait = ends - Utc::now() + Duration::milliseconds(200);
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;

    let late = app.refresh(&refresh).await;
    error_body(late, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
    let again = app.login(&user.email, &user.password).await;
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "signing in starts a new session"
    );
}

async fn a_refresh_rotates_the_refresh_token_within_the_session(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app.refresh(&user.refresh_token).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let (access, refresh) = (
        body["access_token"].as_str().expect("token"),
        body["refresh_token"].as_str().expect("token"),
    );
    assert_ne!(refresh, user.refresh_token);
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert_eq!(app.me_status(access).await, StatusCode::OK);
    assert_eq!(
        app.me_status(&user.token).await,
        StatusCode::OK,
        "the session lives on"
    );
    let sessions: Vec<Value> = app
        .get("/api/v1/auth/sessions", &user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(sessions.len(), 1, "rotation stays in the session");
    assert_eq!(app.refresh(refresh).await.status(), StatusCode::OK);
}

async fn a_rotated_refresh_token_presented_again_ends_every_session(app: &TestApp) {
    let first = app.signed_up().await;
    let second = app.new_session(&first).await;
    let rotated: Value = app
        .refresh(&first.refresh_token)
        .await
        .json()
        .await
        .expect("json");

    let replay = app.refresh(&first.refresh_token).await;

    error_body(replay, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let new_refresh = rotated["refresh_token"].as_str().expect("token");
    assert_eq!(
        app.refresh(new_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&second.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&second.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.me_status(rotated["access_token"].as_str().expect("token"))
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&first.email, &first.password).await.status(),
        StatusCode::OK,
        "the password still works"
    );
}

async fn an_unknown_refresh_token_is_unauthorized(app: &TestApp) {
    let response = app.refresh("not-a-token").await;
    let missing = app.post_json("/api/v1/auth/refresh", &json!({})).await;

    let response_headers = response.headers().clone();
    error_body(response, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert_eq!(response_headers["www-authenticate"], "Bearer");
    let body = error_body(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "refresh_token");
}

async fn logout_ends_the_session_and_its_access_tokens_at_once(app: &TestApp) {
    let user = app.signed_up().await;
    let other = app.new_session(&user).await;

    let response = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    let again = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "logging out twice is harmless"
    );
    assert_eq!(app.me_status(&user.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.me_status(&other.token).await,
        StatusCode::OK,
        "other sessions live on"
    );
}

/// The task routes let storage check the token in the same statement as
/// their work; whatever else is wrong with a request, or would have been
/// replayed, a logged-out token still gets 401 and changes nothing.
async fn a_logged_out_token_is_refused_by_every_task_route_before_anything_else(app: &TestApp) {
    let user = app.signed_up().await;
    let other = app.new_session(&user).await;
    let stranger = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Mine"})).await;
    let keyed = app
        .authed(Method::POST, &user.tasks(), &user)
        .header("idempotency-key", "before-logout")
        .json(&json!({"title": "Keyed"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(keyed.status(), StatusCode::CREATED);
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    let one = user.task(&task);
    let attempts = [
        (Method::GET, user.tasks(), None, None),
        (Method::GET, format!("{}?limit=0", user.tasks()), None, None),
        (Method::GET, one.clone(), None, None),
        (Method::GET, format!("{}/999999", user.tasks()), None, None),
        (
            Method::GET,
            format!("{}/not-a-number", user.tasks()),
            None,
            None,
        ),
        (Method::GET, stranger.tasks(), None, None),
        (
            Method::POST,
            user.tasks(),
            Some(json!({"title": "Sneaked in"})),
            None,
        ),
        (Method::POST, user.tasks(), Some(json!({"title": ""})), None),
        (
            Method::POST,
            user.tasks(),
            Some(json!({"title": "Keyed"})),
            Some("before-logout"),
        ),
        (
            Method::PATCH,
            one.clone(),
            Some(json!({"title": "Changed"})),
            None,
        ),
        (Method::PUT, one.clone(), Some(json!({"title": 7})), None),
        (Method::PATCH, format!("{one}/complete"), None, None),
        (Method::DELETE, one.clone(), None, None),
    ];
    for (method, path, body, key) in attempts {
        let mut request = app.authed(method.clone(), &path, &user);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }

    let listed: Vec<Value> = app
        .get(&other.tasks(), &other)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed.len(), 2, "nothing created or deleted: {listed:?}");
    let kept = listed
        .iter()
        .find(|t| t["id"] == task["id"])
        .expect("the task is still there");
    assert_eq!(kept, &task, "and unchanged");
}

async fn sessions(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app.get("/api/v1/auth/sessions", user).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn sessions_lists_the_live_sessions_and_marks_the_current_one(app: &TestApp) {
    let user = app.signed_up().await;
    let phone = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("user-agent", "TaskPulse-Phone/1.0")
        .json(&json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .expect("sent");
    let phone: Value = phone.json().await.expect("json");
    let phone = TestUser {
        token: phone["access_token"].as_str().expect("token").to_owned(),
        ..user.clone()
    };

    let listed = sessions(app, &phone).await;

    assert_eq!(listed.len(), 2);
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "TaskPulse-Phone/1.0");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    for session in &listed {
        for key in ["id", "created_at", "last_used_at"] {
            assert!(session[key].is_string(), "{key} in {session}");
        }
    }
}

async fn ending_a_session_needs_the_password_and_ends_its_tokens(app: &TestApp) {
    let user = app.signed_up().await;
    let laptop = app.new_session(&user).await;
    let laptop_id = sessions(app, &laptop)
        .await
        .into_iter()
        .find(|s| s["current"] == true)
        .expect("current")["id"]
        .clone();
    let path = format!("/api/v1/auth/sessions/{}", laptop_id.as_str().expect("id"));

    let wrong = app
        .send_json(Method::DELETE, &path, &user, &json!({"password": "not it"}))
        .await;
    let right = app
        .send_json(
            Method::DELETE,
            &path,
            &user,
            &json!({"password": user.password}),
        )
        .await;

    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    assert_eq!(right.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&laptop.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&laptop.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&user.token).await, StatusCode::OK);
}

async fn another_users_session_is_not_found(app: &TestApp) {
    let (victim, intruder) = (app.signed_up().await, app.signed_up().await);
    let victims = sessions(app, &victim).await;
    let path = format!(
        "/api/v1/auth/sessions/{}",
        victims[0]["id"].as_str().expect("id")
    );

    let response = app
        .send_json(
            Method::DELETE,
            &path,
            &intruder,
            &json!({"password": intruder.password}),
        )
        .await;
    let garbage = app
        .send_json(
            Method::DELETE,
            "/api/v1/auth/sessions/nope",
            &intruder,
            &json!({"password": intruder.password}),
        )
        .await;

    error_body(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    error_body(garbage, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(app.me_status(&victim.token).await, StatusCode::OK);
}

async fn ending_the_other_sessions_keeps_the_current_one(app: &TestApp) {
    let user = app.signed_up().await;
    let (second, third) = (app.new_session(&user).await, app.new_session(&user).await);

    let wrong = app
        .send_json(
            Method::DELETE,
            "/api/v1/auth/sessions",
            &third,
            &json!({"password": "nope"}),
        )
        .await;
    let right = app
        .send_json(
            Method::DELETE,
            "/api/v1/auth/sessions",
            &third,
            &json!({"password": user.password}),
        )
        .await;

    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    assert_eq!(right.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&user.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&second.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&third.token).await, StatusCode::OK);
    assert_eq!(sessions(app, &third).await.len(), 1);
}

async fn refresh_tokens_are_stored_only_as_hashes(app: &TestApp) {
    let user = app.signed_up().await;
    let db = sea_orm::Database::connect(&app.database_url)
        .await
        .expect("connect");
    use sea_orm::ConnectionTrait;
    let statement = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT hash FROM refresh_tokens",
    );

    let rows = db.query_all_raw(statement).await.expect("rows");
    let _ = db.close().await;

    assert_eq!(rows.len(), 1);
    let stored = rows[0].try_get::<String>("", "hash").expect("hash");
    assert_ne!(stored, user.refresh_token);
    assert!(!stored.contains(&user.refresh_token));
    assert!(user.refresh_token.len() >= 22, "at least 128 bits");
}
