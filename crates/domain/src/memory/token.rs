//! Access tokens signed with HMAC-SHA256, in a compact text form.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::hex;
use crate::error::{Error, Result, TokenRejection};
use crate::ports::{AccessClaims, TokenCodec};
use crate::session::SessionId;

const VERSION: &str = "tp1";

/// [`TokenCodec`] that signs the claims with HMAC-SHA256 under a secret.
///
/// A token reads `tp1:<user>:<iat>:<exp>:<jti>:<sid or ->:<version>.<hmac>`
/// (times as `seconds,nanoseconds`). It is not a JWT and carries no issuer
/// or audience: it is meant for programs that issue and check their own
/// tokens in one process. Every claim survives a round trip exactly.
#[derive(Clone)]
pub struct HmacCodec {
    secret: Vec<u8>,
}

impl std::fmt::Debug for HmacCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacCodec(<keyed>)")
    }
}

impl HmacCodec {
    /// A codec keyed with `secret` (use 32 random bytes or more).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, payload: &str) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).ok()?;
        mac.update(payload.as_bytes());
        Some(mac)
    }
}

fn time(at: DateTime<Utc>) -> String {
    format!("{},{}", at.timestamp(), at.timestamp_subsec_nanos())
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let (secs, nanos) = text.split_once(',')?;
    DateTime::from_timestamp(secs.parse().ok()?, nanos.parse().ok()?)
}

/// The claims of a payload whose signature has been checked.
fn parse_claims(payload: &str) -> Option<AccessClaims> {
    let fields: Vec<&str> = payload.split(':').collect();
    let [VERSION, user, iat, exp, jti, sid, ver] = fields[..] else {
        return None;
    };
    let session_id = match sid {
        "-" => None,
        sid => Some(sid.parse::<SessionId>().ok()?),
    };
    Some(AccessClaims {
        user_id: user.parse().ok()?,
        issued_at: match iat {
            "-" => None,
            iat => Some(parse_time(iat)?),
        },
        expires_at: parse_time(exp)?,
        not_before: None,
        token_id: Uuid::parse_str(jti).ok()?,
        session_id,
        token_version: ver.parse().ok()?,
    })
}

impl TokenCodec for HmacCodec {
    fn encode(&self, claims: &AccessClaims) -> Result<String> {
        let sid = claims
            .session_id
            .map_or_else(|| "-".to_owned(), |s| s.to_string());
        let payload = format!(
            "{VERSION}:{}:{}:{}:{}:{sid}:{}",
            claims.user_id,
            claims.issued_at.map_or_else(|| "-".to_owned(), time),
            time(claims.expires_at),
            claims.token_id,
            claims.token_version,
        );
        let mac = self
            .mac(&payload)
            .ok_or_else(|| Error::internal("HMAC refused the key"))?;
        let signature = hex::encode(&mac.finalize().into_bytes());
        Ok(format!("{payload}.{signature}"))
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, TokenRejection> {
        let (payload, signature) = token.rsplit_once('.').ok_or(TokenRejection::Invalid)?;
        let signature = hex::decode(signature).ok_or(TokenRejection::Invalid)?;
        self.mac(payload)
            .ok_or(TokenRejection::Invalid)?
            .verify_slice(&signature)
            .map_err(|_| TokenRejection::Invalid)?;
        parse_claims(payload).ok_or(TokenRejection::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::user::UserId;

    fn claims(session_id: Option<SessionId>) -> AccessClaims {
        let now = Utc::now();
        AccessClaims {
            user_id: UserId::new_random(),
            issued_at: Some(now),
            expires_at: now + Duration::hours(1),
            not_before: None,
            token_id: Uuid::new_v4(),
            session_id,
            token_version: 3,
        }
    }

    #[test]
    fn claims_round_trip_exactly() {
        let codec = HmacCodec::new(b"a secret of thirty-two bytes or so");
        for claims in [claims(Some(SessionId::new_random())), claims(None)] {
            let token = codec.encode(&claims).expect("signed");

            assert_eq!(codec.decode(&token), Ok(claims));
        }
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let codec = HmacCodec::new(b"one secret");
        let token = codec.encode(&claims(None)).expect("signed");
        let (payload, signature) = token.rsplit_once('.').expect("signed form");
        let raised = format!(
            "{}4",
            payload.strip_suffix('3').expect("version 3 comes last")
        );

        for forged in [
            format!("{raised}.{signature}"),
            format!("{payload}."),
            payload.to_owned(),
            String::new(),
        ] {
            assert_eq!(
                codec.decode(&forged),
                Err(TokenRejection::Invalid),
                "{forged}"
            );
        }
        assert_eq!(
            HmacCodec::new(b"another secret").decode(&token),
            Err(TokenRejection::Invalid)
        );
    }
}
