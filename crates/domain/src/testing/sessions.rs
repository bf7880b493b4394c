//! The [`SessionRepository`](crate::ports::SessionRepository) contract.

use chrono::Duration;

use super::{Storage, at, join, user};
use crate::bearer::Credential;
use crate::session::{ClientInfo, NewSession, Rotation, SessionId, SessionLifetime, TokenHash};
use crate::user::UserId;

pub(super) fn hash(token: &str) -> TokenHash {
    TokenHash::new(token.into())
}

/// A session started at `start` (seconds), valid until `end`, whose first
/// refresh token is `token`.
pub(super) fn session(user_id: UserId, token: &str, start: i64, end: i64) -> NewSession {
    NewSession {
        id: SessionId::new_random(),
        user_id,
        created_at: at(start),
        expires_at: at(end),
        refresh_hash: hash(token),
        client: ClientInfo {
            request_id: None,
            user_agent: Some("contract-suite/1.0".into()),
            ip: Some("127.0.0.1".into()),
        },
    }
}

async fn start(storage: &Storage, session: NewSession) -> SessionId {
    let id = session.id;
    storage.sessions.start(session).await.expect("started");
    id
}

async fn live(storage: &Storage, user: UserId, now: i64) -> Vec<SessionId> {
    let sessions = storage
        .sessions
        .list_live(user, at(now))
        .await
        .expect("listed");
    sessions.into_iter().map(|s| s.id).collect()
}

/// Presents `token` at `now` (seconds), the next one valid until `until`
/// (the session's absolute lifetime far beyond).
async fn rotate(storage: &Storage, token: &str, next: &str, now: i64, until: i64) -> Rotation {
    let lifetime = SessionLifetime {
        idle: Duration::seconds(until - now),
        absolute: LONG_LIFE,
    };
    storage
        .sessions
        .rotate(&hash(token), &hash(next), at(now), lifetime)
        .await
        .expect("presented")
}

/// An absolute session lifetime longer than any check needs.
const LONG_LIFE: Duration = Duration::days(365);

/// What a rotation of user `user_id`'s session `session_id` started at
/// second `start` answers under [`LONG_LIFE`].
fn rotated(session_id: SessionId, user_id: UserId, start: i64) -> Rotation {
    Rotation::Rotated {
        session_id,
        user_id,
        ends_at: at(start) + LONG_LIFE,
    }
}

/// `start` stores a session that `list_live` shows with its start as last
/// use, and with its client.
pub async fn a_started_session_is_listed_as_live(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let new = session(ada, "first", 0, 100);
    let expected_client = new.client.clone();
    let id = start(storage, new).await;

    let sessions = storage
        .sessions
        .list_live(ada, at(1))
        .await
        .expect("listed");

    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].id, id);
    assert_eq!(sessions[0].created_at, at(0));
    assert_eq!(sessions[0].last_used_at, at(0));
    assert_eq!(sessions[0].client, expected_client);
}

/// `list_live` shows the user's sessions newest first, leaving out ended
/// ones, expired ones (at their expiry included) and other users'.
pub async fn live_sessions_are_listed_newest_first_without_ended_or_expired_ones(
    storage: &Storage,
) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let oldest = start(storage, session(ada, "a", 0, 1000)).await;
    let newer = start(storage, session(ada, "b", 10, 1000)).await;
    start(storage, session(ada, "c", 20, 50)).await;
    let ended = start(storage, session(ada, "d", 30, 1000)).await;
    start(storage, session(bob, "e", 40, 1000)).await;
    storage
        .sessions
        .end(ada, ended, at(45))
        .await
        .expect("ended");

    assert_eq!(live(storage, ada, 50).await, vec![newer, oldest]);
}

