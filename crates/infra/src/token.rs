//! Access tokens as HS256 JWTs.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use hashlink::LruCache;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use taskpulse_domain::error::TokenRejection;
use taskpulse_domain::ports::{AccessClaims, TokenCodec};
use taskpulse_domain::session::SessionId;
use taskpulse_domain::user::UserId;
use taskpulse_domain::{Error, Result};
use uuid::Uuid;

/// [`TokenCodec`] signing HS256 JWTs with a shared secret. Tokens must carry
/// this service's `iss` and `aud`.
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    /// The claims of the tokens that decoded most recently, by the token's
    /// exact text: a client sends the same token with every request, and
    /// checking its signature, base64 and JSON again would give the same
    /// claims. Only tokens that passed every check are kept, so a token is
    /// answered from here only if it is byte for byte one that passed.
    decoded: Mutex<LruCache<Box<str>, AccessClaims>>,
}

/// How many decoded tokens a codec keeps (a few hundred bytes each).
const DECODED_TOKENS: usize = 4096;

impl std::fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtCodec")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    iss: String,
    aud: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(default)]
    ver: i64,
}

impl JwtCodec {
    /// A codec for `secret`, issuer and audience.
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.required_spec_claims = ["exp", "sub", "iss", "aud"]
            .iter()
            .map(ToString::to_string)
            .collect::<HashSet<_>>();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            decoded: Mutex::new(LruCache::new(DECODED_TOKENS)),
        }
    }

    fn decoded(&self) -> std::sync::MutexGuard<'_, LruCache<Box<str>, AccessClaims>> {
        self.decoded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks and decodes `token` in full.
    fn check(&self, token: &str) -> Result<AccessClaims, TokenRejection> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenRejection::Invalid)?
            .claims;
        let user_id = claims
            .sub
            .parse::<UserId>()
            .map_err(|_| TokenRejection::Invalid)?;
        let parse_uuid = |s: Option<String>| s.map(|s| Uuid::parse_str(&s)).transpose();
        let session_id = parse_uuid(claims.sid).map_err(|_| TokenRejection::Invalid)?;
        let token_id = parse_uuid(claims.jti)
            .map_err(|_| TokenRejection::Invalid)?
            .unwrap_or_default();
        Ok(AccessClaims {
            user_id,
            issued_at: claims.iat.map(timestamp).transpose()?,
            expires_at: timestamp(claims.exp)?,
            not_before: claims.nbf.map(timestamp).transpose()?,
            token_id,
            session_id: session_id.map(SessionId::from),
            token_version: claims.ver,
        })
    }
}

fn timestamp(secs: i64) -> Result<DateTime<Utc>, TokenRejection> {
    DateTime::from_timestamp(secs, 0).ok_or(TokenRejection::Invalid)
}

impl TokenCodec for JwtCodec {
    fn encode(&self, claims: &AccessClaims) -> Result<String> {
        let claims = Claims {
            sub: claims.user_id.to_string(),
            exp: claims.expires_at.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: claims.issued_at.map(|at| at.timestamp()),
            nbf: claims.not_before.map(|at| at.timestamp()),
            jti: Some(claims.token_id.to_string()),
            sid: claims.session_id.map(|s| s.to_string()),
            ver: claims.token_version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(Error::internal)
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, TokenRejection> {
        if let Some(claims) = self.decoded().get(token) {
            return Ok(claims.clone());
        }
        let claims = self.check(token)?;
        self.decoded().insert(token.into(), claims.clone());
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims() -> AccessClaims {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("valid");
        AccessClaims {
            user_id: UserId::new_random(),
            issued_at: Some(now),
            not_before: Some(now - Duration::minutes(1)),
            expires_at: now + Duration::hours(1),
            token_id: Uuid::new_v4(),
            session_id: Some(SessionId::new_random()),
            token_version: 2,
        }
    }

    #[test]
    fn a_token_round_trips() {
        let codec = JwtCodec::new(SECRET, "taskpulse", "taskpulse");
        let claims = claims();

        let token = codec.encode(&claims).expect("signed");

        assert_eq!(codec.decode(&token), Ok(claims));
    }

    #[test]
    fn another_secret_issuer_or_audience_is_refused() {
        let token = JwtCodec::new(SECRET, "taskpulse", "taskpulse")
            .encode(&claims())
            .expect("signed");
        for codec in [
            JwtCodec::new(
                b"another secret of thirty-two bytes!",
                "taskpulse",
                "taskpulse",
            ),
            JwtCodec::new(SECRET, "someone-else", "taskpulse"),
            JwtCodec::new(SECRET, "taskpulse", "another-app"),
        ] {
            assert_eq!(
                codec.decode(&token),
                Err(TokenRejection::Invalid),
                "{codec:?}"
            );
        }
    }

    #[test]
    fn a_token_decoded_before_answers_only_for_its_exact_text() {
        let codec = JwtCodec::new(SECRET, "taskpulse", "taskpulse");
        let claims = claims();
        let token = codec.encode(&claims).expect("signed");
        assert_eq!(codec.decode(&token), Ok(claims.clone()));

        let (signed, signature) = token.rsplit_once('.').expect("signature");
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        let forged = format!("{signed}.{flipped}{}", &signature[1..]);
        let padded = format!("{token}=");

        assert_eq!(codec.decode(&token), Ok(claims));
        assert_eq!(codec.decode(&forged), Err(TokenRejection::Invalid));
        assert_eq!(codec.decode(&padded), Err(TokenRejection::Invalid));
    }

    #[test]
    fn alg_none_is_refused() {
        let codec = JwtCodec::new(SECRET, "taskpulse", "taskpulse");
        let signed = codec.encode(&claims()).expect("signed");
        let payload = signed.split('.').nth(1).expect("payload");
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");

        assert_eq!(codec.decode(&unsigned), Err(TokenRejection::Invalid));
    }
}
