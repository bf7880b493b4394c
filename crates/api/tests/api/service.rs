//! `/`, `/health`, unknown routes and methods, and the headers every answer carries.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, error_body};

backends!(
    root_describes_the_service,
    health_reports_the_database,
    an_unknown_route_is_a_json_404,
    a_wrong_method_is_a_json_405,
    head_is_answered_as_get_without_a_body,
    a_clients_request_id_is_echoed_and_a_bad_one_replaced,
    every_answer_carries_the_security_headers,
    hsts_is_off_by_default,
);

async fn root_describes_the_service(app: &TestApp) {
    let body: Value = app
        .request(Method::GET, "/")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");

    assert_eq!(body["name"], "taskpulse");
    assert_eq!(body["docs"], "/docs");
    assert_eq!(body["openapi"], "/openapi.json");
    assert!(body["version"].is_string());
}

async fn health_reports_the_database(app: &TestApp) {
    for path in ["/health", "/api/v1/auth/health"] {
        let response = app.request(Method::GET, path).send().await.expect("sent");

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");
    }
}

async fn an_unknown_route_is_a_json_404(app: &TestApp) {
    let response = app
        .request(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .expect("sent");

    error_body(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

async fn a_wrong_method_is_a_json_405(app: &TestApp) {
    let response = app
        .request(Method::DELETE, "/api/v1/auth/login")
        .send()
        .await
        .expect("sent");

    error_body(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    )
    .await;
}

async fn head_is_answered_as_get_without_a_body(app: &TestApp) {
    let user = app.signed_up().await;
    app.create_task(&user, serde_json::json!({"title": "Listed"}))
        .await;
    let get = app.get(&user.tasks(), &user).await;
    let get_length = get.bytes().await.expect("body").len();
    let head = app
        .authed(Method::HEAD, &user.tasks(), &user)
        .send()
        .await
        .expect("sent");

    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["x-total-count"], "1");
    assert_eq!(
        head.headers()["content-length"],
        get_length.to_string().as_str(),
        "the length GET's body has"
    );
    assert!(head.bytes().await.expect("body").is_empty());

    let health = app
        .request(Method::HEAD, "/health")
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.bytes().await.expect("body").is_empty());
    let anonymous = app
        .request(Method::HEAD, &user.tasks())
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let post_only = app
        .request(Method::HEAD, "/api/v1/auth/login")
        .send()
        .await
        .expect("sent");
    assert_eq!(post_only.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn a_clients_request_id_is_echoed_and_a_bad_one_replaced(app: &TestApp) {
    let mine = app
        .request(Method::GET, "/")
        .header("x-request-id", "trace-42")
        .send()
        .await
        .expect("sent");
    let too_long = "x".repeat(129);
    let bad = app
        .request(Method::GET, "/")
        .header("x-request-id", too_long.as_str())
        .send()
        .await
        .expect("sent");
    let none = app.request(Method::GET, "/").send().await.expect("sent");

    assert_eq!(mine.headers()["x-request-id"], "trace-42");
    let replaced = bad.headers()["x-request-id"].to_str().expect("ascii");
    assert!(replaced != too_long && !replaced.is_empty());
    assert!(
        none.headers()["x-request-id"]
            .to_str()
            .is_ok_and(|id| id.parse::<uuid::Uuid>().is_ok())
    );
}

async fn hsts_is_off_by_default(app: &TestApp) {
    let response = app.request(Method::GET, "/").send().await.expect("sent");

    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

async fn every_answer_carries_the_security_headers(app: &TestApp) {
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/nope"),
        (Method::GET, "/api/v1/auth/me"),
    ] {
        let response = app.request(method, path).send().await.expect("sent");
        let headers = response.headers();

        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .is_ok_and(|csp| csp.contains("frame-ancestors 'none'"))
        );
        if path.starts_with("/api/") {
            assert_eq!(headers["cache-control"], "no-store");
        }
    }
}

backends!(with browser_app; cors_lets_configured_origins_in_and_exposes_the_contract_headers);

backends!(with hsts_on; hsts_is_sent_when_enabled);

backends!(with behind_a_public_url; the_own_origin_comes_from_public_url_never_from_host);

backends!(the_own_origin_defaults_to_loopback_outside_production);

fn browser_app(settings: &mut taskpulse_api::settings::Settings) {
    settings.server.cors_origins = vec!["https://app.example".into()];
}

fn behind_a_public_url(settings: &mut taskpulse_api::settings::Settings) {
    settings.server.public_url = Some("https://tasks.example/app".into());
}

/// The status and `Access-Control-Allow-Origin` of `user`'s task listing
/// asked for from `origin`, with `host` as the `Host` header if given. (A
/// browser lets a script of another origin read no answer without that
/// header.)
async fn from_origin(
    app: &TestApp,
    user: &crate::helpers::TestUser,
    origin: &str,
    host: Option<&str>,
) -> (StatusCode, Option<String>) {
    let mut request = app
        .authed(Method::GET, &user.tasks(), user)
        .header("origin", origin);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    let response = request.send().await.expect("sent");
    let allowed = response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (response.status(), allowed)
}

async fn the_own_origin_comes_from_public_url_never_from_host(app: &TestApp) {
    let user = app.signed_up().await;

    let own = from_origin(app, &user, "https://tasks.example", None).await;
    let loopback = from_origin(app, &user, &app.address, None).await;
    let rebound = from_origin(app, &user, "http://evil.example", Some("evil.example")).await;

    assert_eq!(
        own,
        (StatusCode::OK, Some("https://tasks.example".to_owned()))
    );
    assert_eq!(loopback.1, None, "no longer its own origin: {loopback:?}");
    assert_eq!(
        rebound.1, None,
        "a Host header vouches for nothing: {rebound:?}"
    );
}

async fn the_own_origin_defaults_to_loopback_outside_production(app: &TestApp) {
    let user = app.signed_up().await;
    let localhost = app.address.replace("127.0.0.1", "localhost");

    let loopback = from_origin(app, &user, &app.address, None).await;
    let by_name = from_origin(app, &user, &localhost, None).await;
    let rebound = from_origin(app, &user, "http://evil.example", Some("evil.example")).await;

    assert_eq!(loopback, (StatusCode::OK, Some(app.address.clone())));
    assert_eq!(by_name, (StatusCode::OK, Some(localhost)));
    assert_eq!(
        rebound.1, None,
        "a Host header vouches for nothing: {rebound:?}"
    );
}

fn hsts_on(settings: &mut taskpulse_api::settings::Settings) {
    settings.server.hsts = true;
}

async fn cors_lets_configured_origins_in_and_exposes_the_contract_headers(app: &TestApp) {
    let user = app.signed_up().await;
    let preflight = app
        .request(Method::OPTIONS, &user.tasks())
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, idempotency-key, if-match",
        )
        .send()
        .await
        .expect("sent");
    let actual = app
        .authed(Method::GET, &user.tasks(), &user)
        .header("origin", "https://app.example")
        .send()
        .await;
    let foreign = app
        .authed(Method::GET, &user.tasks(), &user)
        .header("origin", "https://evil.example")
        .send()
        .await;
    let foreign_preflight = app
        .request(Method::OPTIONS, &user.tasks())
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .expect("sent");

    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let actual = actual.expect("sent");
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let exposed = actual.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    for header in [
        "etag",
        "location",
        "link",
        "x-total-count",
        "x-request-id",
        "retry-after",
    ] {
        assert!(exposed.contains(header), "{header} in {exposed}");
    }
    let foreign = foreign.expect("sent");
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "browsers hide the answer"
    );
    assert!(
        foreign_preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    error_body(foreign_preflight, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
}

async fn hsts_is_sent_when_enabled(app: &TestApp) {
    let response = app.request(Method::GET, "/").send().await.expect("sent");

    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .expect("ascii");
    assert!(hsts.starts_with("max-age="), "{hsts}");
}
