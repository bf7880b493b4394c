//! Register, login (JSON and form), the form login of generated clients
//! (`/login/access-token`) and me.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invalid_fields, error_body};

backends!(
    registration_returns_a_token_and_the_user,
    registration_stores_the_email_lower_cased_and_the_name_trimmed,
    a_taken_email_is_a_conflict_whatever_its_case,
    login_with_json_returns_a_working_token,
    login_with_an_oauth2_form_works,
    a_wrong_password_and_an_unknown_email_get_the_same_answer,
    login_needs_both_fields,
    login_takes_json_or_a_form_only,
    the_form_login_signs_in_with_a_working_token,
    the_form_login_takes_a_form_only,
    the_form_login_names_each_missing_field,
    the_form_login_refuses_a_wrong_password_as_login_does,
    me_returns_the_signed_in_user_without_secrets,
    signup_and_signin_are_aliases,
);

async fn registration_returns_a_token_and_the_user(app: &TestApp) {
    let response = app
        .register("Ada", "ada@example.com", "correct horse battery")
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["is_active"], true);
    assert!(
        body["user"]["id"]
            .as_str()
            .is_some_and(|id| id.parse::<uuid::Uuid>().is_ok())
    );
}

async fn registration_stores_the_email_lower_cased_and_the_name_trimmed(app: &TestApp) {
    let response = app
        .register(
            "  Ada Lovelace  ",
            "  Ada@Example.COM ",
            "correct horse battery",
        )
        .await;

    let body: Value = response.json().await.expect("json");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada Lovelace");
    assert_eq!(
        app.login("ADA@example.com", "correct horse battery")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn a_taken_email_is_a_conflict_whatever_its_case(app: &TestApp) {
    app.register("Ada", "ada@example.com", "correct horse battery")
        .await;

    let response = app
        .register("Other", "ADA@EXAMPLE.COM", "another good password")
        .await;

    error_body(response, StatusCode::CONFLICT, "EMAIL_TAKEN").await;
}

async fn login_with_json_returns_a_working_token(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app.login(&user.email, &user.password).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let token = body["access_token"].as_str().expect("token");
    let me = app
        .request(Method::GET, "/api/v1/auth/me")
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.expect("json")["id"],
        user.id.as_str()
    );
}

async fn login_with_an_oauth2_form_works(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .form(&[
            ("username", user.email.as_str()),
            ("password", user.password.as_str()),
        ])
        .send()
        .await
        .expect("sent");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.expect("json")["user"]["id"],
        user.id.as_str()
    );
}

async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(app: &TestApp) {
    let user = app.signed_up().await;

    let wrong = error_body(
        app.login(&user.email, "not the password").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    let unknown = error_body(
        app.login("nobody@example.com", "not the password").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;

    assert_eq!(wrong["detail"], unknown["detail"]);
}

async fn login_needs_both_fields(app: &TestApp) {
    let response = app
        .post_json("/api/v1/auth/login", &json!({"email": "ada@example.com"}))
        .await;

    let body = error_body(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "password");
}

async fn login_takes_json_or_a_form_only(app: &TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "text/plain")
        .body("ada@example.com:secret")
        .send()
        .await
        .expect("sent");

    error_body(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
}

async fn the_form_login_signs_in_with_a_working_token(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app.form_login(&user.email, &user.password).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["user"]["id"], user.id.as_str());
    assert_eq!(body["token_type"], "bearer");
    assert!(body["refresh_token"].is_string());
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(app.me_status(token).await, StatusCode::OK);
}

async fn the_form_login_takes_a_form_only(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app
        .post_json(
            "/api/v1/auth/login/access-token",
            &json!({"email": user.email, "password": user.password}),
        )
        .await;

    error_body(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
}

async fn the_form_login_names_each_missing_field(app: &TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/auth/login/access-token")
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect("sent");

    assert_invalid_fields(response, &["username", "password"]).await;
}

async fn the_form_login_refuses_a_wrong_password_as_login_does(app: &TestApp) {
    let user = app.signed_up().await;

    let form = error_body(
        app.form_login(&user.email, "not the password").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    let json = error_body(
        app.login(&user.email, "not the password").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;

    assert_eq!(form["detail"], json["detail"]);
}

async fn me_returns_the_signed_in_user_without_secrets(app: &TestApp) {
    let user = app.signed_up().await;

    let response = app.get("/api/v1/auth/me", &user).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["id"], user.id.as_str());
    assert_eq!(body["email"], user.email.as_str());
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert_eq!(body["email_verified"], false);
    assert!(!body.to_string().contains("password") && !body.to_string().contains("$2"));
}

async fn signup_and_signin_are_aliases(app: &TestApp) {
    let body =
        json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"});
    let signup = app.post_json("/api/v1/auth/signup", &body).await;
    assert_eq!(signup.status(), StatusCode::CREATED);

    let signin = app
        .post_json(
            "/api/v1/auth/signin",
            &json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;

    assert_eq!(signin.status(), StatusCode::OK);
}
