//! Per-client-IP rate limits (actix-governor) on the endpoints that guess
//! or create credentials: login, register, refresh.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder};

use crate::client::TrustedProxies;
use crate::error::ApiError;

/// Keys requests by client IP (see [`TrustedProxies`]).
#[derive(Debug, Clone)]
pub struct ClientIpKey(TrustedProxies);

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, ApiError> {
        Ok(self
            .0
            .client_ip_of(req)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        HttpResponse::from_error(ApiError::RateLimited(secs.max(1)))
    }
}

/// One limiter shared by every worker and every limited route.
pub type RateLimit = GovernorConfig<ClientIpKey, NoOpMiddleware<QuantaInstant>>;

/// `per_minute` requests a minute per client IP, in bursts of up to as many.
pub fn per_minute(per_minute: u32, trusted: TrustedProxies) -> Option<RateLimit> {
    let per_minute = per_minute.max(1);
    GovernorConfigBuilder::default()
        .period(Duration::from_millis(60_000 / u64::from(per_minute)).max(Duration::from_millis(1)))
        .burst_size(per_minute)
        .key_extractor(ClientIpKey(trusted))
        .finish()
}

/// The middleware for one route.
pub fn limited(config: &RateLimit) -> Governor<ClientIpKey, NoOpMiddleware<QuantaInstant>> {
    Governor::new(config)
}
