//! The validator of a listing: an `ETag` made of the owner's latest
//! change and the query, so that `If-None-Match` with it answers 304
//! while nothing of the owner's changed. The latest change is read in
//! the page's own statement (or, failing that, before it): a tag is never
//! newer than its page, so a client can only be told to fetch again.

use std::hash::{DefaultHasher, Hash, Hasher};

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::header::{ETAG, HeaderValue, IF_NONE_MATCH};
use taskpulse_domain::changes::ChangeSeq;
use taskpulse_domain::task::TaskQuery;

/// Whether the listing `query` asks for has a validator: not with
/// `overdue`, whose answer changes with the clock.
pub(super) fn has_validator(query: &TaskQuery) -> bool {
    query.overdue.is_none()
}

/// Whether the request names validators to compare (`If-None-Match`).
pub(super) fn asks_if_changed(req: &HttpRequest) -> bool {
    req.headers().contains_key(IF_NONE_MATCH)
}

/// The tag of the listing `req` asks for when the owner's latest change
/// is `latest`.
pub(super) fn listing_tag(latest: ChangeSeq, req: &HttpRequest) -> String {
    let mut hasher = DefaultHasher::new();
    req.query_string().hash(&mut hasher);
    format!("\"{}-{:016x}\"", latest.get(), hasher.finish())
}

/// Whether `If-None-Match` names `tag` (or is `*`), by the weak
/// comparison RFC 9110 asks for.
pub(super) fn not_modified(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim())
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

/// The 304 answer for `tag`.
pub(super) fn unchanged(tag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((ETAG, tag))
        .finish()
}

/// Adds `tag` to an answer.
pub(super) fn tagged(mut response: HttpResponse, tag: &str) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}
