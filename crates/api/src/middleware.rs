//! The request envelope: request id, tracing span, security headers, and
//! the contract's JSON body on every error answer.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;

use crate::error::ApiError;

/// The request's id, as echoed in `X-Request-Id` and error bodies.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Response header policy.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// Whether to send `Strict-Transport-Security`.
    pub hsts: bool,
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// A client's id when it is 1–128 visible ASCII characters, else a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Wraps every request: see the module docs.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(req.headers());
    req.extensions_mut().insert(RequestId(id.clone()));
    let policy = req
        .app_data::<web::Data<HeaderPolicy>>()
        .map_or(HeaderPolicy { hsts: false }, |p| *p.get_ref());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());

    // Handlers and extractors turn their errors into responses, so an `Err`
    // here can only come from the framework itself; it is passed on as is.
    let response = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let mut response = with_error_body(response, &id);
    let status = response.status();
    let is_api = response.request().path().starts_with("/api/");
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID, value);
    }
    add_security_headers(headers, policy, is_api);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "request finished"
        );
    });
    Ok(response)
}

/// Gives an error answer the contract's JSON body with `request_id`.
fn with_error_body(response: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    let api_error = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    let rendered = match api_error {
        Some(err) => err.respond(Some(id)),
        None if is_json(response.headers()) => return response,
        None => ApiError::from_status(status).respond(Some(id)),
    };
    let (req, old) = response.into_parts();
    let mut new = rendered;
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !new.headers().contains_key(name)
        {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn add_security_headers(headers: &mut HeaderMap, policy: HeaderPolicy, is_api: bool) {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        );
    }
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}
