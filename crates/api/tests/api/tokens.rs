//! Access tokens: every way a bearer token can be wrong is a 401
//! `UNAUTHORIZED` with `WWW-Authenticate: Bearer`, on `/auth/me` and on a
//! task route alike; a token minted elsewhere with the shared secret works.

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SECRET, TestApp, error_body};

backends!(
    a_request_without_a_token_is_unauthorized,
    a_bearer_value_that_is_not_a_jwt_is_unauthorized,
    a_valid_token_under_another_scheme_is_unauthorized,
    an_expired_token_is_unauthorized,
    a_token_issued_or_valid_only_in_the_future_is_unauthorized,
    a_token_minted_elsewhere_that_lives_over_a_day_is_unauthorized,
    a_token_signed_with_another_key_is_unauthorized,
    a_token_signed_with_another_algorithm_is_unauthorized,
    an_unsigned_alg_none_token_is_unauthorized,
    a_token_of_another_issuer_is_unauthorized,
    a_token_for_another_audience_is_unauthorized,
    a_token_without_an_audience_is_unauthorized,
    a_token_for_a_user_that_does_not_exist_is_unauthorized,
    a_token_minted_elsewhere_without_session_or_token_id_is_accepted,
);

/// `{"alg":"none","typ":"JWT"}`, base64url-encoded without padding.
const ALG_NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

/// The claims of a valid access token for `user_id`, as the server makes them.
fn claims(user_id: &str) -> Value {
    let now = Utc::now();
    json!({
        "sub": user_id,
        "iat": now.timestamp(),
        "exp": (now + Duration::hours(1)).timestamp(),
        "iss": "taskpulse",
        "aud": "taskpulse",
        "jti": Uuid::new_v4().to_string(),
    })
}

/// `claims` with `key` set to `value`.
fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

/// `claims` without `key`.
fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("claims object").remove(key);
    claims
}

fn sign_with(algorithm: Algorithm, claims: &Value, secret: &str) -> String {
    let key = EncodingKey::from_secret(secret.as_bytes());
    encode(&Header::new(algorithm), claims, &key).expect("token signed")
}

/// Signs `claims` as the server does: HS256 with the test servers' secret.
fn sign(claims: &Value) -> String {
    sign_with(Algorithm::HS256, claims, SECRET)
}

/// Sends `GET /api/v1/auth/me` and `GET` on `user_id`'s task list with the
/// `Authorization` header `authorization` (none when `None`), and checks
/// both are refused.
async fn assert_refused(app: &TestApp, user_id: &str, authorization: Option<&str>) {
    let tasks = format!("/api/v1/users/{user_id}/tasks");
    for path in ["/api/v1/auth/me", tasks.as_str()] {
        let mut request = app.request(Method::GET, path);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }

        let response = request.send().await.expect("request sent");

        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{path} with {authorization:?}"
        );
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().expect("ascii"));
        assert_eq!(challenge, Some("Bearer"), "{path}");
        error_body(response, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
}

async fn assert_token_refused(app: &TestApp, user_id: &str, token: &str) {
    assert_refused(app, user_id, Some(&format!("Bearer {token}"))).await;
}

async fn a_request_without_a_token_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;

    assert_refused(app, &user.id, None).await;
}

async fn a_bearer_value_that_is_not_a_jwt_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;

    for value in ["Bearer garbage", "Bearer", "Bearer ", "Bearer a.b.c"] {
        assert_refused(app, &user.id, Some(value)).await;
    }
}

async fn a_valid_token_under_another_scheme_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;

    for value in [
        format!("Basic {}", user.token),
        format!("Token {}", user.token),
        user.token.clone(),
    ] {
        assert_refused(app, &user.id, Some(&value)).await;
    }
}

async fn an_expired_token_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let expired = with(
        claims(&user.id),
        "exp",
        json!((Utc::now() - Duration::minutes(2)).timestamp()),
    );

    assert_token_refused(app, &user.id, &sign(&expired)).await;
}

async fn a_token_issued_or_valid_only_in_the_future_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let in_two_minutes = json!((Utc::now() + Duration::minutes(2)).timestamp());

    for key in ["iat", "nbf"] {
        let early = with(claims(&user.id), key, in_two_minutes.clone());
        assert_token_refused(app, &user.id, &sign(&early)).await;
    }
    let within_leeway = with(
        claims(&user.id),
        "nbf",
        json!((Utc::now() + Duration::seconds(30)).timestamp()),
    );
    let me = app
        .request(Method::GET, "/api/v1/auth/me")
        .bearer_auth(sign(&within_leeway))
        .send()
        .await
        .expect("request sent");
    assert_eq!(me.status(), StatusCode::OK, "clocks may differ by a minute");
}

async fn a_token_minted_elsewhere_that_lives_over_a_day_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let two_days = json!((Utc::now() + Duration::days(2)).timestamp());
    let long_lived = with(without(claims(&user.id), "jti"), "exp", two_days.clone());
    let long_without_iat = without(long_lived.clone(), "iat");

    assert_token_refused(app, &user.id, &sign(&long_lived)).await;
    assert_token_refused(app, &user.id, &sign(&long_without_iat)).await;
}

async fn a_token_signed_with_another_key_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let token = sign_with(
        Algorithm::HS256,
        &claims(&user.id),
        "another-secret-of-at-least-thirty-two-bytes",
    );

    assert_token_refused(app, &user.id, &token).await;
}

async fn a_token_signed_with_another_algorithm_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let token = sign_with(Algorithm::HS512, &claims(&user.id), SECRET);

    assert_token_refused(app, &user.id, &token).await;
}

async fn an_unsigned_alg_none_token_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let signed = sign(&claims(&user.id));
    let payload = signed.split('.').nth(1).expect("payload segment");
    let unsigned = format!("{ALG_NONE_HEADER}.{payload}.");

    assert_token_refused(app, &user.id, &unsigned).await;
}

async fn a_token_of_another_issuer_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let token = sign(&with(claims(&user.id), "iss", json!("someone-else")));

    assert_token_refused(app, &user.id, &token).await;
}

async fn a_token_for_another_audience_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let token = sign(&with(claims(&user.id), "aud", json!("another-app")));

    assert_token_refused(app, &user.id, &token).await;
}

async fn a_token_without_an_audience_is_unauthorized(app: &TestApp) {
    let user = app.signed_up().await;
    let token = sign(&without(claims(&user.id), "aud"));

    assert_token_refused(app, &user.id, &token).await;
}

async fn a_token_for_a_user_that_does_not_exist_is_unauthorized(app: &TestApp) {
    app.signed_up().await;
    let nobody = Uuid::new_v4().to_string();

    assert_token_refused(app, &nobody, &sign(&claims(&nobody))).await;
}

async fn a_token_minted_elsewhere_without_session_or_token_id_is_accepted(app: &TestApp) {
    let user = app.signed_up().await;
    let minted = without(claims(&user.id), "jti");
    assert!(minted.get("sid").is_none());
    let token = sign(&minted);

    let me = app
        .request(Method::GET, "/api/v1/auth/me")
        .bearer_auth(&token)
        .send()
        .await
        .expect("request sent");
    let tasks = app
        .request(Method::GET, &user.tasks())
        .bearer_auth(&token)
        .send()
        .await
        .expect("request sent");

    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.expect("user body")["id"],
        user.id.as_str()
    );
    assert_eq!(tasks.status(), StatusCode::OK);
}
