//! CORS: the configured origins (and the server's own, for `/docs`, from
//! configuration: never from the request's `Host`) may call the API from a
//! browser and read the contract's headers; another origin's requests are
//! refused.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::http::header;

/// Headers browser scripts may read.
const EXPOSED: [&str; 6] = [
    "etag",
    "location",
    "link",
    "x-total-count",
    "x-request-id",
    "retry-after",
];

/// The CORS middleware for `origins`.
pub fn policy(origins: Arc<Vec<String>>) -> Cors {
    Cors::default()
        .allowed_origin_fn(move |origin, _| {
            origins
                .iter()
                .any(|allowed| allowed.as_bytes() == origin.as_bytes())
        })
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers(EXPOSED)
        .max_age(3600)
}
