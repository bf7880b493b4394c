//! The lock-out half of the [`UserRepository`](crate::ports::UserRepository)
//! contract: failed logins counted into a lock that expires, and what
//! password writes do to the count, the lock and the token version.

use chrono::Duration;

use super::{credentials, policy};
use crate::bearer::Credential;
use crate::testing::{Storage, at, user};
use crate::user::PasswordHash;

/// `change_password` stores the hash, bumps the token version by exactly
/// one per call, clears failures and lock, sets `updated_at`, and ends
/// every session of the user (and nobody else's); under a token version
/// that has moved on it changes nothing.
pub async fn changing_the_password_bumps_the_token_version_once_lifts_the_lock_and_ends_sessions(
    storage: &Storage,
) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let adas = super::session(ada, "ada-token");
    let adas_id = adas.id;
    storage.sessions.start(adas).await.expect("started");
    let bobs = super::session(bob, "bob-token");
    let bobs_id = bobs.id;
    storage.sessions.start(bobs).await.expect("started");
    for second in 1..=2 {
        storage
            .users
            .record_failed_login(ada, at(second), policy(2, 900))
            .await
            .expect("counted");
    }

    storage
        .users
        .change_password(ada, PasswordHash::new("first-change".into()), 0, at(10))
        .await
        .expect("changed");
    let once = credentials(storage, ada).await;
    storage
        .users
        .change_password(ada, PasswordHash::new("second-change".into()), 1, at(20))
        .await
        .expect("changed again");
    let twice = credentials(storage, ada).await;
    let stale = storage
        .users
        .change_password(ada, PasswordHash::new("stale".into()), 1, at(30))
        .await;

    assert_eq!(once.password_hash, PasswordHash::new("first-change".into()));
    assert_eq!(once.token_version, 1);
    assert_eq!(once.failed_logins, 0);
    assert_eq!(once.locked_until, None);
    assert_eq!(once.user.updated_at, at(10));
    assert_eq!(
        twice.password_hash,
        PasswordHash::new("second-change".into())
    );
    assert_eq!(twice.token_version, 2);
    assert!(matches!(stale, Ok(false)), "an old version: {stale:?}");
    assert_eq!(
        credentials(storage, ada).await.password_hash,
        PasswordHash::new("second-change".into())
    );
    let subject = storage
        .users
        .find_token_subject(ada, None)
        .await
        .expect("read")
        .expect("the user exists");
    assert_eq!(subject.token_version, 2);
    let adas_live = storage.sessions.list_live(ada, at(21)).await.expect("read");
    assert!(adas_live.is_empty(), "{adas_live:?}");
    let ended = storage
        .users
        .find_token_subject(ada, Some(Credential::Session(adas_id)))
        .await
        .expect("read")
        .expect("the user exists");
    assert!(!ended.credential_live);
    let bobs_live = storage.sessions.list_live(bob, at(21)).await.expect("read");
    assert_eq!(bobs_live.len(), 1);
    assert_eq!(bobs_live[0].id, bobs_id);
}

/// `set_password_hash` replaces the hash and sets `updated_at`, revoking
/// nothing: the token version and failure count stay.
pub async fn setting_a_password_hash_keeps_the_token_version(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    storage
        .users
        .record_failed_login(ada, at(1), policy(5, 900))
        .await
        .expect("counted");

    storage
        .users
        .set_password_hash(ada, PasswordHash::new("upgraded".into()), at(5))
        .await
        .expect("set");

    let after = credentials(storage, ada).await;
    assert_eq!(after.password_hash, PasswordHash::new("upgraded".into()));
    assert_eq!(after.token_version, 0);
    assert_eq!(after.failed_logins, 1);
    assert_eq!(after.user.updated_at, at(5));
}

/// Failures count one by one; the one that reaches `max_failures` locks
/// the account until `now + lockout`, and says so.
pub async fn failed_logins_lock_the_account_when_they_reach_the_limit(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let policy = policy(3, 900);

    let mut seen = Vec::new();
    for second in 1..=4 {
        let locked_now = storage
            .users
            .record_failed_login(ada, at(second), policy)
            .await
            .expect("counted");
        let now = credentials(storage, ada).await;
        seen.push((now.failed_logins, now.locked_until, locked_now));
    }
    let nobody = storage
        .users
        .record_failed_login(crate::user::UserId::new_random(), at(5), policy)
        .await;

    assert_eq!(
        seen,
        vec![
            (1, None, false),
            (2, None, false),
            (3, Some(at(3) + Duration::seconds(900)), true),
            (4, Some(at(4) + Duration::seconds(900)), false),
        ],
        "only the failure that reaches the limit says it locked"
    );
    assert!(!nobody.expect("nothing to count"), "a missing account");
}

/// A failure after the lock has expired (at its very end included) counts
/// as the first of a new run.
pub async fn an_expired_lock_starts_the_count_again_at_one(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let policy = policy(2, 60);
    for second in [0, 1] {
        storage
            .users
            .record_failed_login(ada, at(second), policy)
            .await
            .expect("counted");
    }
    let locked = credentials(storage, ada).await;

    storage
        .users
        .record_failed_login(ada, at(61), policy)
        .await
        .expect("counted after the lock");
    let restarted = credentials(storage, ada).await;
    storage
        .users
        .record_failed_login(ada, at(62), policy)
        .await
        .expect("counted again");
    let relocked = credentials(storage, ada).await;

    assert_eq!(locked.locked_until, Some(at(61)));
    assert_eq!((restarted.failed_logins, restarted.locked_until), (1, None));
    assert_eq!(
        (relocked.failed_logins, relocked.locked_until),
        (2, Some(at(122)))
    );
}

/// `clear_failed_logins` sets the count to zero and lifts an expired lock
/// (at its very end included), but leaves a lock in force as it is.
pub async fn clearing_failed_logins_resets_the_count_and_an_expired_lock_only(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    for second in [0, 1] {
        for owner in [ada, bob] {
            storage
                .users
                .record_failed_login(owner, at(second), policy(2, 60))
                .await
                .expect("counted");
        }
    }
    let while_locked = storage
        .users
        .clear_failed_logins(ada, at(60))
        .await
        .expect("answered");
    let locked = credentials(storage, ada).await;
    let at_its_end = storage
        .users
        .clear_failed_logins(ada, at(61))
        .await
        .expect("answered");
    let after = credentials(storage, ada).await;

    assert!(!while_locked, "a lock in force stays");
    assert_eq!(locked.locked_until, Some(at(61)));
    assert!(at_its_end);
    assert_eq!((after.failed_logins, after.locked_until), (0, None));
    let bobs = credentials(storage, bob).await;
    assert!(bobs.locked_until.is_some(), "another account is untouched");
}
