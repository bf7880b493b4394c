//! CORS: the configured origins (and the server's own, for `/docs`) may
//! call the API from a browser and read the contract's headers.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderValue};

/// Headers browser scripts may read.
const EXPOSED: [&str; 6] = [
    "etag",
    "location",
    "link",
    "x-total-count",
    "x-request-id",
    "retry-after",
];

/// Whether `origin` is the server's own (same scheme-less host as `Host`).
fn same_origin(origin: &HeaderValue, head: &RequestHead) -> bool {
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        head.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        == Some(host)
}

/// The CORS middleware for `origins`.
pub fn policy(origins: Arc<Vec<String>>) -> Cors {
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            origins
                .iter()
                .any(|allowed| allowed.as_bytes() == origin.as_bytes())
                || same_origin(origin, head)
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
