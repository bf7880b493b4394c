//! Idempotent requests: a client's `Idempotency-Key` makes a create happen
//! at most once per user and key within a time window; repeats replay the
//! first answer.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use crate::ports::Clock;
use crate::user::UserId;

/// A client's idempotency key: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// A key that is empty, too long, or not visible ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to 255 visible ASCII characters")]
pub struct IdempotencyKeyError;

impl IdempotencyKey {
    /// Longest key, in characters.
    pub const MAX_CHARS: usize = 255;

    /// Checks a key.
    ///
    /// # Errors
    /// [`IdempotencyKeyError`] unless 1–255 visible ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        if (1..=Self::MAX_CHARS).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(IdempotencyKeyError)
        }
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A finished answer, kept to be replayed as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// Status code.
    pub status: u16,
    /// Headers to repeat (name, value).
    pub headers: Vec<(String, String)>,
    /// The body's bytes.
    pub body: Vec<u8>,
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The key was free (or expired, or its lease ran out): the caller runs
    /// the request and then completes or releases the key.
    Started,
    /// A finished request with the same fingerprint: its answer.
    Replay(StoredResponse),
    /// A request with the same fingerprint is still running.
    InProgress,
    /// The key was used with another fingerprint.
    Mismatch,
}

/// Storage of idempotency keys, unique per (owner, key).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Atomically claims (`owner`, `key`) for a request with `fingerprint`.
    /// A key created before `expired_before`, or still unfinished and
    /// created before `abandoned_before`, is replaced. Two concurrent claims
    /// of a free key MUST NOT both get [`Claim::Started`] (use a unique
    /// constraint, not a read-then-write).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn claim(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Claim>;

    /// Stores the answer of a claimed key.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn complete(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<()>;

    /// Frees a claimed key whose request failed.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn release(&self, owner: UserId, key: &IdempotencyKey) -> Result<()>;

    /// Deletes every key created before `before`; returns how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// The idempotency rules.
pub struct IdempotencyService {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    window: Duration,
    lease: Duration,
}

