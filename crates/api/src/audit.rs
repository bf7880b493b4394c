//! Security events that go to the operator's log only (tracing target
//! `security`): refused access tokens and requests for another user's
//! data. No account's own log lists them: they would tell its user of
//! requests that, by design, learned nothing of it. The request's span
//! adds its id, method and path.

use actix_web::HttpRequest;
use actix_web::http::header;
use taskpulse_domain::Bearer;
use taskpulse_domain::user::UserId;

use crate::client::client_of;

/// Logs a 401 answered to a request that carried an access token.
pub fn token_refused(req: &HttpRequest) {
    if !req.headers().contains_key(header::AUTHORIZATION) {
        return;
    }
    let client = client_of(req);
    tracing::warn!(
        target: "security",
        event = "token_refused",
        ip = client.ip.as_deref(),
        user_agent = client.user_agent.as_deref(),
        "security event"
    );
}

/// Logs a request of `bearer` for the data of `owner`, another user.
pub fn cross_user_attempt(req: &HttpRequest, bearer: &Bearer, owner: UserId) {
    let client = client_of(req);
    tracing::warn!(
        target: "security",
        event = "cross_user_attempt",
        user_id = %bearer.user_id,
        session_id = bearer.session_id().map(|id| id.to_string()),
        addressed_user_id = %owner,
        ip = client.ip.as_deref(),
        user_agent = client.user_agent.as_deref(),
        "security event"
    );
}
