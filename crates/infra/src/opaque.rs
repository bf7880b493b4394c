//! Refresh tokens: 256 random bits, base64url; stored as SHA-256 hex.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use taskpulse_domain::ports::OpaqueTokens;
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::{Error, Result};

/// [`OpaqueTokens`] from the operating system's random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomTokens;

impl OpaqueTokens for RandomTokens {
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
        let (first, first_hash) = RandomTokens.generate().expect("random");
        let (second, _) = RandomTokens.generate().expect("random");

        assert_ne!(first, second);
        assert_eq!(first.len(), 43, "256 bits in base64url");
        assert_eq!(RandomTokens.hash(&first), first_hash);
        assert_eq!(first_hash.as_str().len(), 64);
        assert!(!first_hash.as_str().contains(&first));
    }
}
