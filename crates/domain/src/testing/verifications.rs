//! The [`EmailVerificationStore`](crate::verification::EmailVerificationStore)
//! contract.

use super::sessions::hash;
use super::{Storage, at, join, user};
use crate::error::{Error, Result};
use crate::user::{Email, PasswordHash, User, UserId};
use crate::verification::VerifiedEmail;

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("a valid email")
}

/// Stores link `token` of `owner` for `address`, issued at second 0 under
/// token version 0 and valid until second `until`.
async fn issue(storage: &Storage, token: &str, owner: UserId, address: &str, until: i64) {
    storage
        .email_verifications
        .issue(&hash(token), owner, &email(address), 0, at(0), at(until))
        .await
        .expect("stored");
}

async fn redeem(storage: &Storage, token: &str, now: i64) -> Result<Option<VerifiedEmail>> {
    storage
        .email_verifications
        .redeem(&hash(token), at(now))
        .await
}

async fn stored(storage: &Storage, id: UserId) -> User {
    let found = storage.users.find_by_id(id).await.expect("answered");
    found.expect("the user is stored")
}

/// A new account is unverified; its link verifies its address once.
pub async fn a_link_verifies_its_address_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let before = stored(storage, ada).await;
    issue(storage, "verify-1", ada, "ada@example.com", 3600).await;

    let first = redeem(storage, "verify-1", 10).await.expect("answered");
    let second = redeem(storage, "verify-1", 11).await.expect("answered");
    let after = stored(storage, ada).await;

    assert!(!before.email_verified, "a new account starts unverified");
    let expected = VerifiedEmail {
        user_id: ada,
        email: email("ada@example.com"),
        previous: email("ada@example.com"),
    };
    assert_eq!(first, Some(expected));
    assert_eq!(second, None, "a link works once");
    assert!(after.email_verified);
    assert_eq!(after.updated_at, at(10));
}

/// A link for another address moves the account to it, verified, and
/// drops the account's other links.
pub async fn a_link_for_a_new_address_moves_the_account_and_drops_the_others(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "old-address", ada, "ada@example.com", 3600).await;
    issue(storage, "new-address", ada, "ada@new.example", 3600).await;

    let moved = redeem(storage, "new-address", 10).await.expect("answered");
    let old = redeem(storage, "old-address", 11).await.expect("answered");
    let after = stored(storage, ada).await;
    let by_new = storage
        .users
        .find_credentials(&email("ada@new.example"))
        .await;
    let by_old = storage
        .users
        .find_credentials(&email("ada@example.com"))
        .await;

    let moved = moved.expect("redeemed");
    assert_eq!(moved.email, email("ada@new.example"));
    assert_eq!(moved.previous, email("ada@example.com"));
    assert_eq!(old, None, "the account's other links are dropped");
    assert_eq!(after.email, email("ada@new.example"));
    assert!(after.email_verified);
    assert_eq!(by_new.expect("answered").map(|c| c.user.id), Some(ada));
    assert!(by_old.expect("answered").is_none());
}

/// A link expires at its very moment; an unknown one redeems nothing.
pub async fn expired_and_unknown_links_redeem_nothing(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "short", ada, "ada@example.com", 10).await;

    let expired = redeem(storage, "short", 10).await.expect("answered");
    let unknown = redeem(storage, "never-issued", 5).await.expect("answered");

    assert_eq!(expired, None);
    assert_eq!(unknown, None);
    assert!(!stored(storage, ada).await.email_verified);
}

/// A link issued before the account's password changed redeems nothing.
pub async fn a_link_from_before_a_password_change_redeems_nothing(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "stale", ada, "mallory@example.com", 3600).await;
    let changed = storage
        .users
        .change_password(ada, PasswordHash::new("new-hash".into()), 0, at(5))
        .await;

    let stale = redeem(storage, "stale", 10).await.expect("answered");

    assert!(changed.expect("answered"), "the password changed");
    assert_eq!(stale, None);
    assert_eq!(stored(storage, ada).await.email, email("ada@example.com"));
}

/// A newer link for the same address replaces the older one.
pub async fn a_newer_link_for_an_address_replaces_the_older(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "first", ada, "ada@example.com", 3600).await;
    issue(storage, "second", ada, "ada@example.com", 3600).await;

    let first = redeem(storage, "first", 10).await.expect("answered");
    let second = redeem(storage, "second", 11).await.expect("answered");

    assert_eq!(first, None);
    assert!(second.is_some());
}

/// A link to an address another account took meanwhile is refused and
/// changes nothing; the link stays for when the address is free again.
pub async fn a_link_to_an_address_taken_meanwhile_changes_nothing(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "to-bob", ada, "bob@example.com", 3600).await;
    let bob = user(storage, "bob@example.com").await;

    let taken = redeem(storage, "to-bob", 10).await;
    storage.users.delete(bob).await.expect("deleted");
    let freed = redeem(storage, "to-bob", 11).await.expect("answered");

    assert_error!(taken, Error::EmailTaken, "the address is another account's");
    assert_eq!(freed.map(|v| v.email), Some(email("bob@example.com")));
}

/// Purging deletes the links expired at its time, and only those.
pub async fn purging_deletes_expired_links_only(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "short", ada, "ada@example.com", 10).await;
    issue(storage, "long", ada, "ada@new.example", 3600).await;

    let purged = storage.email_verifications.purge(at(10)).await;
    let again = storage.email_verifications.purge(at(10)).await;
    let long = redeem(storage, "long", 11).await.expect("answered");

    assert_eq!(purged.expect("purged"), 1);
    assert_eq!(again.expect("purged"), 0);
    assert!(long.is_some(), "a live link stays");
}

/// Deleting an account deletes its links.
pub async fn deleting_a_user_deletes_their_links(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "ada-link", ada, "ada@example.com", 3600).await;

    storage.users.delete(ada).await.expect("deleted");

    assert_eq!(
        redeem(storage, "ada-link", 10).await.expect("answered"),
        None
    );
}

/// Of two concurrent redemptions of one link, exactly one succeeds.
pub async fn concurrent_redemptions_of_a_link_succeed_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    issue(storage, "raced", ada, "ada@example.com", 3600).await;

    let (a, b) = join(redeem(storage, "raced", 10), redeem(storage, "raced", 10)).await;

    let wins = [a, b]
        .into_iter()
        .filter(|r| matches!(r, Ok(Some(_))))
        .count();
    assert_eq!(wins, 1);
}
