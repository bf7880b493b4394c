//! Personal access tokens (issue #24): made with the password and shown
//! once, listed without their secret, revoked; held to their scopes on
//! every task, label and sync route; never reaching account routes;
//! refused once expired, revoked, or when the password changes, on the
//! very next request and on every replica, though a server remembers a
//! token it has seen.

use std::time::Duration;

use chrono::Utc;
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};
use crate::password_reset::mail_to_the_sink;
use crate::smtp_sink::{RESET_LINK, smtp_sink};

backends!(
    a_token_is_made_listed_used_and_revoked,
    a_token_is_stored_only_as_its_hash,
    making_a_token_needs_the_password_and_valid_fields,
    a_read_only_token_cannot_write,
    a_labels_token_cannot_read_tasks,
    a_token_never_reaches_account_routes,
    an_expired_token_is_refused,
    a_password_change_revokes_every_token,
    another_users_tokens_cannot_be_seen_or_revoked,
    garbage_personal_tokens_are_unauthorized,
    deleting_the_account_deletes_its_tokens,
    a_user_has_at_most_fifty_live_tokens,
    a_remembered_token_is_refused_by_every_replica_once_revoked,
    a_remembered_token_is_refused_by_every_replica_after_a_password_change,
);

backends!(with mail_to_the_sink; a_password_reset_revokes_every_token);

const TOKENS: &str = "/api/v1/auth/tokens";

