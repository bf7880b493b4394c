//! The [`PasswordResetStore`](crate::reset::PasswordResetStore) contract.

use super::sessions::{hash, session};
use super::users::credentials;
use super::{Storage, at, join, user};
use crate::user::{PasswordHash, UserId};

/// Stores reset token `token` of `owner`, issued under token version
/// `version` at second 0 and valid until second `until`.
async fn issue(storage: &Storage, token: &str, owner: UserId, version: i64, until: i64) {
    storage
        .password_resets
        .create(&hash(token), owner, version, at(0), at(until))
        .await
        .expect("stored");
}

async fn redeem(storage: &Storage, token: &str, password: &str, now: i64) -> bool {
    storage
        .password_resets
        .redeem(&hash(token), PasswordHash::new(password.into()), at(now))
        .await
        .expect("answered")
}

/// `find` answers an unused token's user and the token version it was
/// issued under, changing nothing; once redeemed, the token is neither
/// found nor redeemed again.
pub async fn a_reset_token_is_found_until_it_is_redeemed_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "reset-1", ada, 0, 3600).await;

    let found = storage.password_resets.find(&hash("reset-1"), at(10)).await;
    let found_again = storage.password_resets.find(&hash("reset-1"), at(10)).await;
    let first = redeem(storage, "reset-1", "new-hash", 11).await;
    let after = storage.password_resets.find(&hash("reset-1"), at(12)).await;
    let second = redeem(storage, "reset-1", "newer-hash", 12).await;

    assert_eq!(found.expect("answered"), Some((ada, 0)));
    assert_eq!(found_again.expect("answered"), Some((ada, 0)));
    assert!(first);
    assert_eq!(after.expect("answered"), None);
    assert!(!second);
}

/// A redemption sets the password as `change_password` does: the new
/// hash, one token version more, no lock, and every session of the user
/// ended; and the user's email is verified (the link reached it).
pub async fn redeeming_sets_the_password_and_ends_every_session(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    storage
        .sessions
        .start(session(ada, "ada-refresh", 0, 3600))
        .await
        .expect("started");
    storage
        .users
        .record_failed_login(ada, at(1), super::users::policy(1, 900))
        .await
        .expect("locked");
    issue(storage, "reset-1", ada, 0, 3600).await;

    assert!(redeem(storage, "reset-1", "new-hash", 10).await);

    let credentials = credentials(storage, ada).await;
    assert_eq!(
        credentials.password_hash,
        PasswordHash::new("new-hash".into())
    );
    assert_eq!(credentials.token_version, 1);
    assert_eq!(credentials.locked_until, None);
    assert_eq!(credentials.failed_logins, 0);
    let live = storage.sessions.list_live(ada, at(11)).await.expect("read");
    assert!(live.is_empty(), "{live:?}");
    let user = storage
        .users
        .find_by_id(ada)
        .await
        .expect("read")
        .expect("stored");
    assert!(user.email_verified, "the link reached the address");
}

/// An unknown token and a token at or past its expiry are neither found
/// nor redeemed, and change nothing; another user's token is untouched.
pub async fn expired_and_unknown_reset_tokens_are_refused(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    issue(storage, "ada-reset", ada, 0, 60).await;
    issue(storage, "bob-reset", bob, 0, 60).await;

    let unknown = storage.password_resets.find(&hash("never"), at(1)).await;
    let at_expiry = storage
        .password_resets
        .find(&hash("ada-reset"), at(60))
        .await;
    let redeemed_unknown = redeem(storage, "never", "x", 1).await;
    let redeemed_at_expiry = redeem(storage, "ada-reset", "x", 60).await;
    let bobs = redeem(storage, "bob-reset", "bobs-new", 59).await;

    assert_eq!(unknown.expect("answered"), None);
    assert_eq!(at_expiry.expect("answered"), None);
    assert!(!redeemed_unknown);
    assert!(!redeemed_at_expiry);
    assert!(bobs);
    let adas = credentials(storage, ada).await;
    assert_eq!(adas.password_hash, PasswordHash::new("stored-hash".into()));
    assert_eq!(adas.token_version, 0);
}

/// A token issued before the user's token version last moved redeems
/// nothing: the password stays, the sessions live.
pub async fn a_token_of_an_older_token_version_redeems_nothing(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "stale", ada, 0, 3600).await;
    storage
        .users
        .change_password(ada, PasswordHash::new("changed".into()), 0, at(5))
        .await
        .expect("changed");
    storage
        .sessions
        .start(session(ada, "after-change", 6, 3600))
        .await
        .expect("started");

    let redeemed = redeem(storage, "stale", "attacker", 10).await;

    assert!(!redeemed);
    let credentials = credentials(storage, ada).await;
    assert_eq!(
        credentials.password_hash,
        PasswordHash::new("changed".into())
    );
    assert_eq!(credentials.token_version, 1);
    let live = storage.sessions.list_live(ada, at(11)).await.expect("read");
    assert_eq!(live.len(), 1);
}

/// Of two redemptions of one token at once, exactly one succeeds, and the
/// token version moves once.
pub async fn concurrent_redemptions_of_a_reset_token_succeed_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "raced", ada, 0, 3600).await;

    let (a, b) = join(
        redeem(storage, "raced", "hash-a", 5),
        redeem(storage, "raced", "hash-b", 5),
    )
    .await;

    assert!(a ^ b, "exactly one wins: {a} {b}");
    let credentials = credentials(storage, ada).await;
    assert_eq!(credentials.token_version, 1);
    let winner = if a { "hash-a" } else { "hash-b" };
    assert_eq!(credentials.password_hash, PasswordHash::new(winner.into()));
}
