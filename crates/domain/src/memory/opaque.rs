//! Refresh tokens from random UUIDs, stored as SHA-256 digests.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::hex;
use crate::error::Result;
use crate::ports::OpaqueTokens;
use crate::session::TokenHash;

/// [`OpaqueTokens`]: two random (v4) UUIDs, 244 random bits, as 64 hex
/// digits; stored as the token's SHA-256 digest in hex.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidTokens;

impl OpaqueTokens for UuidTokens {
    fn generate(&self) -> Result<(String, TokenHash)> {
        let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let hash = self.hash(&token);
        Ok((token, hash))
    }

    fn hash(&self, token: &str) -> TokenHash {
        TokenHash::new(hex::encode(&Sha256::digest(token.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed_deterministically() {
        let (first, first_hash) = UuidTokens.generate().expect("random");
        let (second, second_hash) = UuidTokens.generate().expect("random");

        assert_ne!(first, second);
        assert_ne!(first_hash, second_hash);
        assert_eq!(first.len(), 64);
        assert_eq!(UuidTokens.hash(&first), first_hash);
        assert_ne!(first_hash.as_str(), first);
    }
}
