//! The request envelope: request id, tracing span, security headers, the
//! contract's JSON body on every error answer, and `HEAD` answered as
//! `GET`.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use tracing::Instrument;

use crate::audit;
use crate::error::ApiError;

/// Response header policy.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// Whether to send `Strict-Transport-Security`.
    pub hsts: bool,
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The id of the request being answered, as the envelope set it (and
/// echoed in `X-Request-Id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

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
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(req.headers());
    let policy = req
        .app_data::<web::Data<HeaderPolicy>>()
        .map_or(HeaderPolicy { hsts: false }, |p| *p.get_ref());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    head_as_get(&mut req);
    req.extensions_mut().insert(RequestId(id.clone()));

    // Handlers and extractors turn their errors into responses, so an `Err`
    // here can only come from the framework itself; it is passed on as is.
    let response = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    if is_refused_token(&response) {
        span.in_scope(|| audit::token_refused(response.request()));
    }
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

/// Whether the answer is the 401 of a refused (or missing) access token.
fn is_refused_token(response: &ServiceResponse<BoxBody>) -> bool {
    let error = response.response().error();
    matches!(
        error.and_then(|e| e.as_error::<ApiError>()),
        Some(ApiError::Unauthorized)
    )
}

/// Routes a `HEAD` request as the `GET` of the same target (RFC 9110
/// §9.3.2): the answer's status and headers are GET's, and the HTTP/1
/// codec, which saw `HEAD`, writes no body.
fn head_as_get(req: &mut ServiceRequest) {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
}

/// Gives an error answer the contract's JSON body with `request_id`:
/// an [`ApiError`] is rendered again with the id; a JSON error body made
/// elsewhere (a middleware's, the health check's) gets the id added; any
/// other body is replaced by the contract's body for its status.
fn with_error_body(response: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    let (req, old) = response.into_parts();
    if let Some(err) = old.error().and_then(|e| e.as_error::<ApiError>()) {
        let rendered = err.respond(Some(id));
        return ServiceResponse::new(req, with_headers_of(rendered, &old));
    }
    let (old, body) = old.into_parts();
    let json = body
        .try_into_bytes()
        .ok()
        .filter(|_| is_json(old.headers()))
        .and_then(|bytes| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).ok()
        });
    let rendered = match json {
        Some(mut object) if object.contains_key("code") => {
            object.insert("request_id".into(), id.into());
            let mut response = HttpResponse::build(status);
            response.content_type("application/json");
            response.body(serde_json::Value::Object(object).to_string())
        }
        _ => ApiError::from_status(status).respond(Some(id)),
    };
    ServiceResponse::new(req, with_headers_of(rendered, &old))
}

/// `new` with the headers of `old` it does not set itself.
fn with_headers_of<B>(mut new: HttpResponse, old: &HttpResponse<B>) -> HttpResponse {
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !new.headers().contains_key(name)
        {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new
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
