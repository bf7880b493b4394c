//! Lock-out after repeated failed logins (indistinguishable from a wrong
//! password, told to the owner by email), and per-IP rate limits.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taskpulse_api::settings::Settings;

use crate::helpers::{TestApp, error_body};
use crate::smtp_sink::smtp_sink;

backends!(with lock_notices_to_the_sink;
    five_failed_logins_lock_the_account_and_tell_only_its_owner,
);

backends!(
    a_successful_login_resets_the_failure_count,
    failures_of_unknown_emails_lock_nothing,
);

backends!(with short_lockout; a_lock_expires_by_itself);

backends!(with three_a_minute;
    login_register_and_refresh_are_rate_limited_per_client,
    the_form_login_spends_the_same_budget,
);

backends!(with three_a_minute_behind_a_proxy; forwarded_addresses_count_only_from_trusted_proxies);

fn lock_notices_to_the_sink(settings: &mut Settings) {
    crate::password_reset::mail_to_the_sink(settings);
}

fn short_lockout(settings: &mut Settings) {
    settings.auth.lockout_secs = 1;
}

fn three_a_minute(settings: &mut Settings) {
    settings.auth.rate_limit_per_minute = 3;
}

fn three_a_minute_behind_a_proxy(settings: &mut Settings) {
    settings.auth.rate_limit_per_minute = 3;
    settings.server.trusted_proxies = vec!["127.0.0.1".into()];
}

async fn fail_logins(app: &TestApp, email: &str, times: usize) {
    for _ in 0..times {
        let response = app.login(email, "not the password").await;
        error_body(response, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    }
}

/// A login's error body without its request id.
async fn answer(response: reqwest::Response) -> (StatusCode, Option<String>, Value) {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let mut body: Value = response.json().await.expect("json");
    body["request_id"] = Value::Null;
    (status, retry_after, body)
}

async fn five_failed_logins_lock_the_account_and_tell_only_its_owner(app: &TestApp) {
    let user = app.signed_up().await;
    fail_logins(app, &user.email, 5).await;

    let right = answer(app.login(&user.email, &user.password).await).await;
    let wrong = answer(app.login(&user.email, "not the password").await).await;
    let unknown = answer(app.login("nobody@example.com", "not the password").await).await;

    assert_eq!(right.0, StatusCode::UNAUTHORIZED, "{right:?}");
    assert_eq!(right.2["code"], "INVALID_CREDENTIALS");
    assert_eq!(
        right, wrong,
        "the right password is refused like a wrong one"
    );
    assert_eq!(right, unknown, "a locked account looks like no account");
    let notice = smtp_sink()
        .wait_for_one_with(&user.email, "failed sign-ins")
        .await
        .decoded();
    assert!(notice.contains("5 failed sign-ins"), "{notice}");
    assert!(notice.contains("Forgot password"), "{notice}");
    assert_eq!(
        smtp_sink()
            .messages_to_with(&user.email, "failed sign-ins")
            .len(),
        1,
        "one notice per lock, however many tries follow"
    );
    assert_eq!(
        app.me_status(&user.token).await,
        StatusCode::OK,
        "existing sessions are not affected"
    );
}

async fn a_successful_login_resets_the_failure_count(app: &TestApp) {
    let user = app.signed_up().await;
    fail_logins(app, &user.email, 4).await;
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK
    );
    fail_logins(app, &user.email, 4).await;

    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK
    );
}

async fn failures_of_unknown_emails_lock_nothing(app: &TestApp) {
    let user = app.signed_up().await;
    fail_logins(app, "nobody@example.com", 6).await;

    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK
    );
}

async fn a_lock_expires_by_itself(app: &TestApp) {
    let user = app.signed_up().await;
    fail_logins(app, &user.email, 5).await;
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;

    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK
    );
}

async fn login_register_and_refresh_are_rate_limited_per_client(app: &TestApp) {
    let user = app.signed_up().await;
    app.login(&user.email, &user.password).await;
    app.refresh(&user.refresh_token).await;

    let limited = app.login(&user.email, &user.password).await;
    let register = app
        .register("Eve", "eve@example.com", "correct horse battery")
        .await;

    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    error_body(limited, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    error_body(register, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    assert_eq!(
        login_from(app, "203.0.113.50").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed X-Forwarded-For"
    );
    assert_eq!(
        app.me_status(&user.token).await,
        StatusCode::OK,
        "other routes are not limited"
    );
}

async fn the_form_login_spends_the_same_budget(app: &TestApp) {
    let user = app.signed_up().await;
    app.login(&user.email, &user.password).await;
    app.form_login(&user.email, &user.password).await;

    let form = app.form_login(&user.email, &user.password).await;
    let json = app.login(&user.email, &user.password).await;

    error_body(form, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    error_body(json, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
}

async fn login_from(app: &TestApp, forwarded_for: &str) -> StatusCode {
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": "nobody@example.com", "password": "whatever1"}))
        .send()
        .await
        .expect("sent");
    response.status()
}

async fn forwarded_addresses_count_only_from_trusted_proxies(app: &TestApp) {
    for n in 0..3 {
        assert_eq!(
            login_from(app, "198.51.100.7").await,
            StatusCode::UNAUTHORIZED,
            "attempt {n}"
        );
    }

    let same_client = login_from(app, "198.51.100.7").await;
    let other_client = login_from(app, "203.0.113.9").await;

    assert_eq!(same_client, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        other_client,
        StatusCode::UNAUTHORIZED,
        "each forwarded client has its own budget"
    );
}
