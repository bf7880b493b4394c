//! Service endpoints: `/` and `/health`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::startup::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Registers `/` and the health checks.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(root))
        .service(web::resource("/health").get(health))
        .service(web::resource("/api/v1/auth/health").get(health));
}

async fn root() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "name": "taskpulse", "version": VERSION, "docs": "/docs", "openapi": "/openapi.json"
    }))
}

/// 200 when the database answers, 503 (with the error fields) when not.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    if state.db.is_reachable().await {
        return HttpResponse::Ok()
            .json(json!({"status": "ok", "database": "ok", "version": VERSION}));
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(json!({
            "status": "unavailable", "database": "unreachable", "version": VERSION,
            "detail": "Database unreachable", "code": "SERVICE_UNAVAILABLE",
        }))
}