/// Makes a token of `user` with `scopes`; answers its creation body.
async fn make_token(app: &TestApp, user: &TestUser, scopes: &[&str]) -> Value {
    let response = app
        .send_json(
            Method::POST,
            TOKENS,
            user,
            &json!({"name": "script", "scopes": scopes, "current_password": user.password}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

/// `user`, speaking with a new token of `scopes` instead of their access token.
async fn with_token(app: &TestApp, user: &TestUser, scopes: &[&str]) -> TestUser {
    let made = make_token(app, user, scopes).await;
    TestUser {
        token: made["token"].as_str().expect("token").to_owned(),
        ..user.clone()
    }
}

async fn listed(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app.get(TOKENS, user).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body.as_array().expect("array").clone()
}

/// Checks a 403 `INSUFFICIENT_SCOPE` and its challenge (naming `scope`
/// when given).
async fn assert_insufficient(response: Response, scope: Option<&str>) {
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    error_body(response, StatusCode::FORBIDDEN, "INSUFFICIENT_SCOPE").await;
    let expected = match scope {
        Some(scope) => format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
        None => r#"Bearer error="insufficient_scope""#.to_owned(),
    };
    assert_eq!(challenge.as_deref(), Some(expected.as_str()));
}

async fn a_token_is_made_listed_used_and_revoked(app: &TestApp) {
    let user = app.signed_up().await;
    let before = Utc::now() - chrono::Duration::seconds(1);

    let made = make_token(app, &user, &["tasks:read", "tasks:write"]).await;

    let secret = made["token"].as_str().expect("token");
    assert!(secret.starts_with("tp_pat_"), "{made}");
    assert!(secret.len() >= "tp_pat_".len() + 43, "256 bits: {made}");
    assert_eq!(made["name"], "script");
    assert_eq!(made["scopes"], json!(["tasks:read", "tasks:write"]));
    assert_eq!(made["expires_at"], Value::Null);
    let created: chrono::DateTime<Utc> = made["created_at"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .expect("created_at");
    assert!(created >= before);

    let list = listed(app, &user).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], made["id"]);
    assert_eq!(list[0]["last_used_at"], Value::Null);
    assert!(list[0].get("token").is_none(), "{list:?}");
    assert!(!list[0].to_string().contains(secret));

    let pat = TestUser {
        token: secret.to_owned(),
        ..user.clone()
    };
    let task = app.create_task(&pat, json!({"title": "From CI"})).await;
    assert_eq!(
        app.get(&user.task(&task), &pat).await.status(),
        StatusCode::OK
    );
    assert_ne!(listed(app, &user).await[0]["last_used_at"], Value::Null);

    let id = made["id"].as_str().expect("id");
    let revoke = |path: String| app.authed(Method::DELETE, &path, &user).send();
    let revoked = revoke(format!("{TOKENS}/{id}")).await.expect("sent");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = app.get(&user.tasks(), &pat).await;
    error_body(refused, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert!(listed(app, &user).await.is_empty());
    let again = revoke(format!("{TOKENS}/{id}")).await.expect("sent");
    error_body(again, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let malformed = revoke(format!("{TOKENS}/not-an-id")).await.expect("sent");
    error_body(malformed, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

async fn a_token_is_stored_only_as_its_hash(app: &TestApp) {
    let user = app.signed_up().await;
    let made = make_token(app, &user, &["tasks:read"]).await;
    let secret = made["token"].as_str().expect("token");
    let db = sea_orm::Database::connect(&app.database_url)
        .await
        .expect("connect");
    use sea_orm::ConnectionTrait;
    let statement = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT token_hash FROM personal_access_tokens",
    );

    let rows = db.query_all_raw(statement).await.expect("rows");
    let _ = db.close().await;

    assert_eq!(rows.len(), 1);
    let stored = rows[0].try_get::<String>("", "token_hash").expect("hash");
    assert_eq!(stored.len(), 64, "SHA-256 in hex");
    assert!(!stored.contains(secret) && !secret.contains(&stored));
}

async fn making_a_token_needs_the_password_and_valid_fields(app: &TestApp) {
    let user = &app.signed_up().await;
    let make = |body: Value| async move { app.send_json(Method::POST, TOKENS, user, &body).await };
    let in_days = |days: i64| (Utc::now() + chrono::Duration::days(days)).to_rfc3339();

    let wrong = make(json!({"name": "ci", "scopes": ["tasks:read"], "current_password": "nope"}));
    error_body(wrong.await, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    let missing = make(json!({"name": "ci", "scopes": ["tasks:read"]}));
    assert_invalid(missing.await, "current_password").await;
    let password = user.password.clone();
    for (body, field) in [
        (json!({"name": " ", "scopes": ["tasks:read"]}), "name"),
        (json!({"name": "a\u{7}b", "scopes": ["tasks:read"]}), "name"),
        (
            json!({"name": "x".repeat(101), "scopes": ["tasks:read"]}),
            "name",
        ),
        (json!({"name": "ci", "scopes": []}), "scopes"),
        (json!({"name": "ci", "scopes": ["tasks:admin"]}), "scopes"),
        (json!({"name": "ci"}), "scopes"),
        (
            json!({"name": "ci", "scopes": ["tasks:read"], "expires_at": in_days(-1)}),
            "expires_at",
        ),
        (
            json!({"name": "ci", "scopes": ["tasks:read"], "expires_at": in_days(366)}),
            "expires_at",
        ),
        (
            json!({"name": "ci", "scopes": ["tasks:read"], "expires_at": "tomorrow"}),
            "expires_at",
        ),
    ] {
        let mut body = body;
        body["current_password"] = json!(password);
        assert_invalid(make(body).await, field).await;
    }
    let shape = make(json!({"name": "ci", "scopes": "tasks:read", "current_password": password}));
    error_body(shape.await, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
    let within = make(json!({
        "name": "  ci  ", "scopes": ["labels:read"], "expires_at": in_days(365),
        "current_password": password,
    }))
    .await;
    assert_eq!(within.status(), StatusCode::CREATED);
    let body: Value = within.json().await.expect("json");
    assert_eq!(body["name"], "ci");
    assert_ne!(body["expires_at"], Value::Null);
}

async fn a_read_only_token_cannot_write(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Read me"})).await;
    let pat = with_token(app, &user, &["tasks:read"]).await;
    let one = user.task(&task);
    let base = format!("/api/v1/users/{}", user.id);

    for path in [
        user.tasks(),
        one.clone(),
        format!("{}/trash", user.tasks()),
        format!("{base}/changes"),
        format!("{base}/activity"),
        format!("/api/v1/{}/tasks", user.id),
    ] {
        assert_eq!(
            app.get(&path, &pat).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    let title = json!({"title": "x"});
    for (method, path, body) in [
        (Method::POST, user.tasks(), title.clone()),
        (Method::PUT, one.clone(), title.clone()),
        (Method::PATCH, one.clone(), title.clone()),
        (Method::PATCH, format!("{one}/complete"), json!({})),
        (Method::POST, format!("{one}/move"), json!({})),
        (Method::POST, format!("{one}/restore"), json!({})),
        (Method::DELETE, one.clone(), json!({})),
        (
            Method::DELETE,
            format!("{}/trash/{}", user.tasks(), task["id"]),
            json!({}),
        ),
        (
            Method::POST,
            format!("{}/batch", user.tasks()),
            json!({"ops": [{"op": "create", "body": title.clone()}]}),
        ),
        (
            Method::POST,
            format!("/api/{}/tasks", user.id),
            title.clone(),
        ),
    ] {
        let response = app.send_json(method.clone(), &path, &pat, &body).await;
        assert_insufficient(response, Some("tasks:write")).await;
    }
    let labels = app.get(&format!("{base}/labels"), &pat).await;
    assert_insufficient(labels, Some("labels:read")).await;
    assert_eq!(
        app.get(&one, &user).await.status(),
        StatusCode::OK,
        "nothing changed"
    );
}

async fn a_labels_token_cannot_read_tasks(app: &TestApp) {
    let user = app.signed_up().await;
    let pat = with_token(app, &user, &["labels:read", "labels:write"]).await;
    let labels = format!("/api/v1/users/{}/labels", user.id);

    let made = app
        .send_json(Method::POST, &labels, &pat, &json!({"name": "Work"}))
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    assert_eq!(app.get(&labels, &pat).await.status(), StatusCode::OK);
    for path in [
        user.tasks(),
        format!("/api/v1/users/{}/changes", user.id),
        format!("/api/v1/users/{}/activity", user.id),
    ] {
        assert_insufficient(app.get(&path, &pat).await, Some("tasks:read")).await;
    }
    let write = app
        .send_json(Method::POST, &user.tasks(), &pat, &json!({"title": "x"}))
        .await;
    assert_insufficient(write, Some("tasks:write")).await;
}

async fn a_token_never_reaches_account_routes(app: &TestApp) {
    let user = app.signed_up().await;
    let pat = with_token(
        app,
        &user,
        &["tasks:read", "tasks:write", "labels:read", "labels:write"],
    )
    .await;
    let password = json!({"password": user.password});

    for (method, path, body) in [
        (Method::GET, "/api/v1/auth/me".to_owned(), json!({})),
        (Method::GET, "/api/auth/me".to_owned(), json!({})),
        (
            Method::PATCH,
            "/api/v1/auth/me".to_owned(),
            json!({"name": "Eve"}),
        ),
        (
            Method::DELETE,
            "/api/v1/auth/me".to_owned(),
            password.clone(),
        ),
        (
            Method::POST,
            "/api/v1/auth/change-password".to_owned(),
            json!({"current_password": user.password, "new_password": "another fine passphrase"}),
        ),
        (Method::GET, "/api/v1/auth/sessions".to_owned(), json!({})),
        (
            Method::DELETE,
            "/api/v1/auth/sessions".to_owned(),
            password.clone(),
        ),
        (Method::GET, TOKENS.to_owned(), json!({})),
        (
            Method::POST,
            TOKENS.to_owned(),
            json!({"name": "more", "scopes": ["tasks:read"], "current_password": user.password}),
        ),
        (
            Method::DELETE,
            format!("{TOKENS}/{}", uuid::Uuid::new_v4()),
            json!({}),
        ),
        (
            Method::GET,
            "/api/v1/auth/security-events".to_owned(),
            json!({}),
        ),
        (Method::GET, "/api/v1/auth/mfa".to_owned(), json!({})),
        (
            Method::GET,
            format!("/api/v1/users/{}/export", user.id),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/auth/mfa/totp".to_owned(),
            json!({"current_password": user.password}),
        ),
    ] {
        let response = app.send_json(method.clone(), &path, &pat, &body).await;
        assert_insufficient(response, None).await;
    }
    assert_eq!(app.me_status(&user.token).await, StatusCode::OK);
    assert_eq!(listed(app, &user).await.len(), 1, "no token was made");
}

async fn an_expired_token_is_refused(app: &TestApp) {
    let user = app.signed_up().await;
    let expires_at = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let made = app
        .send_json(
            Method::POST,
            TOKENS,
            &user,
            &json!({"name": "short", "scopes": ["tasks:read"], "expires_at": expires_at,
                "current_password": user.password}),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().await.expect("json");
    let pat = TestUser {
        token: made["token"].as_str().expect("token").to_owned(),
        ..user.clone()
    };
    // The server remembers the token from here on.
    assert_eq!(app.get(&user.tasks(), &pat).await.status(), StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(2_500)).await;

    let refused = app.get(&user.tasks(), &pat).await;
    assert_eq!(
        refused
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    error_body(refused, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert!(
        listed(app, &user).await.is_empty(),
        "expired tokens are not listed"
    );
}

async fn a_password_change_revokes_every_token(app: &TestApp) {
    let user = app.signed_up().await;
    let pat = with_token(app, &user, &["tasks:read"]).await;
    let new_password = "a brand new passphrase";

    let changed = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &user,
            &json!({"current_password": user.password, "new_password": new_password}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    let refused = app.get(&user.tasks(), &pat).await;
    error_body(refused, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let me = app
        .new_session(&TestUser {
            password: new_password.to_owned(),
            ..user.clone()
        })
        .await;
    assert!(listed(app, &me).await.is_empty());
    let fresh = with_token(app, &me, &["tasks:read"]).await;
    assert_eq!(
        app.get(&user.tasks(), &fresh).await.status(),
        StatusCode::OK
    );
}

async fn a_password_reset_revokes_every_token(app: &TestApp) {
    let user = app.signed_up().await;
    let pat = with_token(app, &user, &["tasks:read"]).await;
    assert_eq!(app.get(&user.tasks(), &pat).await.status(), StatusCode::OK);

    let forgot = app
        .post_json(
            "/api/v1/auth/forgot-password",
            &json!({"email": user.email}),
        )
        .await;
    assert_eq!(forgot.status(), StatusCode::ACCEPTED);
    let message = smtp_sink().wait_for_one_with(&user.email, RESET_LINK).await;
    let new_password = "a fresh new passphrase";
    let reset = app
        .post_json(
            "/api/v1/auth/reset-password",
            &json!({"token": message.reset_token(), "new_password": new_password}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);

    let refused = app.get(&user.tasks(), &pat).await;
    error_body(refused, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let me = app
        .new_session(&TestUser {
            password: new_password.to_owned(),
            ..user.clone()
        })
        .await;
    assert!(listed(app, &me).await.is_empty());
}

async fn another_users_tokens_cannot_be_seen_or_revoked(app: &TestApp) {
    let ada = app.signed_up().await;
    let eve = app.signed_up().await;
    let made = make_token(app, &ada, &["tasks:read"]).await;
    let ada_pat = TestUser {
        token: made["token"].as_str().expect("token").to_owned(),
        ..ada.clone()
    };

    assert!(listed(app, &eve).await.is_empty());
    let path = format!("{TOKENS}/{}", made["id"].as_str().expect("id"));
    let revoke = app
        .authed(Method::DELETE, &path, &eve)
        .send()
        .await
        .expect("sent");
    error_body(revoke, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let eves_tasks = app.get(&eve.tasks(), &ada_pat).await;
    error_body(eves_tasks, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(
        app.get(&ada.tasks(), &ada_pat).await.status(),
        StatusCode::OK
    );
    assert_eq!(listed(app, &ada).await.len(), 1);
}

async fn garbage_personal_tokens_are_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let real = make_token(app, &user, &["tasks:read"]).await;
    let real = real["token"].as_str().expect("token");
    let long = format!("tp_pat_{}", "A".repeat(4_000));
    let tampered = format!("{}x", &real[..real.len() - 1]);

    for token in [
        "tp_pat_",
        "tp_pat_x",
        "tp_pat_' OR 1=1 --",
        "tp_pat_%00",
        "TP_PAT_abc",
        "tp_pat_tp_pat_tp_pat_",
        long.as_str(),
        tampered.as_str(),
        &real[..real.len() - 1],
    ] {
        for path in [user.tasks(), "/api/v1/auth/me".to_owned()] {
            let response = app
                .request(Method::GET, &path)
                .bearer_auth(token)
                .send()
                .await
                .expect("sent");
            assert_eq!(
                response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .map(|v| v.as_bytes()),
                Some(&b"Bearer"[..]),
                "{token}"
            );
            error_body(response, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
        }
    }
}

async fn deleting_the_account_deletes_its_tokens(app: &TestApp) {
    let user = app.signed_up().await;
    let pat = with_token(app, &user, &["tasks:read"]).await;
    assert_eq!(app.get(&user.tasks(), &pat).await.status(), StatusCode::OK);
    let other = app.signed_up().await;
    make_token(app, &other, &["tasks:read"]).await;

    let deleted = app
        .send_json(
            Method::DELETE,
            "/api/v1/auth/me",
            &user,
            &json!({"password": user.password}),
        )
        .await;

    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count_rows("personal_access_tokens").await, 1);
    let refused = app.get(&user.tasks(), &pat).await;
    error_body(refused, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

async fn a_user_has_at_most_fifty_live_tokens(app: &TestApp) {
    let user = app.signed_up().await;
    let mut made = Vec::new();
    for _ in 0..50 {
        made.push(make_token(app, &user, &["tasks:read"]).await);
    }
    let body = json!({"name": "one more", "scopes": ["tasks:read"],
        "current_password": user.password});

    let refused = app.send_json(Method::POST, TOKENS, &user, &body).await;
    assert_invalid(refused, "name").await;

    let path = format!("{TOKENS}/{}", made[0]["id"].as_str().expect("id"));
    let revoked = app
        .authed(Method::DELETE, &path, &user)
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let again = app.send_json(Method::POST, TOKENS, &user, &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(listed(app, &user).await.len(), 50);
}

/// Two replicas that have both served `pat` (so both remember it), and a
/// task of its user.
async fn remembered_by_two_replicas(app: &TestApp, user: &TestUser, pat: &TestUser) -> TestApp {
    let other = app.replica().await;
    app.create_task(user, json!({"title": "Before"})).await;
    for replica in [app, &other] {
        let read = replica.get(&user.tasks(), pat).await;
        assert_eq!(read.status(), StatusCode::OK);
    }
    other
}

/// Reads and a write with `pat` on both replicas are refused, and the
/// write left nothing behind.
async fn refused_everywhere(app: &TestApp, other: &TestApp, user: &TestUser, pat: &TestUser) {
    for replica in [app, other] {
        let read = replica.get(&user.tasks(), pat).await;
        error_body(read, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
        let write = replica
            .send_json(Method::POST, &user.tasks(), pat, &json!({"title": "After"}))
            .await;
        error_body(write, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
    let listed = app.get(&user.tasks(), user).await;
    let tasks: Vec<Value> = listed.json().await.expect("json");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
}

async fn a_remembered_token_is_refused_by_every_replica_once_revoked(app: &TestApp) {
    let user = app.signed_up().await;
    let made = make_token(app, &user, &["tasks:read", "tasks:write"]).await;
    let pat = TestUser {
        token: made["token"].as_str().expect("token").to_owned(),
        ..user.clone()
    };
    let other = remembered_by_two_replicas(app, &user, &pat).await;

    let path = format!("{TOKENS}/{}", made["id"].as_str().expect("id"));
    let revoked = app.authed(Method::DELETE, &path, &user).send().await;
    assert_eq!(revoked.expect("sent").status(), StatusCode::NO_CONTENT);

    refused_everywhere(app, &other, &user, &pat).await;
}

async fn a_remembered_token_is_refused_by_every_replica_after_a_password_change(app: &TestApp) {
    let user = app.signed_up().await;
    let pat = with_token(app, &user, &["tasks:read", "tasks:write"]).await;
    let other = remembered_by_two_replicas(app, &user, &pat).await;

    let changed = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &user,
            &json!({"current_password": user.password, "new_password": "another passphrase"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    let me = app
        .new_session(&TestUser {
            password: "another passphrase".to_owned(),
            ..user.clone()
        })
        .await;
    refused_everywhere(app, &other, &me, &pat).await;
}
