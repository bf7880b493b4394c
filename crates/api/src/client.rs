//! Who is calling: the client's IP address (believing forwarding headers
//! only from trusted proxies), user agent and request id.

use std::net::IpAddr;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpMessage, HttpRequest, web};
use taskpulse_domain::session::ClientInfo;

use crate::middleware::RequestId;

/// Peers whose `X-Forwarded-For` and `Forwarded` headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

impl TrustedProxies {
    /// The client's address: the peer's, or, when the peer is a trusted
    /// proxy, the nearest address in the forwarding chain that is not one.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.0.contains(&peer) {
            return Some(peer);
        }
        let chain = forwarded_chain(headers);
        chain
            .iter()
            .rev()
            .find(|ip| !self.0.contains(ip))
            .or(chain.first())
            .copied()
            .or(Some(peer))
    }

    /// [`TrustedProxies::client_ip`] of a service request.
    pub fn client_ip_of(&self, req: &ServiceRequest) -> Option<IpAddr> {
        self.client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
    }
}

/// The addresses of `X-Forwarded-For`, or else of `Forwarded`'s `for=`,
/// in order (client first).
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let xff: Vec<IpAddr> = headers
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all(header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
        .filter_map(|(_, value)| parse_forwarded_node(value.trim()))
        .collect()
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"` or `"192.0.2.1:80"`.
fn parse_forwarded_node(value: &str) -> Option<IpAddr> {
    let value = value.trim_matches('"');
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    value
        .parse()
        .ok()
        .or_else(|| value.rsplit_once(':')?.0.parse().ok())
}

/// The session- and log-recording view of a request, with the app's
/// trusted proxies.
pub fn client_of(req: &HttpRequest) -> ClientInfo {
    let trusted = req
        .app_data::<web::Data<TrustedProxies>>()
        .map(|t| t.get_ref().clone())
        .unwrap_or_default();
    client_info(req, &trusted)
}

/// The session- and log-recording view of a request.
pub fn client_info(req: &HttpRequest, trusted: &TrustedProxies) -> ClientInfo {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(255).collect());
    let ip = trusted
        .client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
        .map(|ip| ip.to_string());
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    ClientInfo {
        user_agent,
        ip,
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarding_headers_of_untrusted_peers_are_ignored() {
        let trusted = TrustedProxies(vec![]);
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4")]);

        assert_eq!(
            trusted.client_ip(Some(ip("10.0.0.9")), &spoofed),
            Some(ip("10.0.0.9"))
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_nearest_untrusted_address() {
        let trusted = TrustedProxies(vec![ip("10.0.0.1"), ip("10.0.0.2")]);
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4, 10.0.0.2")]);

        assert_eq!(
            trusted.client_ip(Some(ip("10.0.0.1")), &chain),
            Some(ip("1.2.3.4"))
        );
    }

    #[test]
    fn the_forwarded_header_is_read_too() {
        let trusted = TrustedProxies(vec![ip("10.0.0.1")]);
        let forwarded = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https, for=192.0.2.60",
        )]);

        assert_eq!(
            trusted.client_ip(Some(ip("10.0.0.1")), &forwarded),
            Some(ip("192.0.2.60"))
        );
    }
}
