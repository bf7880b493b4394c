//! The [`PasswordResetStore`](crate::reset::PasswordResetStore) contract.

use super::sessions::hash;
use super::{Storage, at, join, user};

/// A token is consumed once: the first use answers its user and the token
/// version it was issued under, every later use nothing.
pub async fn a_reset_token_is_used_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    storage
        .password_resets
        .create(&hash("reset-1"), ada, 3, at(0), at(3600))
        .await
        .expect("stored");

    let first = storage
        .password_resets
        .consume(&hash("reset-1"), at(10))
        .await;
    let second = storage
        .password_resets
        .consume(&hash("reset-1"), at(11))
        .await;

    assert_eq!(first.expect("answered"), Some((ada, 3)));
    assert_eq!(second.expect("answered"), None);
}

/// An unknown token and a token at or past its expiry are refused, and an
/// expired one stays refused; another user's token is untouched.
pub async fn expired_and_unknown_reset_tokens_are_refused(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    for (token, owner) in [("ada-reset", ada), ("bob-reset", bob)] {
        storage
            .password_resets
            .create(&hash(token), owner, 0, at(0), at(60))
            .await
            .expect("stored");
    }

    let unknown = storage.password_resets.consume(&hash("never"), at(1)).await;
    let at_expiry = storage
        .password_resets
        .consume(&hash("ada-reset"), at(60))
        .await;
    let before_expiry = storage
        .password_resets
        .consume(&hash("bob-reset"), at(59))
        .await;

    assert_eq!(unknown.expect("answered"), None);
    assert_eq!(at_expiry.expect("answered"), None);
    assert_eq!(before_expiry.expect("answered"), Some((bob, 0)));
}

/// Of two uses of one token at once, exactly one succeeds.
pub async fn concurrent_uses_of_a_reset_token_succeed_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    storage
        .password_resets
        .create(&hash("raced"), ada, 1, at(0), at(3600))
        .await
        .expect("stored");

    let (a, b) = join(
        storage.password_resets.consume(&hash("raced"), at(5)),
        storage.password_resets.consume(&hash("raced"), at(5)),
    )
    .await;

    let wins = [a.expect("answered"), b.expect("answered")]
        .into_iter()
        .flatten()
        .count();
    assert_eq!(wins, 1);
}
