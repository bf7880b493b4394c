//! The [`SecondFactorStore`](crate::second_factor::SecondFactorStore) contract.

use super::sessions::hash;
use super::{Storage, at, join, user};
use crate::second_factor::{Challenge, TotpSecret};
use crate::session::TokenHash;
use crate::user::UserId;

fn secret(seed: u8) -> TotpSecret {
    TotpSecret::from_bytes(&[seed; 20])
}

fn codes(prefix: &str) -> Vec<TokenHash> {
    (0..3).map(|n| hash(&format!("{prefix}-{n}"))).collect()
}

/// Turns TOTP on for `owner` with `secret(seed)`, last step `step` and the
/// recovery codes `codes(prefix)`.
async fn enable(storage: &Storage, owner: UserId, seed: u8, step: i64, prefix: &str) {
    let factors = &storage.second_factors;
    let begun = factors.begin_totp(owner, &secret(seed), at(0)).await;
    let enabled = factors
        .enable_totp(owner, &secret(seed), step, &codes(prefix), at(1))
        .await;
    assert!(begun.expect("answered") && enabled.expect("answered"));
}

/// A pending secret is stored off, replaced by a later one, and turned on
/// only by its own value; once on, TOTP cannot be begun or enabled again.
pub async fn totp_is_pending_until_enabled_with_its_own_secret(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let factors = &storage.second_factors;

    let none = factors.totp(ada).await.expect("answered");
    assert!(
        factors
            .begin_totp(ada, &secret(1), at(0))
            .await
            .expect("answered")
    );
    assert!(
        factors
            .begin_totp(ada, &secret(2), at(1))
            .await
            .expect("answered")
    );
    let pending = factors.totp(ada).await.expect("answered");
    let with_replaced = factors
        .enable_totp(ada, &secret(1), 10, &codes("ada"), at(2))
        .await;
    let with_current = factors
        .enable_totp(ada, &secret(2), 10, &codes("ada"), at(2))
        .await;
    let on = factors.totp(ada).await.expect("answered");
    let begin_again = factors.begin_totp(ada, &secret(3), at(3)).await;
    let enable_again = factors
        .enable_totp(ada, &secret(2), 11, &codes("again"), at(3))
        .await;

    assert_eq!(none, None);
    let pending = pending.expect("pending");
    assert_eq!(
        (pending.secret, pending.enabled, pending.last_step),
        (secret(2), false, None)
    );
    assert!(!with_replaced.expect("answered"));
    assert!(with_current.expect("answered"));
    let on = on.expect("on");
    assert_eq!(
        (on.secret, on.enabled, on.last_step),
        (secret(2), true, Some(10))
    );
    assert!(!begin_again.expect("answered"));
    assert!(!enable_again.expect("answered"));
    assert_eq!(factors.recovery_codes_left(ada).await.expect("answered"), 3);
}

/// A time step is used only after the last used one, and only while TOTP
/// is on.
pub async fn a_time_step_is_used_once_and_only_after_the_last(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    enable(storage, ada, 1, 10, "ada").await;
    let factors = &storage.second_factors;
    assert!(
        factors
            .begin_totp(bob, &secret(2), at(0))
            .await
            .expect("answered")
    );

    let same = factors.use_totp_step(ada, 10).await.expect("answered");
    let earlier = factors.use_totp_step(ada, 9).await.expect("answered");
    let later = factors.use_totp_step(ada, 11).await.expect("answered");
    let later_again = factors.use_totp_step(ada, 11).await.expect("answered");
    let pending = factors.use_totp_step(bob, 11).await.expect("answered");

    assert!(!same && !earlier);
    assert!(later && !later_again);
    assert!(!pending);
    let last = factors.totp(ada).await.expect("answered").expect("on");
    assert_eq!(last.last_step, Some(11));
}

/// A recovery code is used once, and only by its owner.
pub async fn a_recovery_code_is_used_once_by_its_owner(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    enable(storage, ada, 1, 10, "ada").await;
    enable(storage, bob, 2, 10, "bob").await;
    let factors = &storage.second_factors;

    let by_bob = factors.use_recovery_code(bob, &hash("ada-0"), at(5)).await;
    let first = factors.use_recovery_code(ada, &hash("ada-0"), at(5)).await;
    let again = factors.use_recovery_code(ada, &hash("ada-0"), at(6)).await;
    let unknown = factors.use_recovery_code(ada, &hash("ada-9"), at(6)).await;

    assert!(!by_bob.expect("answered"));
    assert!(first.expect("answered"));
    assert!(!again.expect("answered"));
    assert!(!unknown.expect("answered"));
    assert_eq!(factors.recovery_codes_left(ada).await.expect("answered"), 2);
    assert_eq!(factors.recovery_codes_left(bob).await.expect("answered"), 3);
}

