//! Verified email, through a real SMTP conversation with a sink: the link
//! registration sends, sending it again, a change of address that waits
//! for the new address's link, and sign-in that requires a verified one.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taskpulse_api::settings::Settings;

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};
use crate::password_reset::mail_to_the_sink;
use crate::smtp_sink::{VERIFY_LINK, smtp_sink};

backends!(with mail_to_the_sink;
    registration_mails_a_link_that_verifies_the_address_once,
    an_email_change_waits_for_the_new_address_and_tells_the_old_one,
    a_link_to_an_address_taken_meanwhile_is_a_conflict,
    a_password_change_stops_a_pending_email_change,
    a_resend_answers_the_same_for_any_address_and_mails_only_an_unverified_account,
    bad_verification_input_gets_the_contract_errors,
);

backends!(with verified_sign_in; sign_in_needs_a_verified_address_when_required);

fn verified_sign_in(settings: &mut Settings) {
    mail_to_the_sink(settings);
    settings.auth.require_verified_email = true;
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
        .await
}

async fn resend(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/verify-email/resend",
        &json!({ "email": email }),
    )
    .await
}

/// The token of the first verification link mailed to `address`.
async fn link_to(address: &str) -> String {
    smtp_sink()
        .wait_for_one_with(address, VERIFY_LINK)
        .await
        .verify_token()
}

async fn me(app: &TestApp, user: &TestUser) -> Value {
    let response = app.get("/api/v1/auth/me", user).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn registration_mails_a_link_that_verifies_the_address_once(app: &TestApp) {
    let user = app.signed_up().await;
    let before = me(app, &user).await;
    let token = link_to(&user.email).await;

    let first = verify(app, &token).await;
    let again = verify(app, &token).await;

    assert_eq!(before["email_verified"], false);
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    error_body(again, StatusCode::BAD_REQUEST, "INVALID_VERIFICATION_TOKEN").await;
    let after = me(app, &user).await;
    assert_eq!(after["email_verified"], true);
    assert_eq!(after["email"], user.email.as_str());
}

async fn an_email_change_waits_for_the_new_address_and_tells_the_old_one(app: &TestApp) {
    let user = app.signed_up().await;
    let new = format!("moved-{}@example.com", uuid::Uuid::new_v4().simple());

    let asked = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": new, "current_password": user.password}),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let asked: Value = asked.json().await.expect("json");
    let notice = smtp_sink()
        .wait_for_one_with(&user.email, "moving to another email")
        .await
        .decoded();
    let token = link_to(&new).await;
    let before = app.login(&new, &user.password).await.status();
    let done = verify(app, &token).await;

    assert_eq!(asked["email"], user.email.as_str(), "nothing changes yet");
    assert!(notice.contains(&new), "the old address is told the new one");
    assert_eq!(before, StatusCode::UNAUTHORIZED);
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let after = me(app, &user).await;
    assert_eq!(after["email"], new.as_str());
    assert_eq!(after["email_verified"], true);
    assert_eq!(
        app.login(&user.email, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&new, &user.password).await.status(),
        StatusCode::OK
    );
    let moved = TestUser {
        email: new.clone(),
        ..user.clone()
    };
    let signed_in = app.new_session(&moved).await;
    let events: Value = app
        .get("/api/v1/auth/security-events", &signed_in)
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        kinds[..5],
        [
            "login_succeeded",
            "login_succeeded",
            "email_verified",
            "email_changed",
            "email_change_requested"
        ]
    );
}

async fn a_link_to_an_address_taken_meanwhile_is_a_conflict(app: &TestApp) {
    let user = app.signed_up().await;
    let wanted = format!("wanted-{}@example.com", uuid::Uuid::new_v4().simple());
    let asked = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": wanted, "current_password": user.password}),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let token = link_to(&wanted).await;
    let taken = app
        .register("Other", &wanted, "another good passphrase")
        .await;
    assert_eq!(taken.status(), StatusCode::CREATED);

    let conflict = verify(app, &token).await;

    error_body(conflict, StatusCode::CONFLICT, "EMAIL_TAKEN").await;
    assert_eq!(me(app, &user).await["email"], user.email.as_str());
}

async fn a_password_change_stops_a_pending_email_change(app: &TestApp) {
    let user = app.signed_up().await;
    let thief = format!("thief-{}@example.com", uuid::Uuid::new_v4().simple());
    let asked = app
        .send_json(
            Method::PATCH,
            "/api/v1/auth/me",
            &user,
            &json!({"email": thief, "current_password": user.password}),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let token = link_to(&thief).await;
    let changed = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &user,
            &json!({"current_password": user.password, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    let followed = verify(app, &token).await;

    error_body(
        followed,
        StatusCode::BAD_REQUEST,
        "INVALID_VERIFICATION_TOKEN",
    )
    .await;
    assert_eq!(
        app.login(&user.email, "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK,
        "the account kept its address"
    );
}

async fn a_resend_answers_the_same_for_any_address_and_mails_only_an_unverified_account(
    app: &TestApp,
) {
    let user = app.signed_up().await;
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let first = link_to(&user.email).await;

    let known = resend(app, &user.email.to_uppercase()).await;
    let unknown = resend(app, &nobody).await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(
        known.json::<Value>().await.expect("json"),
        unknown.json::<Value>().await.expect("json")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while smtp_sink().messages_to_with(&user.email, VERIFY_LINK).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no second link");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = smtp_sink().messages_to_with(&user.email, VERIFY_LINK)[1].verify_token();

    assert_ne!(first, second);
    error_body(
        verify(app, &first).await,
        StatusCode::BAD_REQUEST,
        "INVALID_VERIFICATION_TOKEN",
    )
    .await;
    assert_eq!(verify(app, &second).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        resend(app, &user.email).await.status(),
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        smtp_sink().messages_to_with(&user.email, VERIFY_LINK).len(),
        2,
        "a verified address gets no more links"
    );
    assert!(smtp_sink().messages_to_with(&nobody, "").is_empty());
}

async fn bad_verification_input_gets_the_contract_errors(app: &TestApp) {
    let missing = app.post_json("/api/v1/auth/verify-email", &json!({})).await;
    let no_email = app
        .post_json("/api/v1/auth/verify-email/resend", &json!({}))
        .await;
    let not_json = app
        .request(Method::POST, "/api/v1/auth/verify-email")
        .body("token=abc")
        .send()
        .await
        .expect("sent");

    assert_invalid(missing, "token").await;
    assert_invalid(no_email, "email").await;
    error_body(
        not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
}

async fn sign_in_needs_a_verified_address_when_required(app: &TestApp) {
    let user = app.signed_up().await;

    let unverified = app.login(&user.email, &user.password).await;
    let wrong = app.login(&user.email, "not the password").await;
    let token = link_to(&user.email).await;
    assert_eq!(verify(app, &token).await.status(), StatusCode::NO_CONTENT);
    let verified = app.login(&user.email, &user.password).await;

    error_body(unverified, StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED").await;
    error_body(wrong, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    assert_eq!(verified.status(), StatusCode::OK);
}