/// A current token rotates once: it is used up, its successor is stored,
/// and the session's last use and expiry move on.
pub async fn a_rotation_uses_up_the_token_and_renews_the_session(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let id = start(storage, session(ada, "first", 0, 100)).await;

    let first = rotate(storage, "first", "second", 10, 200).await;
    let renewed = storage
        .sessions
        .list_live(ada, at(150))
        .await
        .expect("listed");
    let second = rotate(storage, "second", "third", 160, 300).await;

    assert_eq!(first, rotated(id, ada, 0));
    assert_eq!(second, rotated(id, ada, 0));
    assert_eq!(renewed.len(), 1, "alive past its first expiry: {renewed:?}");
    assert_eq!(renewed[0].id, id);
    assert_eq!(renewed[0].created_at, at(0));
    assert_eq!(renewed[0].last_used_at, at(10));
}

/// A token presented again after its rotation is `Reused` (naming its
/// user), and that presentation stores nothing.
pub async fn a_rotated_token_presented_again_is_reused(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    start(storage, session(ada, "first", 0, 100)).await;
    rotate(storage, "first", "second", 10, 200).await;

    let replayed = rotate(storage, "first", "stolen-next", 20, 200).await;
    let planted = rotate(storage, "stolen-next", "more", 30, 200).await;

    assert_eq!(replayed, Rotation::Reused { user_id: ada });
    assert_eq!(
        planted,
        Rotation::Invalid,
        "a refused presentation stores nothing"
    );
}

/// Unknown tokens, expired ones (at their expiry included) and those of an
/// ended session are `Invalid`, and presenting them uses nothing up.
pub async fn unknown_expired_and_ended_tokens_are_invalid(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    start(storage, session(ada, "expiring", 0, 100)).await;
    let ended = start(storage, session(ada, "ended", 0, 1000)).await;
    storage
        .sessions
        .end(ada, ended, at(5))
        .await
        .expect("ended");

    let unknown = rotate(storage, "never-issued", "x1", 10, 200).await;
    let expired = rotate(storage, "expiring", "x2", 100, 200).await;
    let expired_again = rotate(storage, "expiring", "x3", 101, 200).await;
    let of_ended = rotate(storage, "ended", "x4", 10, 200).await;

    assert_eq!(unknown, Rotation::Invalid);
    assert_eq!(expired, Rotation::Invalid);
    assert_eq!(expired_again, Rotation::Invalid, "not used up by a refusal");
    assert_eq!(of_ended, Rotation::Invalid);
}

/// `end` ends the user's own live session only, answering whether it did;
/// an ended session's tokens stop working, and an expired session is not
/// live to be ended.
pub async fn ending_a_session_takes_its_owner(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let id = start(storage, session(ada, "first", 0, 1000)).await;
    let expired = start(storage, session(ada, "expired", 0, 1)).await;
    let expired_ended = storage
        .sessions
        .end(ada, expired, at(1))
        .await
        .expect("tried");
    assert!(!expired_ended, "an expired session is not live");

    let by_bob = storage.sessions.end(bob, id, at(1)).await.expect("tried");
    let alive = live(storage, ada, 2).await;
    let by_ada = storage.sessions.end(ada, id, at(3)).await.expect("ended");
    let twice = storage.sessions.end(ada, id, at(4)).await.expect("tried");
    let unknown = storage
        .sessions
        .end(ada, SessionId::new_random(), at(4))
        .await
        .expect("tried");

    assert!(!by_bob, "another user cannot end it");
    assert_eq!(alive, vec![id]);
    assert!(by_ada);
    assert!(!twice, "an ended session is not live");
    assert!(!unknown);
    assert_eq!(live(storage, ada, 5).await, vec![]);
    let subject = storage
        .users
        .find_token_subject(ada, Some(Credential::Session(id)))
        .await
        .expect("read")
        .expect("the user exists");
    assert!(!subject.credential_live);
    assert_eq!(
        rotate(storage, "first", "next", 6, 2000).await,
        Rotation::Invalid
    );
}