/// New recovery codes replace every old one, used or not, of their owner
/// only, and only while TOTP is on.
pub async fn recovery_codes_are_replaced_only_while_totp_is_on(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let carol = user(storage, "carol@example.com").await;
    enable(storage, ada, 1, 10, "ada").await;
    enable(storage, bob, 2, 10, "bob").await;
    let factors = &storage.second_factors;
    let pending = factors.begin_totp(carol, &secret(3), at(0)).await;
    let used = factors.use_recovery_code(ada, &hash("ada-0"), at(5)).await;

    let replaced = factors.replace_recovery_codes(ada, &codes("fresh")).await;
    let when_pending = factors.replace_recovery_codes(carol, &codes("carol")).await;
    let without = factors
        .replace_recovery_codes(UserId::new_random(), &codes("nobody"))
        .await;
    let old = factors.use_recovery_code(ada, &hash("ada-1"), at(6)).await;
    let new = factors
        .use_recovery_code(ada, &hash("fresh-0"), at(6))
        .await;

    assert!(pending.expect("answered") && used.expect("answered"));
    assert!(replaced.expect("answered"));
    assert!(!when_pending.expect("answered"), "TOTP is only pending");
    assert!(!without.expect("answered"), "no factor at all");
    assert!(!old.expect("answered"), "the old codes are gone");
    assert!(new.expect("answered"));
    assert_eq!(factors.recovery_codes_left(ada).await.expect("answered"), 2);
    assert_eq!(factors.recovery_codes_left(bob).await.expect("answered"), 3);
    assert_eq!(
        factors.recovery_codes_left(carol).await.expect("answered"),
        0
    );
}

/// Turning TOTP off forgets its secret and its recovery codes; turning it
/// on again starts from a new set.
pub async fn disabling_forgets_the_secret_and_the_recovery_codes(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    enable(storage, ada, 1, 10, "ada").await;
    let factors = &storage.second_factors;

    let disabled = factors.disable_totp(ada).await.expect("answered");
    let after = factors.totp(ada).await.expect("answered");
    let left = factors.recovery_codes_left(ada).await.expect("answered");
    let again = factors.disable_totp(ada).await.expect("answered");
    enable(storage, ada, 2, 20, "new").await;
    let old_code = factors.use_recovery_code(ada, &hash("ada-1"), at(5)).await;

    assert!(disabled && !again);
    assert_eq!(after, None);
    assert_eq!(left, 0);
    assert!(!old_code.expect("answered"));
    assert_eq!(factors.recovery_codes_left(ada).await.expect("answered"), 3);
}

/// A challenge is found, unchanged, until it is redeemed once or expires.
pub async fn a_challenge_is_found_until_redeemed_once_or_expired(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let factors = &storage.second_factors;
    let challenge = Challenge {
        user_id: ada,
        token_version: 4,
    };
    let issue = |token: &'static str, until: i64| async move {
        factors
            .issue_challenge(&hash(token), challenge, at(0), at(until))
            .await
            .expect("stored");
    };
    issue("first", 300).await;
    issue("short", 10).await;

    let found = factors.find_challenge(&hash("first"), at(5)).await;
    let found_again = factors.find_challenge(&hash("first"), at(6)).await;
    let redeemed = factors.redeem_challenge(&hash("first"), at(7)).await;
    let after = factors.find_challenge(&hash("first"), at(8)).await;
    let redeemed_again = factors.redeem_challenge(&hash("first"), at(8)).await;
    let expired = factors.find_challenge(&hash("short"), at(10)).await;
    let redeemed_late = factors.redeem_challenge(&hash("short"), at(10)).await;
    let unknown = factors.find_challenge(&hash("other"), at(5)).await;

    assert_eq!(found.expect("answered"), Some(challenge));
    assert_eq!(found_again.expect("answered"), Some(challenge));
    assert!(redeemed.expect("answered"));
    assert_eq!(after.expect("answered"), None);
    assert!(!redeemed_again.expect("answered"));
    assert_eq!(expired.expect("answered"), None);
    assert!(!redeemed_late.expect("answered"));
    assert_eq!(unknown.expect("answered"), None);
}

/// Of two concurrent uses of one time step, one recovery code or one
/// challenge, exactly one succeeds.
pub async fn concurrent_uses_of_a_step_a_code_or_a_challenge_succeed_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    enable(storage, ada, 1, 10, "ada").await;
    let factors = &storage.second_factors;
    let challenge = Challenge {
        user_id: ada,
        token_version: 0,
    };
    factors
        .issue_challenge(&hash("pending"), challenge, at(0), at(300))
        .await
        .expect("stored");

    let steps = join(
        factors.use_totp_step(ada, 11),
        factors.use_totp_step(ada, 11),
    )
    .await;
    let codes = join(
        factors.use_recovery_code(ada, &hash("ada-0"), at(5)),
        factors.use_recovery_code(ada, &hash("ada-0"), at(5)),
    )
    .await;
    let challenges = join(
        factors.redeem_challenge(&hash("pending"), at(5)),
        factors.redeem_challenge(&hash("pending"), at(5)),
    )
    .await;

    for (what, (a, b)) in [("step", steps), ("code", codes), ("challenge", challenges)] {
        let successes = [a.expect("answered"), b.expect("answered")];
        assert_eq!(successes.iter().filter(|s| **s).count(), 1, "{what}");
    }
}

/// Deleting an account deletes its factor, codes and challenges.
pub async fn deleting_a_user_deletes_their_second_factor(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    enable(storage, ada, 1, 10, "ada").await;
    let factors = &storage.second_factors;
    let challenge = Challenge {
        user_id: ada,
        token_version: 0,
    };
    factors
        .issue_challenge(&hash("pending"), challenge, at(0), at(300))
        .await
        .expect("stored");

    storage.users.delete(ada).await.expect("deleted");

    assert_eq!(factors.totp(ada).await.expect("answered"), None);
    assert_eq!(factors.recovery_codes_left(ada).await.expect("answered"), 0);
    let found = factors.find_challenge(&hash("pending"), at(5)).await;
    assert_eq!(found.expect("answered"), None);
}
