//! A fast password hasher for tests and demonstrations.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::hex;
use crate::error::Result;
use crate::ports::{PasswordCheck, PasswordHasher};
use crate::user::PasswordHash;

const SCHEME: &str = "$test-sha256$";

/// [`PasswordHasher`] with one salted SHA-256 round.
///
/// **Not for production**: it is fast on purpose, so that tests do not
/// wait, which is exactly what makes it cheap to guess passwords from a
/// leaked hash. Real deployments use a slow hash (TaskPulse's server uses
/// bcrypt). Hashes read `$test-sha256$<salt>$<digest>`; any other format is
/// a mismatch, and nothing ever asks for a re-hash.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestPasswordHasher;

fn digest(salt: &str, password: &str) -> String {
    let mut sha = Sha256::new();
    sha.update(salt.as_bytes());
    sha.update(password.as_bytes());
    hex::encode(&sha.finalize())
}

fn hash_with_new_salt(password: &str) -> PasswordHash {
    let salt = Uuid::new_v4().simple().to_string();
    let digest = digest(&salt, password);
    PasswordHash::new(format!("{SCHEME}{salt}${digest}"))
}

#[async_trait]
impl PasswordHasher for TestPasswordHasher {
    async fn hash(&self, password: &str) -> Result<PasswordHash> {
        Ok(hash_with_new_salt(password))
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<PasswordCheck> {
        let matches = hash
            .as_str()
            .strip_prefix(SCHEME)
            .and_then(|rest| rest.split_once('$'))
            .is_some_and(|(salt, stored)| digest(salt, password) == stored);
        Ok(if matches {
            PasswordCheck::Match {
                needs_rehash: false,
            }
        } else {
            PasswordCheck::Mismatch
        })
    }

    fn dummy_hash(&self) -> PasswordHash {
        hash_with_new_salt(&Uuid::new_v4().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = TestPasswordHasher;
        let hash = hasher.hash("correct horse").await.expect("hashed");

        let right = hasher
            .verify("correct horse", &hash)
            .await
            .expect("checked");
        let wrong = hasher
            .verify("correct Horse", &hash)
            .await
            .expect("checked");

        assert_eq!(
            right,
            PasswordCheck::Match {
                needs_rehash: false
            }
        );
        assert_eq!(wrong, PasswordCheck::Mismatch);
    }

    #[tokio::test]
    async fn hashes_are_salted_and_other_formats_never_match() {
        let hasher = TestPasswordHasher;
        let first = hasher.hash("same").await.expect("hashed");
        let second = hasher.hash("same").await.expect("hashed");

        assert_ne!(first, second);
        for stored in ["", "same", "$2b$12$whatever", "$test-sha256$nosalt"] {
            let check = hasher
                .verify("same", &PasswordHash::new(stored.into()))
                .await
                .expect("checked");
            assert_eq!(check, PasswordCheck::Mismatch, "{stored}");
        }
    }
}
