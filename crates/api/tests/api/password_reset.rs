//! Password reset by email, through a real SMTP conversation with a sink.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taskpulse_api::settings::{Secret, Settings};

use crate::helpers::{TestApp, assert_invalid, error_body};
use crate::smtp_sink::{RESET_LINK, VERIFY_LINK, smtp_sink};

backends!(with mail_to_the_sink;
    a_reset_by_email_sets_the_password_and_revokes_every_earlier_token,
    an_unknown_email_gets_the_same_answer_and_no_email,
    a_value_that_is_not_an_address_is_refused,
    a_reset_lifts_a_lock_out,
    a_password_change_voids_an_outstanding_reset_token,
    the_new_password_must_follow_the_rules,
);

backends!(with mail_to_the_sink_short_lived; an_expired_reset_token_is_refused);

backends!(with two_reset_mails_an_hour; an_account_gets_at_most_its_budget_of_reset_mails);

fn two_reset_mails_an_hour(settings: &mut Settings) {
    mail_to_the_sink(settings);
    settings.auth.reset_mails_per_hour = 2;
}

async fn an_account_gets_at_most_its_budget_of_reset_mails(app: &TestApp) {
    let user = app.signed_up().await;
    let other = app.signed_up().await;

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(forgot(app, &user.email).await.status());
    }
    statuses.push(forgot(app, &other.email).await.status());
    smtp_sink()
        .wait_for_one_with(&other.email, RESET_LINK)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(
        statuses,
        [StatusCode::ACCEPTED; 4],
        "the same answer every time"
    );
    assert_eq!(
        smtp_sink().messages_to_with(&user.email, RESET_LINK).len(),
        2
    );
    assert_eq!(
        smtp_sink().messages_to_with(&other.email, RESET_LINK).len(),
        1,
        "budgets are per account"
    );
}

pub(crate) fn mail_to_the_sink(settings: &mut Settings) {
    settings.mail.transport = "smtp".into();
    settings.mail.smtp_url = Some(Secret::new(format!(
        "smtp://127.0.0.1:{}?tls=none",
        smtp_sink().port
    )));
    settings.mail.reset_url = format!("{RESET_LINK}{{token}}");
    settings.mail.verify_url = format!("{VERIFY_LINK}{{token}}");
}

fn mail_to_the_sink_short_lived(settings: &mut Settings) {
    mail_to_the_sink(settings);
    settings.auth.reset_token_ttl_secs = 1;
}

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/forgot-password", &json!({"email": email}))
        .await
}

async fn reset(app: &TestApp, token: &str, new_password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/reset-password",
        &json!({"token": token, "new_password": new_password}),
    )
    .await
}

async fn a_reset_by_email_sets_the_password_and_revokes_every_earlier_token(app: &TestApp) {
    let user = app.signed_up().await;

    let asked = forgot(app, &user.email.to_uppercase()).await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let message = smtp_sink().wait_for_one_with(&user.email, RESET_LINK).await;
    let token = message.reset_token();
    let done = reset(app, &token, "a fresh new passphrase").await;
    let again = reset(app, &token, "yet another passphrase").await;

    let text = message.decoded();
    assert!(
        text.contains("text/plain") && text.contains("text/html"),
        "plain text and HTML parts"
    );
    assert!(
        text.contains("TaskPulse") && text.contains("60 minutes"),
        "product name and lifetime"
    );
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    error_body(again, StatusCode::BAD_REQUEST, "INVALID_RESET_TOKEN").await;
    assert_eq!(app.me_status(&user.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let login = app.login(&user.email, "a fresh new passphrase").await;
    assert_eq!(login.status(), StatusCode::OK);
    let token = login.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let me = app
        .request(reqwest::Method::GET, "/api/v1/auth/me")
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let me: Value = me.json().await.expect("json");
    assert_eq!(
        me["email_verified"], true,
        "the reset link reached the address"
    );
}

async fn a_value_that_is_not_an_address_is_refused(app: &TestApp) {
    for path in [
        "/api/v1/auth/forgot-password",
        "/api/v1/auth/verify-email/resend",
    ] {
        for email in ["", "   ", "not an address", "@example.com"] {
            let response = app.post_json(path, &json!({ "email": email })).await;
            assert_invalid(response, "email").await;
        }
    }
}

async fn an_unknown_email_gets_the_same_answer_and_no_email(app: &TestApp) {
    let user = app.signed_up().await;
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());

    let known = forgot(app, &user.email).await;
    let unknown = forgot(app, &nobody).await;

    assert_eq!(
        (known.status(), unknown.status()),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(
        known.json::<Value>().await.expect("json"),
        unknown.json::<Value>().await.expect("json")
    );
    smtp_sink().wait_for_one_with(&user.email, RESET_LINK).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp_sink().messages_to_with(&nobody, "").is_empty());
}

async fn a_reset_lifts_a_lock_out(app: &TestApp) {
    let user = app.signed_up().await;
    for _ in 0..5 {
        app.login(&user.email, "not the password").await;
    }
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED,
        "locked"
    );

    forgot(app, &user.email).await;
    let token = smtp_sink()
        .wait_for_one_with(&user.email, RESET_LINK)
        .await
        .reset_token();
    assert_eq!(
        reset(app, &token, "a fresh new passphrase").await.status(),
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        app.login(&user.email, "a fresh new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn a_password_change_voids_an_outstanding_reset_token(app: &TestApp) {
    let user = app.signed_up().await;
    forgot(app, &user.email).await;
    let token = smtp_sink()
        .wait_for_one_with(&user.email, RESET_LINK)
        .await
        .reset_token();

    let changed = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &user,
            &json!({"current_password": user.password, "new_password": "changed the usual way"}),
        )
        .await;
    let response = reset(app, &token, "a fresh new passphrase").await;

    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    error_body(response, StatusCode::BAD_REQUEST, "INVALID_RESET_TOKEN").await;
    assert_eq!(
        app.login(&user.email, "changed the usual way")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn the_new_password_must_follow_the_rules(app: &TestApp) {
    let user = app.signed_up().await;
    forgot(app, &user.email).await;
    let token = smtp_sink()
        .wait_for_one_with(&user.email, RESET_LINK)
        .await
        .reset_token();

    let common = reset(app, &token, "password1").await;
    let unknown = reset(app, "not-a-token", "a fresh new passphrase").await;

    let body = error_body(common, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(
        body["errors"][0],
        json!({"field": "new_password", "message": "is too common"})
    );
    error_body(unknown, StatusCode::BAD_REQUEST, "INVALID_RESET_TOKEN").await;
    assert_eq!(
        reset(app, &token, "a fresh new passphrase").await.status(),
        StatusCode::NO_CONTENT,
        "still usable"
    );
}

async fn an_expired_reset_token_is_refused(app: &TestApp) {
    let user = app.signed_up().await;
    forgot(app, &user.email).await;
    let token = smtp_sink()
        .wait_for_one_with(&user.email, RESET_LINK)
        .await
        .reset_token();

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = reset(app, &token, "a fresh new passphrase").await;

    error_body(response, StatusCode::BAD_REQUEST, "INVALID_RESET_TOKEN").await;
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::OK
    );
}
