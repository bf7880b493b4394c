//! The TOTP second factor: enrolment, sign-in with a code or a recovery
//! code, lock-out, and turning it off. Codes are computed here by the
//! domain's own RFC 6238 implementation (checked against the RFC's test
//! vectors), independently of the server's totp-rs.

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taskpulse_domain::memory::HmacOneTimeCodes;
use taskpulse_domain::second_factor::{OneTimeCodes, TotpSecret, time_step};

use taskpulse_api::settings::{Secret, Settings};

use crate::helpers::{TestApp, TestUser, assert_invalid, error_body};

/// Sealing keys of the rotation test, in the order they are current.
const SEALING_KEYS: [&str; 3] = [
    "the first sealing key, of 32 bytes or more",
    "the second sealing key, of 32 bytes or more",
    "a sealing key that sealed nothing, 32 bytes",
];

/// TOTP secrets sealed under the first of [`SEALING_KEYS`].
fn sealed_under_the_first_key(settings: &mut Settings) {
    settings.auth.sealing_key = Some(Secret::new(SEALING_KEYS[0].into()));
}

backends!(
    totp_turns_on_with_its_first_code_and_sign_in_then_needs_a_fresh_code,
    a_recovery_code_signs_in_once,
    wrong_codes_count_towards_the_lock_out,
    turning_totp_off_needs_the_password_and_a_code,
    new_recovery_codes_replace_the_old_ones,
    totp_routes_refuse_what_the_state_does_not_allow,
    a_password_change_voids_open_challenges_and_keeps_totp_on,
    the_compatibility_login_asks_for_the_code_too,
    bad_second_factor_input_gets_the_contract_errors,
);
backends!(with sealed_under_the_first_key; a_secret_sealed_under_an_earlier_key_still_verifies_after_rotation);

/// The code of `secret` (base32) for time step `step`.
fn code(secret: &str, step: i64) -> String {
    let secret = TotpSecret::from_base32(secret.to_owned()).expect("base32");
    HmacOneTimeCodes.code(&secret, step)
}

fn now_step() -> i64 {
    time_step(Utc::now())
}

/// A user with TOTP on: their secret, recovery codes, and the step whose
/// code turned it on (used up).
struct TotpUser {
    user: TestUser,
    secret: String,
    recovery_codes: Vec<String>,
    used_step: i64,
}

async fn begin(app: &TestApp, user: &TestUser) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/v1/auth/mfa/totp",
        user,
        &json!({"current_password": user.password}),
    )
    .await
}

async fn confirm(app: &TestApp, user: &TestUser, code: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/v1/auth/mfa/totp/confirm",
        user,
        &json!({ "code": code }),
    )
    .await
}

async fn with_totp(app: &TestApp) -> TotpUser {
    let user = app.signed_up().await;
    let enrolment: Value = begin(app, &user).await.json().await.expect("json");
    let secret = enrolment["secret"].as_str().expect("secret").to_owned();
    let used_step = now_step();
    let confirmed = confirm(app, &user, &code(&secret, used_step)).await;
    assert_eq!(confirmed.status(), StatusCode::OK, "confirmed");
    let body: Value = confirmed.json().await.expect("json");
    let recovery_codes = body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    TotpUser {
        user,
        secret,
        recovery_codes,
        used_step,
    }
}

/// Logs in with the right password and answers the challenge.
async fn challenge(app: &TestApp, user: &TestUser) -> String {
    let response = app.login(&user.email, &user.password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none(), "no tokens yet: {body}");
    body["challenge"].as_str().expect("challenge").to_owned()
}

async fn finish(app: &TestApp, body: Value) -> reqwest::Response {
    app.post_json("/api/v1/auth/login/mfa", &body).await
}

