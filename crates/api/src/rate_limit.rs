//! Per-client-IP rate limits on the endpoints that guess or create
//! credentials (login, register, refresh, forgot-password), counted in the
//! database so that every replica shares one budget.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use taskpulse_domain::rate_limit::{Budget, Verdict};

use crate::client::TrustedProxies;
use crate::error::ApiError;
use crate::state::AppState;

/// The budget of each client IP, shared by every limited route.
#[derive(Debug, Clone, Copy)]
pub struct ClientBudget(pub Budget);

impl ClientBudget {
    /// `per_minute` requests a minute.
    pub fn per_minute(per_minute: u32) -> Self {
        Self(Budget {
            limit: per_minute.max(1),
            window: chrono::Duration::minutes(1),
        })
    }
}

/// Counts the request against its client's budget: over it, 429
/// `RATE_LIMITED` with `Retry-After`, and the handler is not called. The
/// refusal is an answer, not an error, so that the envelope around it
/// gives it the contract's body and headers.
pub async fn limited(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (Some(state), Some(trusted), Some(budget)) = (
        req.app_data::<web::Data<AppState>>(),
        req.app_data::<web::Data<TrustedProxies>>(),
        req.app_data::<web::Data<ClientBudget>>(),
    ) else {
        return Ok(refuse(req, ApiError::Internal));
    };
    let ip = trusted
        .client_ip_of(&req)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    match state.limiter.hit(&client_key(ip), budget.0).await {
        Ok(Verdict::Allowed) => Ok(next.call(req).await?.map_into_left_body()),
        Ok(Verdict::Exceeded { retry_after_secs }) => {
            Ok(refuse(req, ApiError::RateLimited(retry_after_secs)))
        }
        Err(err) => Ok(refuse(req, ApiError::from(err))),
    }
}

/// The budget's key of a client address: the address itself for IPv4,
/// its /64 network for IPv6, which one subscriber usually holds whole (a
/// client could otherwise take a fresh budget with each of its addresses).
fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let network = u128::from(v6) & !u128::from(u64::MAX);
                format!("ip:{}/64", Ipv6Addr::from(network))
            }
        },
    }
}

/// Answers `req` with `error`, without calling the handler.
fn refuse<B>(req: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    req.into_response(error.error_response())
        .map_into_right_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64_network_and_ipv4_by_its_address() {
        let key = |ip: &str| client_key(ip.parse().expect("an address"));

        assert_eq!(key("192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }
}
