//! `/security-events`: the signed-in user's own security log.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::dto::SecurityEventsBody;
use crate::error::ApiError;
use crate::extract::{AuthUser, Fields};
use crate::routes::{ACCOUNT, Endpoint};
use crate::state::AppState;

/// Events per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 50;
/// The most events one page holds.
const MAX_LIMIT: u32 = 100;

/// List the security events.
pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::of::<__path_security_events>(ACCOUNT, || {
        web::route().to(security_events)
    })]
}

/// The query of the listing, as sent.
#[derive(Debug, Default, Deserialize)]
struct Params {
    limit: Option<String>,
    before: Option<String>,
}

/// The signed-in user's security events, newest first: sign-ins and
/// failed ones, locks, second-factor, password and email changes, resets,
/// ended sessions and refresh-token reuse, each with the session, client
/// address, user agent and request id it came with. Page with `before`
/// set to the previous page's `next_before`.
#[utoipa::path(
    get, path = "/api/v1/auth/security-events", operation_id = "list_security_events",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Events per page (default 50)"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Only events older than this event id"),
    ),
    responses(
        (status = 200, description = "A page of events, newest first", body = SecurityEventsBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 422, description = "`limit` or `before` is out of range"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn security_events(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params: Params = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| ApiError::invalid("query", "malformed query string"))?;
    let mut fields = Fields::default();
    let limit = params.limit.as_deref().and_then(|raw| {
        fields.parse("limit", raw, |s| match s.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err("must be an integer from 1 to 100"),
        })
    });
    let before = params.before.as_deref().and_then(|raw| {
        fields.parse("before", raw, |s| match s.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err("must be an integer from 1 to 9223372036854775807"),
        })
    });
    fields.finish()?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let events = state.auth.security_events(&user.0, before, limit).await?;
    Ok(HttpResponse::Ok().json(SecurityEventsBody::page(events, limit)))
}