/// A new session of `user`, signed in with recovery code `recovery`.
async fn session_by_recovery(app: &TestApp, user: &TestUser, recovery: &str) -> TestUser {
    let pending = challenge(app, user).await;
    let response = finish(
        app,
        json!({"challenge": pending, "recovery_code": recovery}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    TestUser {
        token: body["access_token"].as_str().expect("token").to_owned(),
        refresh_token: body["refresh_token"].as_str().expect("token").to_owned(),
        ..user.clone()
    }
}

async fn status(app: &TestApp, user: &TestUser) -> Value {
    let response = app.get("/api/v1/auth/mfa", user).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn totp_turns_on_with_its_first_code_and_sign_in_then_needs_a_fresh_code(app: &TestApp) {
    let user = app.signed_up().await;
    let other = app.new_session(&user).await;

    let enrolment = begin(app, &user).await;
    assert_eq!(enrolment.status(), StatusCode::OK);
    let enrolment: Value = enrolment.json().await.expect("json");
    let secret = enrolment["secret"].as_str().expect("secret").to_owned();
    let uri = enrolment["otpauth_uri"].as_str().expect("uri");
    assert!(
        uri.starts_with("otpauth://totp/TaskPulse:")
            && uri.contains(&format!("secret={secret}&"))
            && uri.ends_with("&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    assert!(enrolment["qr_svg"].as_str().expect("svg").contains("<svg"));
    assert_eq!(status(app, &user).await["totp_enabled"], false);
    let pending = app.login(&user.email, &user.password).await;
    let pending: Value = pending.json().await.expect("json");
    assert!(pending["access_token"].is_string(), "pending is not on");

    let step = now_step();
    let wrong = confirm(app, &user, &code(&secret, step - 5)).await;
    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_MFA_CODE").await;
    let confirmed = confirm(app, &user, &code(&secret, step)).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let body: Value = confirmed.json().await.expect("json");
    let codes = body["recovery_codes"].as_array().expect("codes");
    assert_eq!(codes.len(), 10);
    let mut distinct: Vec<&str> = codes.iter().filter_map(Value::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    assert!(
        distinct
            .iter()
            .all(|c| c.len() == 23 && c.split('-').count() == 4)
    );
    assert_eq!(app.me_status(&other.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&user.token).await, StatusCode::OK);
    let on = status(app, &user).await;
    assert_eq!(
        (&on["totp_enabled"], &on["recovery_codes_left"]),
        (&json!(true), &json!(10))
    );
    assert_eq!(app.count_rows("recovery_codes").await, 10);

    let pending = challenge(app, &user).await;
    let reused = finish(
        app,
        json!({"challenge": pending, "code": code(&secret, step)}),
    )
    .await;
    error_body(reused, StatusCode::UNAUTHORIZED, "INVALID_MFA_CODE").await;
    let signed_in = finish(
        app,
        json!({"challenge": pending, "code": code(&secret, step + 1)}),
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let tokens: Value = signed_in.json().await.expect("json");
    let access = tokens["access_token"].as_str().expect("token");
    assert_eq!(app.me_status(access).await, StatusCode::OK);
    assert_eq!(tokens["user"]["id"], user.id.as_str());
    let recovery = distinct[0];
    let used = finish(
        app,
        json!({"challenge": pending, "recovery_code": recovery}),
    )
    .await;
    error_body(used, StatusCode::UNAUTHORIZED, "INVALID_MFA_CHALLENGE").await;
}

async fn a_recovery_code_signs_in_once(app: &TestApp) {
    let totp = with_totp(app).await;
    let recovery = totp.recovery_codes[3].to_lowercase().replace('-', " ");

    let first = session_by_recovery(app, &totp.user, &recovery).await;
    assert_eq!(app.me_status(&first.token).await, StatusCode::OK);
    assert_eq!(status(app, &totp.user).await["recovery_codes_left"], 9);

    let pending = challenge(app, &totp.user).await;
    let again = finish(
        app,
        json!({"challenge": pending, "recovery_code": totp.recovery_codes[3]}),
    )
    .await;
    error_body(again, StatusCode::UNAUTHORIZED, "INVALID_MFA_CODE").await;
}

async fn wrong_codes_count_towards_the_lock_out(app: &TestApp) {
    let totp = with_totp(app).await;
    let pending = challenge(app, &totp.user).await;
    let wrong = code(&totp.secret, totp.used_step - 10);

    for _ in 0..5 {
        let refused = finish(app, json!({"challenge": pending, "code": wrong})).await;
        error_body(refused, StatusCode::UNAUTHORIZED, "INVALID_MFA_CODE").await;
    }

    let right = code(&totp.secret, totp.used_step + 1);
    let locked = finish(app, json!({"challenge": pending, "code": right})).await;
    let body = error_body(locked, StatusCode::TOO_MANY_REQUESTS, "ACCOUNT_LOCKED").await;
    assert!(body["detail"].is_string());
    let login = app.login(&totp.user.email, &totp.user.password).await;
    error_body(login, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
}

async fn turning_totp_off_needs_the_password_and_a_code(app: &TestApp) {
    let totp = with_totp(app).await;
    let user = &totp.user;
    let other = session_by_recovery(app, user, &totp.recovery_codes[0]).await;
    let disable = |body: Value| async move {
        app.send_json(Method::POST, "/api/v1/auth/mfa/totp/disable", user, &body)
            .await
    };
    let right = code(&totp.secret, totp.used_step + 1);

    let wrong_password = disable(json!({"current_password": "not it at all", "code": right})).await;
    error_body(wrong_password, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;
    let wrong_code = disable(json!({
        "current_password": user.password,
        "code": code(&totp.secret, totp.used_step - 10),
    }))
    .await;
    error_body(wrong_code, StatusCode::FORBIDDEN, "INVALID_MFA_CODE").await;
    let off = disable(json!({"current_password": user.password, "code": right})).await;
    assert_eq!(off.status(), StatusCode::NO_CONTENT);

    let now = status(app, user).await;
    assert_eq!(
        (&now["totp_enabled"], &now["recovery_codes_left"]),
        (&json!(false), &json!(0))
    );
    assert_eq!(app.me_status(&other.token).await, StatusCode::UNAUTHORIZED);
    let login: Value = app
        .login(&user.email, &user.password)
        .await
        .json()
        .await
        .expect("json");
    assert!(login["access_token"].is_string(), "{login}");
    assert_eq!(app.count_rows("recovery_codes").await, 0);
}

async fn totp_routes_refuse_what_the_state_does_not_allow(app: &TestApp) {
    let user = app.signed_up().await;
    let not_started = confirm(app, &user, "123456").await;
    error_body(
        not_started,
        StatusCode::CONFLICT,
        "MFA_ENROLMENT_NOT_STARTED",
    )
    .await;
    let off = app
        .send_json(
            Method::POST,
            "/api/v1/auth/mfa/totp/disable",
            &user,
            &json!({"current_password": user.password, "code": "123456"}),
        )
        .await;
    error_body(off, StatusCode::CONFLICT, "MFA_NOT_ENABLED").await;
    let wrong_password = app
        .send_json(
            Method::POST,
            "/api/v1/auth/mfa/totp",
            &user,
            &json!({"current_password": "not it at all"}),
        )
        .await;
    error_body(wrong_password, StatusCode::FORBIDDEN, "INVALID_CREDENTIALS").await;

    let totp = with_totp(app).await;
    let again = begin(app, &totp.user).await;
    error_body(again, StatusCode::CONFLICT, "MFA_ALREADY_ENABLED").await;
    let confirm_again = confirm(app, &totp.user, "123456").await;
    error_body(confirm_again, StatusCode::CONFLICT, "MFA_ALREADY_ENABLED").await;
    let anonymous = app.request(Method::GET, "/api/v1/auth/mfa").send().await;
    error_body(
        anonymous.expect("sent"),
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
}

async fn a_password_change_voids_open_challenges_and_keeps_totp_on(app: &TestApp) {
    let totp = with_totp(app).await;
    let pending = challenge(app, &totp.user).await;
    let new_password = "another fine passphrase";

    let changed = app
        .send_json(
            Method::POST,
            "/api/v1/auth/change-password",
            &totp.user,
            &json!({"current_password": totp.user.password, "new_password": new_password}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    let right = code(&totp.secret, totp.used_step + 1);
    let stale = finish(app, json!({"challenge": pending, "code": right})).await;
    error_body(stale, StatusCode::UNAUTHORIZED, "INVALID_MFA_CHALLENGE").await;
    let user = TestUser {
        password: new_password.into(),
        ..totp.user.clone()
    };
    let pending = challenge(app, &user).await;
    let signed_in = finish(app, json!({"challenge": pending, "code": right})).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
}

async fn the_compatibility_login_asks_for_the_code_too(app: &TestApp) {
    let totp = with_totp(app).await;
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"email": totp.user.email, "password": totp.user.password}),
        )
        .await;
    let body: Value = login.json().await.expect("json");
    assert_eq!(body["mfa_required"], true, "{body}");
    let form = app
        .request(Method::POST, "/api/v1/auth/login")
        .form(&[
            ("username", totp.user.email.as_str()),
            ("password", totp.user.password.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    let form: Value = form.json().await.expect("json");
    assert_eq!(form["mfa_required"], true, "{form}");

    let right = code(&totp.secret, totp.used_step + 1);
    let finished = app
        .post_json(
            "/api/auth/login/mfa",
            &json!({"challenge": body["challenge"], "code": right}),
        )
        .await;
    assert_eq!(finished.status(), StatusCode::OK);
}

async fn bad_second_factor_input_gets_the_contract_errors(app: &TestApp) {
    let totp = with_totp(app).await;
    let pending = challenge(app, &totp.user).await;

    assert_invalid(finish(app, json!({"code": "123456"})).await, "challenge").await;
    assert_invalid(finish(app, json!({"challenge": pending})).await, "code").await;
    assert_invalid(
        finish(app, json!({"challenge": pending, "code": "12ab56"})).await,
        "code",
    )
    .await;
    assert_invalid(
        finish(
            app,
            json!({"challenge": pending, "code": "123456", "recovery_code": totp.recovery_codes[0]}),
        )
        .await,
        "recovery_code",
    )
    .await;
    assert_invalid(
        finish(
            app,
            json!({"challenge": pending, "recovery_code": "not a code"}),
        )
        .await,
        "recovery_code",
    )
    .await;
    let unknown = finish(app, json!({"challenge": "made-up", "code": "123456"})).await;
    error_body(unknown, StatusCode::UNAUTHORIZED, "INVALID_MFA_CHALLENGE").await;
    assert_invalid(confirm(app, &totp.user, "1234567").await, "code").await;

    let right = code(&totp.secret, totp.used_step + 1);
    let still_good = finish(app, json!({"challenge": pending, "code": right})).await;
    assert_eq!(
        still_good.status(),
        StatusCode::OK,
        "malformed input used nothing up"
    );
}

async fn new_recovery_codes_replace_the_old_ones(app: &TestApp) {
    let totp = with_totp(app).await;
    let user = &totp.user;
    let path = "/api/v1/auth/mfa/recovery-codes";
    let wrong = app
        .send_json(
            Method::POST,
            path,
            user,
            &json!({"current_password": user.password, "code": code(&totp.secret, totp.used_step)}),
        )
        .await;

    let fresh = app
        .send_json(
            Method::POST,
            path,
            user,
            &json!({"current_password": user.password, "recovery_code": totp.recovery_codes[0]}),
        )
        .await;

    error_body(wrong, StatusCode::FORBIDDEN, "INVALID_MFA_CODE").await;
    assert_eq!(fresh.status(), StatusCode::OK);
    let fresh: Value = fresh.json().await.expect("json");
    let fresh: Vec<&str> = fresh["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code"))
        .collect();
    assert_eq!(fresh.len(), 10);
    assert!(
        fresh
            .iter()
            .all(|c| !totp.recovery_codes.iter().any(|old| old == c))
    );
    let status: Value = app
        .get("/api/v1/auth/mfa", user)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(status["recovery_codes_left"], 10);
    let pending = challenge(app, user).await;
    let old = finish(
        app,
        json!({"challenge": pending, "recovery_code": totp.recovery_codes[1]}),
    )
    .await;
    error_body(old, StatusCode::UNAUTHORIZED, "INVALID_MFA_CODE").await;
    let new = finish(
        app,
        json!({"challenge": pending, "recovery_code": fresh[0]}),
    )
    .await;
    assert_eq!(new.status(), StatusCode::OK);
}

async fn a_secret_sealed_under_an_earlier_key_still_verifies_after_rotation(app: &TestApp) {
    let totp = with_totp(app).await;
    let key = |i: usize| Secret::new(SEALING_KEYS[i].into());

    let rotated = app
        .replica_with(|settings| {
            settings.auth.sealing_key = Some(key(1));
            settings.auth.previous_sealing_keys = vec![key(0)];
        })
        .await;
    let pending = challenge(&rotated, &totp.user).await;
    let by_code = finish(
        &rotated,
        json!({"challenge": pending, "code": code(&totp.secret, totp.used_step + 1)}),
    )
    .await;
    let second_only = app
        .replica_with(|settings| settings.auth.sealing_key = Some(key(1)))
        .await;
    let after_resealing =
        session_by_recovery(&second_only, &totp.user, &totp.recovery_codes[0]).await;
    let unknown = app
        .replica_with(|settings| settings.auth.sealing_key = Some(key(2)))
        .await;
    let without_the_key = unknown.login(&totp.user.email, &totp.user.password).await;

    assert_eq!(
        by_code.status(),
        StatusCode::OK,
        "a code of the secret sealed under the old key"
    );
    assert_eq!(
        status(&second_only, &after_resealing).await["totp_enabled"],
        true,
        "resealed under the new key at start-up, so the old one can go"
    );
    error_body(
        without_the_key,
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
    )
    .await;
}
