//! Password hashing: bcrypt over a SHA-256 pre-hash, on hashing threads of
//! its own.
//!
//! A stored hash names its scheme. `$sha256-bcrypt$<bcrypt hash>` is
//! TaskPulse's: the password's SHA-256 digest (base64) is what bcrypt sees,
//! so every character of a long password counts despite bcrypt's 72-byte
//! limit. A plain `$2a$`/`$2b$`/`$2y$` hash was written by the original
//! backends; it still verifies and asks to be re-hashed.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use taskpulse_domain::ports::{PasswordCheck, PasswordHasher};
use taskpulse_domain::user::PasswordHash;
use taskpulse_domain::{Error, Result};

use crate::hash_pool::HashPool;

const SCHEME: &str = "$sha256-bcrypt$";

/// [`PasswordHasher`] with bcrypt at a fixed cost, on low-priority threads
/// of its own (one per core).
#[derive(Debug, Clone)]
pub struct BcryptHasher {
    cost: u32,
    dummy: PasswordHash,
    pool: HashPool,
}

/// A bcrypt cost outside 4–31.
#[derive(Debug, thiserror::Error)]
#[error("bcrypt cost must be from 4 to 31")]
pub struct InvalidCost;

impl BcryptHasher {
    /// A hasher at `cost` (4–31). Makes the dummy hash used for unknown
    /// emails, which takes one hash's time.
    ///
    /// # Errors
    /// [`InvalidCost`] outside 4–31.
    pub fn new(cost: u32) -> Result<Self, InvalidCost> {
        let random = uuid::Uuid::new_v4().to_string();
        let dummy = hash_with(&random, cost).map_err(|_| InvalidCost)?;
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            cost,
            dummy,
            pool: HashPool::start(threads),
        })
    }
}

fn prehash(password: &str) -> String {
    STANDARD.encode(Sha256::digest(password.as_bytes()))
}

fn hash_with(password: &str, cost: u32) -> Result<PasswordHash, bcrypt::BcryptError> {
    let inner = bcrypt::hash(prehash(password), cost)?;
    Ok(PasswordHash::new(format!("{SCHEME}{inner}")))
}

fn check(password: &str, stored: &str, cost: u32) -> PasswordCheck {
    let (candidate, inner, legacy) = match stored.strip_prefix(SCHEME) {
        Some(inner) => (prehash(password), inner, false),
        None if stored.starts_with("$2") => (password.to_owned(), stored, true),
        None => return PasswordCheck::Mismatch,
    };
    match bcrypt::verify(candidate, inner) {
        Ok(true) => {
            let stored_cost = inner
                .parse::<bcrypt::HashParts>()
                .map(|p| p.get_cost())
                .ok();
            PasswordCheck::Match {
                needs_rehash: legacy || stored_cost != Some(cost),
            }
        }
        Ok(false) | Err(_) => PasswordCheck::Mismatch,
    }
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &str) -> Result<PasswordHash> {
        let (password, cost) = (password.to_owned(), self.cost);
        self.pool
            .run(move || hash_with(&password, cost))
            .await?
            .map_err(Error::internal)
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<PasswordCheck> {
        let (password, stored, cost) = (password.to_owned(), hash.as_str().to_owned(), self.cost);
        self.pool.run(move || check(&password, &stored, cost)).await
    }

    fn dummy_hash(&self) -> PasswordHash {
        self.dummy.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = BcryptHasher::new(4).expect("valid cost");
        let hash = hasher.hash("correct horse battery").await.expect("hashed");

        assert!(hash.as_str().starts_with(SCHEME));
        assert_eq!(
            hasher
                .verify("correct horse battery", &hash)
                .await
                .expect("checked"),
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher
                .verify("correct horse batterY", &hash)
                .await
                .expect("checked"),
            PasswordCheck::Mismatch
        );
    }

    #[tokio::test]
    async fn characters_beyond_72_bytes_count() {
        let hasher = BcryptHasher::new(4).expect("valid cost");
        let long = "a".repeat(100);
        let hash = hasher.hash(&long).await.expect("hashed");

        let other = format!("{}b", "a".repeat(99));
        assert_eq!(
            hasher.verify(&other, &hash).await.expect("checked"),
            PasswordCheck::Mismatch
        );
    }

    #[tokio::test]
    async fn a_plain_bcrypt_hash_of_the_original_backends_verifies_and_asks_for_an_upgrade() {
        let hasher = BcryptHasher::new(4).expect("valid cost");
        let legacy = PasswordHash::new(bcrypt::hash("old-password", 4).expect("hashed"));

        assert_eq!(
            hasher
                .verify("old-password", &legacy)
                .await
                .expect("checked"),
            PasswordCheck::Match { needs_rehash: true }
        );
        assert_eq!(
            hasher
                .verify("other-password", &legacy)
                .await
                .expect("checked"),
            PasswordCheck::Mismatch
        );
    }

    #[tokio::test]
    async fn a_hash_of_another_cost_asks_for_an_upgrade() {
        let old = BcryptHasher::new(4).expect("valid cost");
        let hash = old.hash("some password").await.expect("hashed");
        let current = BcryptHasher::new(5).expect("valid cost");

        assert_eq!(
            current
                .verify("some password", &hash)
                .await
                .expect("checked"),
            PasswordCheck::Match { needs_rehash: true }
        );
    }

    #[tokio::test]
    async fn unknown_formats_never_match() {
        let hasher = BcryptHasher::new(4).expect("valid cost");
        for stored in ["", "plaintext", "$sha256-bcrypt$garbage", "$2b$garbage"] {
            let check = hasher
                .verify("plaintext", &PasswordHash::new(stored.into()))
                .await
                .expect("checked");
            assert_eq!(check, PasswordCheck::Mismatch, "{stored}");
        }
    }

    #[test]
    fn costs_outside_4_to_31_are_refused() {
        assert!(BcryptHasher::new(3).is_err());
    }
}