impl std::fmt::Debug for IdempotencyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyService")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl IdempotencyService {
    /// Keys live for `window` (24 hours in the contract). A request still
    /// unfinished after `lease` is taken to have died with its server, and
    /// its key may be claimed again.
    pub fn new(
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        window: Duration,
        lease: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            window,
            lease,
        }
    }

    /// Runs `work` at most once for (`owner`, `key`) within the window.
    /// `fingerprint` identifies the request's content: a repeat with the
    /// same one replays the stored answer.
    ///
    /// A failed `work` stores nothing, so the client may retry.
    ///
    /// # Errors
    /// [`Error::IdempotencyKeyReused`] for the same key with another
    /// fingerprint; [`Error::IdempotencyInProgress`] while the first request
    /// runs; whatever `work` fails with.
    pub async fn run<F>(
        &self,
        owner: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
        work: F,
    ) -> Result<StoredResponse>
    where
        F: Future<Output = Result<StoredResponse>> + Send,
    {
        let now = self.clock.now();
        let claim = self
            .store
            .claim(
                owner,
                key,
                fingerprint,
                now,
                now - self.window,
                now - self.lease,
            )
            .await?;
        match claim {
            Claim::Replay(response) => Ok(response),
            Claim::InProgress => Err(Error::IdempotencyInProgress),
            Claim::Mismatch => Err(Error::IdempotencyKeyReused),
            Claim::Started => match work.await {
                Ok(response) => {
                    self.store.complete(owner, key, &response).await?;
                    Ok(response)
                }
                Err(err) => {
                    // Best effort: an unreleased claim expires with its lease.
                    let _ = self.store.release(owner, key).await;
                    Err(err)
                }
            },
        }
    }

    /// Deletes keys older than the window; returns how many.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn purge_expired(&self) -> Result<u64> {
        self.store
            .purge_expired(self.clock.now() - self.window)
            .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mockall::predicate::{always, eq};

    use super::*;
    use crate::ports::MockClock;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .expect("valid time")
    }

    fn service(store: MockIdempotencyStore) -> IdempotencyService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        IdempotencyService::new(
            Arc::new(store),
            Arc::new(clock),
            Duration::hours(24),
            Duration::seconds(30),
        )
    }

    fn response(status: u16) -> StoredResponse {
        StoredResponse {
            status,
            headers: vec![],
            body: b"{}".to_vec(),
        }
    }

    fn key() -> IdempotencyKey {
        IdempotencyKey::parse("k-1").expect("valid")
    }

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(key().as_str(), "k-1");
        for bad in [
            String::new(),
            "k".repeat(256),
            "a b".into(),
            "clé".into(),
            "a\tb".into(),
        ] {
            assert_eq!(
                IdempotencyKey::parse(&bad),
                Err(IdempotencyKeyError),
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_first_request_runs_and_its_answer_is_stored() {
        let owner = UserId::new_random();
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .with(
                eq(owner),
                eq(key()),
                eq("fp"),
                eq(at()),
                eq(at() - Duration::hours(24)),
                eq(at() - Duration::seconds(30)),
            )
            .returning(|_, _, _, _, _, _| Ok(Claim::Started));
        store
            .expect_complete()
            .with(eq(owner), eq(key()), eq(response(201)))
            .times(1)
            .returning(|_, _, _| Ok(()));

        let got = service(store)
            .run(owner, &key(), "fp", async { Ok(response(201)) })
            .await;

        assert_eq!(got.expect("ran"), response(201));
    }

    #[tokio::test]
    async fn a_repeat_replays_without_running() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .returning(|_, _, _, _, _, _| Ok(Claim::Replay(response(201))));
        store.expect_complete().never();

        let got = service(store)
            .run(UserId::new_random(), &key(), "fp", async {
                panic!("must not run twice")
            })
            .await;

        assert_eq!(got.expect("replayed"), response(201));
    }

    #[tokio::test]
    async fn another_body_under_the_same_key_is_refused() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .returning(|_, _, _, _, _, _| Ok(Claim::Mismatch));

        let got = service(store)
            .run(UserId::new_random(), &key(), "other", async {
                Ok(response(201))
            })
            .await;

        assert!(matches!(got, Err(Error::IdempotencyKeyReused)));
    }

    #[tokio::test]
    async fn a_repeat_while_the_first_runs_is_refused() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .returning(|_, _, _, _, _, _| Ok(Claim::InProgress));

        let got = service(store)
            .run(UserId::new_random(), &key(), "fp", async {
                Ok(response(201))
            })
            .await;

        assert!(matches!(got, Err(Error::IdempotencyInProgress)));
    }

    #[tokio::test]
    async fn a_failed_request_releases_its_key() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_claim()
            .returning(|_, _, _, _, _, _| Ok(Claim::Started));
        store.expect_complete().never();
        store
            .expect_release()
            .with(always(), eq(key()))
            .times(1)
            .returning(|_, _| Ok(()));

        let got = service(store)
            .run(UserId::new_random(), &key(), "fp", async {
                Err(Error::NotFound)
            })
            .await;

        assert!(matches!(got, Err(Error::NotFound)));
    }

    #[tokio::test]
    async fn keys_older_than_the_window_are_purged_and_counted() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_purge_expired()
            .with(eq(at() - Duration::hours(24)))
            .times(1)
            .returning(|_| Ok(7));

        let purged = service(store).purge_expired().await;

        assert_eq!(purged.ok(), Some(7));
    }

    #[test]
    fn the_service_shows_its_window_in_debug_output() {
        let shown = format!("{:?}", service(MockIdempotencyStore::new()));

        assert!(
            shown.starts_with("IdempotencyService { window: "),
            "{shown}"
        );
    }
}
