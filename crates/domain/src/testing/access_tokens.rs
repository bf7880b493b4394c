//! The [`AccessTokenStore`](crate::access_token::AccessTokenStore)
//! contract.

use super::sessions::hash;
use super::{Storage, at, user};
use crate::access_token::{
    AccessToken, AccessTokenId, NewAccessToken, Scopes, StoredAccessToken, TokenName,
};
use crate::error::{Error, Result};
use crate::user::{PasswordHash, UserId};

/// A token of `owner` whose secret is `secret`, made at second 1 under
/// token version 0, expiring at second `expires` (never for `None`).
pub(super) fn access_token(owner: UserId, secret: &str, expires: Option<i64>) -> NewAccessToken {
    token(owner, secret, 1, expires)
}

/// A token of `owner` whose secret is `secret`, made at second `made`
/// under token version 0, expiring at second `expires` (never for `None`).
fn token(owner: UserId, secret: &str, made: i64, expires: Option<i64>) -> NewAccessToken {
    NewAccessToken {
        token: AccessToken {
            id: AccessTokenId::new_random(),
            name: TokenName::parse(secret).expect("a valid name"),
            scopes: Scopes::parse(&["tasks:read", "labels:write"]).expect("valid scopes"),
            created_at: at(made),
            last_used_at: None,
            expires_at: expires.map(at),
        },
        user_id: owner,
        hash: hash(secret),
        token_version: 0,
    }
}

async fn create(storage: &Storage, new: &NewAccessToken, max: usize, now: i64) -> Result<()> {
    storage.access_tokens.create(new, max, at(now)).await
}

async fn listed(storage: &Storage, owner: UserId, now: i64) -> Vec<AccessTokenId> {
    let tokens = storage.access_tokens.list(owner, at(now)).await;
    tokens.expect("listed").iter().map(|t| t.id).collect()
}

async fn found(storage: &Storage, secret: &str) -> Option<StoredAccessToken> {
    storage
        .access_tokens
        .find(&hash(secret))
        .await
        .expect("answered")
}

/// Live tokens are listed newest first, as stored, and count against the
/// limit; a revoked one does not.
pub async fn live_tokens_are_listed_newest_first_and_count_against_the_limit(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let (first, second) = (
        token(ada, "first", 1, None),
        token(ada, "second", 2, Some(60)),
    );
    create(storage, &first, 2, 1).await.expect("stored");
    create(storage, &second, 2, 2).await.expect("stored");

    let third = token(ada, "third", 3, None);
    assert_error!(
        create(storage, &third, 2, 3).await,
        Error::TooManyAccessTokens,
        "a third token with a limit of two"
    );
    let listed_now = storage
        .access_tokens
        .list(ada, at(3))
        .await
        .expect("listed");
    let revoked = storage
        .access_tokens
        .revoke(ada, first.token.id, at(4))
        .await;
    create(storage, &third, 2, 5)
        .await
        .expect("room after a revocation");

    assert_eq!(
        listed_now,
        [second.token.clone(), first.token.clone()],
        "newest first, as stored"
    );
    assert!(revoked.expect("answered"));
    assert_eq!(
        listed(storage, ada, 5).await,
        [third.token.id, second.token.id]
    );
}

/// An expired token is neither listed nor counted, and is found with its
/// expiry for the caller to refuse.
pub async fn expired_tokens_are_neither_listed_nor_counted(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let short = token(ada, "short", 1, Some(10));
    create(storage, &short, 1, 1).await.expect("stored");

    let other = token(ada, "other", 10, None);
    create(storage, &other, 1, 10)
        .await
        .expect("the expired one is not counted");

    assert_eq!(listed(storage, ada, 10).await, [other.token.id]);
    let stored = found(storage, "short").await.expect("found");
    assert_eq!(stored.expires_at, Some(at(10)));
}

/// Revoking needs the owner: another user's token is not found, and a
/// revoked token is not found any more (asked afresh).
pub async fn only_the_owner_revokes_a_token(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let eve = user(storage, "eve@example.com").await;
    let new = token(ada, "adas", 1, None);
    create(storage, &new, 50, 1).await.expect("stored");
    let id = new.token.id;
    let before = found(storage, "adas").await.expect("found");

    let by_eve = storage.access_tokens.revoke(eve, id, at(2)).await;
    let missing = storage
        .access_tokens
        .revoke(ada, AccessTokenId::new_random(), at(2))
        .await;
    let by_ada = storage.access_tokens.revoke(ada, id, at(3)).await;
    let again = storage.access_tokens.revoke(ada, id, at(4)).await;

    assert!(!by_eve.expect("answered"), "another user's token");
    assert!(!missing.expect("answered"));
    assert!(by_ada.expect("answered"));
    assert!(!again.expect("answered"), "revoked already");
    assert!(listed(storage, eve, 4).await.is_empty());
    assert_eq!((before.id, before.user_id), (id, ada));
    assert_eq!(found(storage, "adas").await, None);
}

/// A password change (a new token version) makes every earlier token
/// unknown, unlisted and uncounted; deleting the user deletes them.
pub async fn a_password_change_or_deletion_ends_every_token(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    create(storage, &token(ada, "before", 1, None), 1, 1)
        .await
        .expect("stored");
    assert!(found(storage, "before").await.is_some());

    let changed = storage
        .users
        .change_password(ada, PasswordHash::new("new".into()), 0, at(2))
        .await;
    assert!(changed.expect("answered"));
    assert!(found(storage, "before").await.is_none());
    assert!(listed(storage, ada, 3).await.is_empty());
    let mut after = token(ada, "after", 3, None);
    after.token_version = 1;
    create(storage, &after, 1, 3).await.expect("not counted");
    assert!(found(storage, "after").await.is_some());

    storage.users.delete(ada).await.expect("deleted");
    assert!(found(storage, "after").await.is_none());
}

/// `last_used_at` is written when it is older than `since`, not again
/// within the period.
pub async fn last_use_is_written_once_per_period(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let new = token(ada, "used", 1, None);
    create(storage, &new, 1, 1).await.expect("stored");
    let id = new.token.id;
    let tokens = &storage.access_tokens;

    tokens.touch(id, at(-59), at(1)).await.expect("touched");
    tokens.touch(id, at(-58), at(2)).await.expect("answered");
    let first = found(storage, "used").await.expect("found").last_used_at;
    tokens.touch(id, at(1), at(61)).await.expect("touched");
    let second = found(storage, "used").await.expect("found").last_used_at;

    assert_eq!(first, Some(at(1)), "written once within the period");
    assert_eq!(second, Some(at(61)));
}
