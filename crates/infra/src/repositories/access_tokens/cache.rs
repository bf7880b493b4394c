//! [`CachedAccessTokens`]: an [`AccessTokenStore`] around another that
//! remembers what `find` answered, so that a request with a personal access
//! token does not look its token up by hash each time (issue #24).
//!
//! It remembers only what never changes while the token exists: its id,
//! user, scopes, token version and expiry. Revocation, a password change
//! and the account's deletion are checked by the database within each
//! statement the request runs (the bearer names the token, see
//! `repositories::live`), so nothing here needs invalidating, on this
//! replica or any other. `last_used_at` is answered as this process last
//! read or wrote it, so each process touches a token at most once a
//! minute; the touch itself stays conditional.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hashlink::LruCache;
use taskpulse_domain::Result;
use taskpulse_domain::access_token::{
    AccessToken, AccessTokenId, AccessTokenStore, NewAccessToken, StoredAccessToken,
};
use taskpulse_domain::session::TokenHash;
use taskpulse_domain::user::UserId;

/// How many tokens a store remembers by default (a few hundred bytes each).
pub const REMEMBERED_TOKENS: usize = 10_000;

/// How long a token is remembered by default after it was looked up.
pub const REMEMBER_FOR: Duration = Duration::from_secs(10 * 60);

/// A token as `find` answered it, and when.
#[derive(Debug, Clone)]
struct Remembered {
    token: StoredAccessToken,
    found_at: Instant,
}

/// What a [`CachedAccessTokens`] remembers, under one lock.
#[derive(Debug)]
struct Memory {
    /// Tokens found, by the hash of their secret.
    found: LruCache<TokenHash, Remembered>,
    /// When this process last wrote each token's `last_used_at`.
    touched: LruCache<AccessTokenId, DateTime<Utc>>,
}

/// [`AccessTokenStore`] that answers `find` from memory for a while (at
/// most `capacity` tokens, each for `ttl`) and passes everything else on to
/// `inner`. Wire it around the real store in `startup.rs`.
#[derive(Debug)]
pub struct CachedAccessTokens<S> {
    inner: S,
    memory: Mutex<Memory>,
    ttl: Duration,
}

impl<S> CachedAccessTokens<S> {
    /// Remembers up to `capacity` tokens of `inner`, each for `ttl` after
    /// it was looked up.
    pub fn new(inner: S, capacity: usize, ttl: Duration) -> Self {
        Self {
            inner,
            memory: Mutex::new(Memory {
                found: LruCache::new(capacity),
                touched: LruCache::new(capacity),
            }),
            ttl,
        }
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The remembered token of `hash`, if it is fresh, with the latest
    /// `last_used_at` this process knows.
    fn recall(&self, hash: &TokenHash) -> Option<StoredAccessToken> {
        let mut memory = self.memory();
        let remembered = memory.found.get(hash)?;
        if remembered.found_at.elapsed() >= self.ttl {
            memory.found.remove(hash);
            return None;
        }
        let mut token = remembered.token.clone();
        if let Some(&touched) = memory.touched.peek(&token.id) {
            token.last_used_at = token.last_used_at.max(Some(touched));
        }
        Some(token)
    }
}

#[async_trait]
impl<S: AccessTokenStore> AccessTokenStore for CachedAccessTokens<S> {
    async fn create(
        &self,
        token: &NewAccessToken,
        max_live: usize,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.inner.create(token, max_live, now).await
    }

    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<AccessToken>> {
        self.inner.list(user, now).await
    }

    async fn revoke(&self, user: UserId, id: AccessTokenId, now: DateTime<Utc>) -> Result<bool> {
        self.inner.revoke(user, id, now).await
    }

    async fn find(&self, hash: &TokenHash) -> Result<Option<StoredAccessToken>> {
        if let Some(token) = self.recall(hash) {
            return Ok(Some(token));
        }
        let found = self.inner.find(hash).await?;
        if let Some(token) = &found {
            let remembered = Remembered {
                token: token.clone(),
                found_at: Instant::now(),
            };
            self.memory().found.insert(hash.clone(), remembered);
        }
        Ok(found)
    }

