//! Refresh tokens: 256 random bits, base64url; stored as an HMAC-SHA256
//! of the token keyed with the server secret, so that rotating the secret
//! ends every session. Personal access tokens: the same randomness, stored
//! as a plain SHA-256, so that they survive a rotation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use taskpulse_domain::ports::OpaqueTokens;
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::{Error, Result};

/// [`OpaqueTokens`] from the operating system's random source.
#[derive(Clone)]
pub struct RandomTokens {
    key: Hmac<Sha256>,
}

impl std::fmt::Debug for RandomTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomTokens(<keyed>)")
    }
}

impl RandomTokens {
    /// Tokens whose stored hashes are keyed with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        let key = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
        Self { key }
    }
}

impl OpaqueTokens for RandomTokens {
    fn generate(&self) -> Result<(String, TokenHash)> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|err| Error::internal(err.to_string()))?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = self.hash(&token);
        Ok((token, hash))
    }

    fn hash(&self, token: &str) -> TokenHash {
        let mut mac = self.key.clone();
        mac.update(token.as_bytes());
        TokenHash::new(
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

/// [`OpaqueTokens`] for secrets that must outlive the server's secret
/// (personal access tokens): 256 random bits in base64url, stored as the
/// unkeyed SHA-256 of the token in hex.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Tokens;

impl OpaqueTokens for Sha256Tokens {
    fn generate(&self) -> Result<(String, TokenHash)> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|err| Error::internal(err.to_string()))?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = self.hash(&token);
        Ok((token, hash))
    }

    fn hash(&self, token: &str) -> TokenHash {
        TokenHash::new(
            Sha256::digest(token.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed_deterministically() {
        let tokens = RandomTokens::new(b"secret");
        let (first, first_hash) = tokens.generate().expect("random");
        let (second, _) = tokens.generate().expect("random");

        assert_ne!(first, second);
        assert_eq!(first.len(), 43, "256 bits in base64url");
        assert_eq!(tokens.hash(&first), first_hash);
        assert_eq!(first_hash.as_str().len(), 64);
    }

    #[test]
    fn sha256_tokens_are_256_random_bits_hashed_without_a_key() {
        let (token, hash) = Sha256Tokens.generate().expect("random");

        assert_eq!(token.len(), 43, "256 bits in base64url");
        assert_eq!(Sha256Tokens.hash(&token), hash);
        assert_eq!(
            Sha256Tokens.hash("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn another_secret_hashes_differently() {
        let (token, hash) = RandomTokens::new(b"old secret").generate().expect("random");

        assert_ne!(RandomTokens::new(b"new secret").hash(&token), hash);
    }
}
