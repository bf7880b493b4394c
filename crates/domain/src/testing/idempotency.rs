//! The [`IdempotencyStore`](crate::idempotency::IdempotencyStore) contract.

use chrono::Duration;

use super::{Storage, at, join, user};
use crate::idempotency::Claim;
use crate::idempotency::{IdempotencyKey, StoredResponse};
use crate::user::UserId;

/// Keys live a day; an unfinished claim is abandoned after 30 seconds.
const WINDOW: Duration = Duration::hours(24);
const LEASE: Duration = Duration::seconds(30);

fn key(raw: &str) -> IdempotencyKey {
    IdempotencyKey::parse(raw).expect("a valid key")
}

fn response() -> StoredResponse {
    StoredResponse {
        status: 201,
        headers: vec![
            ("location".into(), "/api/v1/users/u/tasks/1".into()),
            ("etag".into(), "\"1\"".into()),
        ],
        body: br#"{"id":1}"#.to_vec(),
    }
}

/// Claims `key` for `owner` at `now` (seconds) with the suite's window and
/// lease.
async fn claim(storage: &Storage, owner: UserId, key: &str, fingerprint: &str, now: i64) -> Claim {
    let now = super::at(now);
    storage
        .idempotency
        .claim(
            owner,
            &self::key(key),
            fingerprint,
            now,
            now - WINDOW,
            now - LEASE,
        )
        .await
        .expect("claimed")
}

async fn complete(storage: &Storage, owner: UserId, key: &str) {
    storage
        .idempotency
        .complete(owner, &self::key(key), &response())
        .await
        .expect("completed");
}

/// A free key is `Started` once; while its request runs the same
/// fingerprint is `InProgress` and another one a `Mismatch`.
pub async fn a_free_key_is_claimed_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;

    let first = claim(storage, ada, "k-1", "body-a", 0).await;
    let repeat = claim(storage, ada, "k-1", "body-a", 1).await;
    let other = claim(storage, ada, "k-1", "body-b", 2).await;

    assert_eq!(first, Claim::Started);
    assert_eq!(repeat, Claim::InProgress);
    assert_eq!(other, Claim::Mismatch);
}

/// A completed key replays its stored answer (status, headers in order,
/// body) to the same fingerprint and refuses another one.
pub async fn a_finished_request_is_replayed(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    claim(storage, ada, "k-1", "body-a", 0).await;

    complete(storage, ada, "k-1").await;

    assert_eq!(
        claim(storage, ada, "k-1", "body-a", 1).await,
        Claim::Replay(response())
    );
    assert_eq!(
        claim(storage, ada, "k-1", "body-b", 2).await,
        Claim::Mismatch
    );
}

/// Keys are unique per owner: another user's claim of the same key is
/// their own.
pub async fn keys_belong_to_their_owner(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    claim(storage, ada, "shared", "ada-body", 0).await;
    complete(storage, ada, "shared").await;

    let bobs = claim(storage, bob, "shared", "bob-body", 1).await;
    let bobs_again = claim(storage, bob, "shared", "bob-body", 2).await;

    assert_eq!(bobs, Claim::Started);
    assert_eq!(bobs_again, Claim::InProgress);
    assert_eq!(
        claim(storage, ada, "shared", "ada-body", 3).await,
        Claim::Replay(response())
    );
}

/// `release` frees an unfinished claim; a completed key stays.
pub async fn a_released_key_can_be_claimed_again(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    claim(storage, ada, "failed", "body-a", 0).await;
    claim(storage, ada, "done", "body-a", 0).await;
    complete(storage, ada, "done").await;

    for key in ["failed", "done"] {
        storage
            .idempotency
            .release(ada, &self::key(key))
            .await
            .expect("released");
    }

    assert_eq!(
        claim(storage, ada, "failed", "body-b", 1).await,
        Claim::Started
    );
    assert_eq!(
        claim(storage, ada, "done", "body-a", 1).await,
        Claim::Replay(response())
    );
}

/// A key created before `expired_before` is free again, finished or not;
/// at the window's very end it still holds.
pub async fn an_expired_key_is_free_again(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    claim(storage, ada, "k-1", "body-a", 0).await;
    complete(storage, ada, "k-1").await;
    let day = WINDOW.num_seconds();

    let at_the_end = claim(storage, ada, "k-1", "body-a", day).await;
    let after = claim(storage, ada, "k-1", "body-b", day + 1).await;
    let reclaimed = claim(storage, ada, "k-1", "body-b", day + 2).await;

    assert_eq!(at_the_end, Claim::Replay(response()));
    assert_eq!(after, Claim::Started);
    assert_eq!(reclaimed, Claim::InProgress, "the new claim holds");
}

/// An unfinished claim created before `abandoned_before` is free again; a
/// finished one is not abandoned.
pub async fn an_abandoned_claim_is_free_again(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    claim(storage, ada, "crashed", "body-a", 0).await;
    claim(storage, ada, "done", "body-a", 0).await;
    complete(storage, ada, "done").await;
    let lease = LEASE.num_seconds();

    let within_lease = claim(storage, ada, "crashed", "body-a", lease).await;
    let after_lease = claim(storage, ada, "crashed", "body-b", lease + 1).await;
    let finished = claim(storage, ada, "done", "body-a", lease + 1).await;

    assert_eq!(within_lease, Claim::InProgress);
    assert_eq!(after_lease, Claim::Started);
    assert_eq!(finished, Claim::Replay(response()));
}

/// `purge_expired` deletes every key created before the cutoff, of every
/// owner, and answers how many.
pub async fn purging_removes_keys_created_before_the_cutoff(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    claim(storage, ada, "old", "body", 0).await;
    complete(storage, ada, "old").await;
    claim(storage, bob, "old", "body", 1).await;
    claim(storage, ada, "new", "body", 10).await;

    let purged = storage
        .idempotency
        .purge_expired(at(10))
        .await
        .expect("purged");
    let nothing_left = storage
        .idempotency
        .purge_expired(at(10))
        .await
        .expect("purged");

    assert_eq!((purged, nothing_left), (2, 0));
    assert_eq!(
        claim(storage, ada, "old", "body-b", 11).await,
        Claim::Started
    );
    assert_eq!(
        claim(storage, ada, "new", "body", 11).await,
        Claim::InProgress
    );
}

/// Two claims of a free key at the same time: exactly one is `Started`.
pub async fn concurrent_claims_of_a_free_key_start_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;

    let (first, second) = join(
        claim(storage, ada, "raced", "body", 0),
        claim(storage, ada, "raced", "body", 0),
    )
    .await;

    let mut claims = [first, second];
    claims.sort_by_key(|claim| claim != &Claim::Started);
    assert_eq!(claims, [Claim::Started, Claim::InProgress]);
}
