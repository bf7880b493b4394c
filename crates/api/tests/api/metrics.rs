//! `/metrics`: Prometheus text labelled by route template, pool gauges, and
//! a separate address when `metrics.listen` is set.

use reqwest::{Method, StatusCode};
use serde_json::json;
use taskpulse_api::settings::Settings;

use crate::helpers::TestApp;

backends!(
    requests_are_counted_by_route_template_and_status,
    the_database_pool_is_measured,
);

backends!(with separate_metrics; with_metrics_listen_metrics_are_served_only_there);

fn separate_metrics(settings: &mut Settings) {
    settings.metrics.listen = Some("127.0.0.1:0".into());
}

async fn scrape(address: &str) -> String {
    let response = reqwest::get(format!("{address}/metrics"))
        .await
        .expect("scraped");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    response.text().await.expect("text")
}

/// The value of the sample line that starts with `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|value| value.trim().parse().ok())
}

async fn requests_are_counted_by_route_template_and_status(app: &TestApp) {
    let user = app.signed_up().await;
    let task = app.create_task(&user, json!({"title": "Measure"})).await;
    for _ in 0..2 {
        let response = app.get(&user.task(&task), &user).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let unknown = format!("/no/such/route/{}", uuid::Uuid::new_v4());
    app.request(Method::GET, &unknown)
        .send()
        .await
        .expect("sent");

    let text = scrape(&app.address).await;

    let item = "/api/v1/users/{user_id}/tasks/{task_id}";
    assert_eq!(
        sample(
            &text,
            &format!(
                r#"taskpulse_http_requests_total{{method="GET",route="{item}",status="200"}}"#
            )
        ),
        Some(2.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            &format!(
                r#"taskpulse_http_request_duration_seconds_count{{method="GET",route="{item}",status="200"}}"#
            )
        ) == Some(2.0)
    );
    assert!(text.contains(
        r#"taskpulse_http_requests_total{method="POST",route="/api/v1/users/{user_id}/tasks",status="201"}"#
    ));
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(!text.contains(&user.id), "no raw id in a label");
    assert!(
        !text.contains("/no/such/route"),
        "no unmatched path in a label"
    );
}

async fn the_database_pool_is_measured(app: &TestApp) {
    app.signed_up().await;

    let text = scrape(&app.address).await;

    let open = sample(&text, "taskpulse_db_pool_connections ").expect("open connections");
    let idle = sample(&text, "taskpulse_db_pool_idle_connections ").expect("idle connections");
    let max = sample(&text, "taskpulse_db_pool_max_connections ").expect("max connections");
    assert!(open >= 1.0 && idle <= open && open <= max, "{text}");
    assert_eq!(max, 5.0, "the test servers' pool size");
}

async fn with_metrics_listen_metrics_are_served_only_there(app: &TestApp) {
    let metrics_address = app.metrics_address.as_deref().expect("a metrics server");
    app.request(Method::GET, "/health")
        .send()
        .await
        .expect("sent");

    let text = scrape(metrics_address).await;
    let on_main = app
        .request(Method::GET, "/metrics")
        .send()
        .await
        .expect("sent");
    let document: serde_json::Value = app
        .request(Method::GET, "/openapi.json")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("document");

    assert!(text.contains(r#"route="/health",status="200""#), "{text}");
    assert_eq!(on_main.status(), StatusCode::NOT_FOUND);
    assert!(document["paths"].get("/metrics").is_none());
    let elsewhere = reqwest::get(format!("{metrics_address}/health"))
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
}
