//! Account management: profile changes, password changes that revoke, and
//! account deletion.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_body};

backends!(
    the_name_changes_without_a_password,
    an_email_change_needs_the_current_password,
    an_email_taken_by_another_account_is_a_conflict,
    a_password_change_revokes_every_earlier_token_even_in_the_same_second,
    a_password_change_needs_the_current_password_and_a_good_new_one,
    deleting_the_account_needs_the_password_and_takes_the_tasks_along,
);

async fn the_name_changes_without_a_password(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"name": "  Grace  "}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["name"], "Grace");
    assert_eq!(body["email"], user.email.as_str());
}

async fn an_email_change_needs_the_current_password(app: &TestApp) {
    let user = app.signed_up().await;

    let missing = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": "new@example.com"}),
        )
        .await;
    let wrong = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": "new@example.com", "current_password": "no"}),
        )
        .await;
    let right = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": "New@Example.com", "current_password": user.password}),
        )
        .await;

    let body = error_body(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "current_password");
    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    assert_eq!(
        right.json::<Value>().await.expect("json")["email"],
        user.email.as_str(),
        "the change waits for the new address's link"
    );
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK
    );
}

async fn an_email_taken_by_another_account_is_a_conflict(app: &TestApp) {
    let (user, other) = (app.signed_up().await, app.signed_up().await);

    let response = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": other.email.to_uppercase(), "current_password": user.password}),
        )
        .await;

    error_body(response, StatusCode::CONFLICT, "EMAIL_TAKEN").await;
}

async fn a_password_change_revokes_every_earlier_token_even_in_the_same_second(app: &TestApp) {
    let user = app.signed_up().await;
    let other_session = app.new_session(&user).await;

    let response = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &user,
            &json!({"current_password": user.password, "new_password": "a much better passphrase"}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for token in [&user.token, &other_session.token] {
        assert_eq!(app.me_status(token).await, StatusCode::UNAUTHORIZED);
    }
    for refresh in [&user.refresh_token, &other_session.refresh_token] {
        assert_eq!(
            app.refresh(refresh).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.login(&user.email, "a much better passphrase").await;
    assert_eq!(fresh.status(), StatusCode::OK);
    let fresh: Value = fresh.json().await.expect("json");
    assert_eq!(
        app.me_status(fresh["access_token"].as_str().expect("token"))
            .await,
        StatusCode::OK
    );
}

async fn a_password_change_needs_the_current_password_and_a_good_new_one(app: &TestApp) {
    let user = app.signed_up().await;
    let path = "/api/v1/auth/change-password";

    let wrong = app
        .send_json(
            Method::POST,
            path,
            &user,
            &json!({"current_password": "nope", "new_password": "another good one"}),
        )
        .await;
    let common = app
        .send_json(
            Method::POST,
            path,
            &user,
            &json!({"current_password": user.password, "new_password": "password1"}),
        )
        .await;
    let missing = app
        .send_json(
            Method::POST,
            path,
            &user,
            &json!({"new_password": "another good one"}),
        )
        .await;

    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    let common = error_body(common, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(
        common["errors"][0],
        json!({"field": "new_password", "message": "is too common"})
    );
    let missing = error_body(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(missing["errors"][0]["field"], "current_password");
    assert_eq!(
        app.me_status(&user.token).await,
        StatusCode::OK,
        "nothing was revoked"
    );
}

async fn deleting_the_account_needs_the_password_and_takes_the_tasks_along(app: &TestApp) {
    let (user, bystander) = (app.signed_up().await, app.signed_up().await);
    app.create_task(&user, json!({"title": "mine"})).await;
    app.create_task(&bystander, json!({"title": "theirs"}))
        .await;

    let wrong = app
        .send_json(
            Method::DELETE,
            "/api/v1/auth/me",
            &user,
            &json!({"password": "nope"}),
        )
        .await;
    let right = app
        .send_json(
            Method::DELETE,
            "/api/v1/auth/me",
            &user,
            &json!({"password": user.password}),
        )
        .await;

    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    assert_eq!(right.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&user.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count_rows("tasks").await,
        1,
        "only the bystander's task is left"
    );
    assert_eq!(app.count_rows("users").await, 1);
    let theirs: Vec<Value> = app
        .get(&bystander.tasks(), &bystander)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(theirs.len(), 1);
}
