//! Service endpoints: `/`, the health checks and `/metrics`.

use actix_web::{HttpResponse, web};

use crate::dto::{HealthBody, ServiceInfoBody};
use crate::metrics::Metrics;
use crate::routes::{Endpoint, PUBLIC};
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `/`, the health checks, and `/metrics` when it is served on this port.
pub fn endpoints(metrics_here: bool) -> Vec<Endpoint> {
    let mut endpoints = vec![
        Endpoint::of::<__path_root>(PUBLIC, || web::route().to(root)),
        Endpoint::of::<__path_health>(PUBLIC, || web::route().to(health)),
        Endpoint::of::<__path_auth_health>(PUBLIC, || web::route().to(auth_health)),
    ];
    if metrics_here {
        endpoints.push(Endpoint::of::<__path_metrics>(PUBLIC, || {
            web::route().to(metrics)
        }));
    }
    endpoints
}

/// What this service is.
#[utoipa::path(
    get, path = "/", operation_id = "service_info",
    responses((status = 200, description = "Name, version and documentation links", body = ServiceInfoBody)),
)]
async fn root() -> HttpResponse {
    HttpResponse::Ok().json(ServiceInfoBody::new(VERSION))
}

/// Whether the server and its database answer.
#[utoipa::path(
    get, path = "/health", operation_id = "health",
    responses(
        (status = 200, description = "The server and its database answer", body = HealthBody),
        (status = 503, description = "The database cannot be reached", body = HealthBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    ),
)]
async fn health(state: web::Data<AppState>) -> HttpResponse {
    if state.db.is_reachable().await {
        return HttpResponse::Ok().json(HealthBody::ok(VERSION));
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(HealthBody::unavailable(VERSION))
}

/// The health check, under the auth prefix (as the original backends had it).
#[utoipa::path(
    get, path = "/api/v1/auth/health", operation_id = "auth_health",
    responses(
        (status = 200, description = "The server and its database answer", body = HealthBody),
        (status = 503, description = "The database cannot be reached", body = HealthBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    ),
)]
async fn auth_health(state: web::Data<AppState>) -> HttpResponse {
    health(state).await
}

/// Prometheus metrics: request counts and latencies by route template and
/// status, and the database pool's gauges.
#[utoipa::path(
    get, path = "/metrics", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format",
        content_type = "text/plain; version=0.0.4; charset=utf-8", body = String)),
)]
pub(crate) async fn metrics(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> HttpResponse {
    metrics.respond(&state.db)
}
