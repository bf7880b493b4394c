//! Bearers that are not live in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: they read nothing and write nothing.

use super::{bearer, completion, create, listed, new_task, stored};
use crate::access_token::AccessTokenId;
use crate::bearer::{Bearer, Credential};
use crate::error::Error;
use crate::session::SessionId;
use crate::task::{Precondition, TaskOp, TaskQuery};
use crate::testing::access_tokens::access_token;
use crate::testing::sessions::session;
use crate::testing::{Storage, at};

/// Ada's bearers that are not live: a token from before a password change
/// (another version), one of a session that ended, one naming a session
/// that never existed, one naming Bob's session, and the same for
/// personal access tokens (revoked, unknown, Bob's).
async fn dead_bearers(storage: &Storage, ada: Bearer) -> Vec<(&'static str, Bearer)> {
    let bob = bearer(storage, "bob@example.com").await;
    let ended = session(ada.user_id, "ada-ended", 0, 3600);
    let bobs = session(bob.user_id, "bob-live", 0, 3600);
    let (ended_id, bobs_id) = (ended.id, bobs.id);
    for session in [ended, bobs] {
        storage.sessions.start(session).await.expect("started");
    }
    let was_ended = storage
        .sessions
        .end(ada.user_id, ended_id, at(10))
        .await
        .expect("ended");
    assert!(was_ended, "the session was live");
    let revoked = access_token(ada.user_id, "ada-revoked", None);
    let bobs_token = access_token(bob.user_id, "bob-token", None);
    let (revoked_id, bobs_token_id) = (revoked.token.id, bobs_token.token.id);
    for token in [revoked, bobs_token] {
        let tokens = &storage.access_tokens;
        tokens.create(&token, 50, at(1)).await.expect("stored");
    }
    let was_live = storage
        .access_tokens
        .revoke(ada.user_id, revoked_id, at(10))
        .await
        .expect("revoked");
    assert!(was_live, "the token was live");
    let with = |credential| Bearer {
        credential: Some(credential),
        ..ada
    };
    let with_session = |id| with(Credential::Session(id));
    let with_token = |id| with(Credential::AccessToken(id));
    vec![
        (
            "another token version",
            Bearer {
                token_version: ada.token_version + 1,
                ..ada
            },
        ),
        ("an ended session", with_session(ended_id)),
        ("an unknown session", with_session(SessionId::new_random())),
        ("another user's session", with_session(bobs_id)),
        ("a revoked access token", with_token(revoked_id)),
        (
            "an unknown access token",
            with_token(AccessTokenId::new_random()),
        ),
        ("another user's access token", with_token(bobs_token_id)),
    ]
}

/// A bearer that is not live reads nothing and changes nothing, while the
/// same user's live bearer (with or without a live session or personal
/// access token) still works.
pub async fn a_bearer_that_is_not_live_reads_and_writes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Mine", 1).await;
    let live = session(ada.user_id, "ada-live", 0, 3600);
    let live_session = Bearer {
        credential: Some(Credential::Session(live.id)),
        ..ada
    };
    storage.sessions.start(live).await.expect("started");
    let token = access_token(ada.user_id, "ada-live", None);
    let live_token = Bearer {
        credential: Some(Credential::AccessToken(token.token.id)),
        ..ada
    };
    let tokens = &storage.access_tokens;
    tokens.create(&token, 50, at(1)).await.expect("stored");

    for (what, dead) in dead_bearers(storage, ada).await {
        let created = storage
            .tasks
            .create(&dead, new_task("Sneaked in", None, false), at(20))
            .await
            .expect("answered");
        assert_eq!(created, None, "create with {what}");
        let creates = vec![TaskOp::Create(new_task("Sneaked in", None, false)); 2];
        let batch = storage
            .tasks
            .apply_all(&dead, creates, at(20))
            .await
            .expect("answered");
        assert!(
            matches!(&batch, Err(r) if r.index == 0 && matches!(r.error, Error::NotFound)),
            "batch of creates with {what}: {batch:?}"
        );
        assert_eq!(
            stored(storage, dead, task.id).await,
            None,
            "get with {what}"
        );
        let page = storage
            .tasks
            .list(&dead, &TaskQuery::default())
            .await
            .expect("listed");
        assert_eq!((page.tasks.len(), page.total), (0, 0), "list with {what}");
        for precondition in [Precondition::None, Precondition::Version(task.version)] {
            let update = storage
                .tasks
                .update(&dead, task.id, completion(true), precondition, at(30))
                .await;
            let toggle = storage
                .tasks
                .toggle(&dead, task.id, precondition, at(30))
                .await;
            let delete = storage
                .tasks
                .delete(&dead, task.id, precondition, at(40))
                .await;
            for (write, result) in [
                ("update", update.map(|_| ())),
                ("toggle", toggle.map(|_| ())),
                ("delete", delete),
            ] {
                assert!(
                    matches!(result, Err(Error::NotFound | Error::PreconditionFailed)),
                    "{write} with {what} and {precondition:?}: {result:?}"
                );
            }
        }
    }

    assert_eq!(stored(storage, ada, task.id).await, Some(task.clone()));
    assert_eq!(
        stored(storage, live_session, task.id).await,
        Some(task.clone())
    );
    assert_eq!(stored(storage, live_token, task.id).await, Some(task));
    assert_eq!(listed(storage, ada, &TaskQuery::default()).await.1, 1);
}

/// Once the user is deleted, their bearer reads and writes nothing.
pub async fn a_deleted_users_bearer_reads_and_writes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    create(storage, ada, "Mine", 1).await;

    storage.users.delete(ada.user_id).await.expect("deleted");

    let created = storage
        .tasks
        .create(&ada, new_task("After", None, false), at(2))
        .await
        .expect("answered");
    assert_eq!(created, None);
    assert_eq!(
        listed(storage, ada, &TaskQuery::default()).await,
        (vec![], 0)
    );
}