/// `end_by_token` ends the session of a token (also one rotated away) and
/// no other; an unknown token changes nothing.
pub async fn ending_by_token_ends_that_session_only(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let first = start(storage, session(ada, "one", 0, 1000)).await;
    let second = start(storage, session(ada, "two", 1, 1000)).await;
    let third = start(storage, session(ada, "three", 2, 1000)).await;
    rotate(storage, "one", "one-next", 5, 1000).await;

    storage
        .sessions
        .end_by_token(&hash("never-issued"), at(6))
        .await
        .expect("nothing to end");
    let untouched = live(storage, ada, 6).await;
    storage
        .sessions
        .end_by_token(&hash("two"), at(7))
        .await
        .expect("ended");
    storage
        .sessions
        .end_by_token(&hash("one"), at(8))
        .await
        .expect("ended by its used token");

    assert_eq!(untouched, vec![third, second, first]);
    assert_eq!(live(storage, ada, 9).await, vec![third]);
}

/// `end_all` ends every live session of the user but the one spared, and
/// nobody else's.
pub async fn ending_all_sessions_can_spare_one(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    start(storage, session(ada, "a1", 0, 1000)).await;
    let kept = start(storage, session(ada, "a2", 1, 1000)).await;
    start(storage, session(ada, "a3", 2, 1000)).await;
    let bobs = start(storage, session(bob, "b1", 3, 1000)).await;

    storage
        .sessions
        .end_all(ada, Some(kept), at(10))
        .await
        .expect("ended");
    let spared = live(storage, ada, 11).await;
    storage
        .sessions
        .end_all(ada, None, at(12))
        .await
        .expect("ended");

    assert_eq!(spared, vec![kept]);
    assert_eq!(live(storage, ada, 13).await, vec![]);
    assert_eq!(live(storage, bob, 13).await, vec![bobs]);
}

/// Two presentations of one current token at the same time: one rotates,
/// the other is `Reused`.
pub async fn concurrent_presentations_of_a_token_rotate_once(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let id = start(storage, session(ada, "raced", 0, 100)).await;

    let (first, second) = join(
        rotate(storage, "raced", "next-a", 10, 200),
        rotate(storage, "raced", "next-b", 10, 200),
    )
    .await;

    let mut outcomes = [first, second];
    outcomes.sort_by_key(|rotation| !matches!(rotation, Rotation::Rotated { .. }));
    assert_eq!(
        outcomes,
        [rotated(id, ada, 0), Rotation::Reused { user_id: ada }]
    );
}

/// However often it is refreshed, a session ends at its absolute lifetime
/// from its start: the next token and the session expire then at the
/// latest, and a token presented at or after it is `Invalid`.
pub async fn a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed(
    storage: &Storage,
) {
    let ada = user(storage, "ada@example.com").await;
    let id = start(storage, session(ada, "first", 0, 60)).await;
    let lifetime = SessionLifetime {
        idle: Duration::seconds(60),
        absolute: Duration::seconds(100),
    };
    let present = |token: &'static str, next: &'static str, now: i64| async move {
        storage
            .sessions
            .rotate(&hash(token), &hash(next), at(now), lifetime)
            .await
            .expect("presented")
    };

    let early = present("first", "second", 30).await;
    let late = present("second", "third", 80).await;
    let live_before_the_end = live(storage, ada, 99).await;
    let live_at_the_end = live(storage, ada, 100).await;
    let at_the_end = present("third", "fourth", 100).await;
    let longer = SessionLifetime {
        absolute: Duration::seconds(1000),
        ..lifetime
    };
    let capped_by_the_token = storage
        .sessions
        .rotate(&hash("third"), &hash("fifth"), at(100), longer)
        .await
        .expect("presented");

    let ends_at = at(100);
    let expected = Rotation::Rotated {
        session_id: id,
        user_id: ada,
        ends_at,
    };
    assert_eq!(early, expected);
    assert_eq!(late, expected, "refreshed within its lifetime");
    assert_eq!(live_before_the_end, vec![id]);
    assert_eq!(live_at_the_end, vec![], "its last token expired with it");
    assert_eq!(at_the_end, Rotation::Invalid);
    assert_eq!(
        capped_by_the_token,
        Rotation::Invalid,
        "a longer lifetime later does not revive a token that expired"
    );
}