    async fn touch(
        &self,
        id: AccessTokenId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.inner.touch(id, since, now).await?;
        self.memory().touched.insert(id, now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use taskpulse_domain::access_token::Scopes;

    use super::*;

    /// A store with one token, counting the lookups and touches it gets.
    #[derive(Debug)]
    struct OneToken {
        token: StoredAccessToken,
        finds: AtomicUsize,
        touches: AtomicUsize,
    }

    impl OneToken {
        fn new() -> Self {
            Self {
                token: StoredAccessToken {
                    id: AccessTokenId::new_random(),
                    user_id: UserId::new_random(),
                    scopes: Scopes::parse(&["tasks:read"]).expect("valid"),
                    token_version: 2,
                    expires_at: None,
                    last_used_at: None,
                },
                finds: AtomicUsize::new(0),
                touches: AtomicUsize::new(0),
            }
        }
    }

    fn hash(secret: &str) -> TokenHash {
        TokenHash::new(format!("sha256:{secret}"))
    }

    #[async_trait]
    impl AccessTokenStore for OneToken {
        async fn create(&self, _: &NewAccessToken, _: usize, _: DateTime<Utc>) -> Result<()> {
            Ok(())
        }

        async fn list(&self, _: UserId, _: DateTime<Utc>) -> Result<Vec<AccessToken>> {
            Ok(Vec::new())
        }

        async fn revoke(&self, _: UserId, _: AccessTokenId, _: DateTime<Utc>) -> Result<bool> {
            Ok(true)
        }

        async fn find(&self, found: &TokenHash) -> Result<Option<StoredAccessToken>> {
            self.finds.fetch_add(1, Ordering::SeqCst);
            Ok((*found == hash("known")).then(|| self.token.clone()))
        }

        async fn touch(&self, _: AccessTokenId, _: DateTime<Utc>, _: DateTime<Utc>) -> Result<()> {
            self.touches.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    async fn found(
        store: &CachedAccessTokens<OneToken>,
        secret: &str,
    ) -> Option<StoredAccessToken> {
        store.find(&hash(secret)).await.expect("answered")
    }

    #[tokio::test]
    async fn a_found_token_is_looked_up_once_and_an_unknown_one_each_time() {
        let store = CachedAccessTokens::new(OneToken::new(), 10, REMEMBER_FOR);

        let first = found(&store, "known").await;
        let again = found(&store, "known").await;
        for _ in 0..2 {
            assert_eq!(found(&store, "unknown").await, None);
        }

        assert_eq!(first, Some(store.inner.token.clone()));
        assert_eq!(again, first);
        assert_eq!(store.inner.finds.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_token_is_looked_up_again_once_its_time_is_up() {
        let store = CachedAccessTokens::new(OneToken::new(), 10, Duration::ZERO);

        found(&store, "known").await;
        found(&store, "known").await;

        assert_eq!(store.inner.finds.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_least_recently_used_token_is_forgotten_beyond_the_capacity() {
        let store = CachedAccessTokens::new(OneToken::new(), 1, REMEMBER_FOR);
        found(&store, "known").await;
        store.memory().found.insert(
            hash("other"),
            Remembered {
                token: store.inner.token.clone(),
                found_at: Instant::now(),
            },
        );

        found(&store, "known").await;

        assert_eq!(store.memory().found.len(), 1);
        assert_eq!(store.inner.finds.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_touch_is_passed_on_and_answered_as_the_last_use() {
        let store = CachedAccessTokens::new(OneToken::new(), 10, REMEMBER_FOR);
        let id = store.inner.token.id;
        found(&store, "known").await;
        let now = Utc::now();

        store
            .touch(id, now - chrono::Duration::minutes(1), now)
            .await
            .expect("touched");
        let remembered = found(&store, "known").await.expect("found");

        assert_eq!(store.inner.touches.load(Ordering::SeqCst), 1);
        assert_eq!(remembered.last_used_at, Some(now));
        assert_eq!(store.inner.finds.load(Ordering::SeqCst), 1);
    }
}
