//! The [`UserRepository`](crate::ports::UserRepository) contract; its
//! lock-out checks are in `lockout`.

mod lockout;

use chrono::Duration;

use super::access_tokens::access_token;
use super::{Storage, at, new_user, user};
use crate::access_token::AccessTokenId;
use crate::bearer::Credential;
use crate::error::Error;
use crate::ports::{LockoutPolicy, TokenSubject};
use crate::session::{ClientInfo, NewSession, Rotation, SessionId, TokenHash};
use crate::task::{NewTask, TaskQuery, Title};
use crate::user::{Credentials, Email, PasswordHash, UserId, UserName};

pub use lockout::{
    an_expired_lock_starts_the_count_again_at_one,
    changing_the_password_bumps_the_token_version_once_lifts_the_lock_and_ends_sessions,
    clearing_failed_logins_resets_the_count_and_an_expired_lock_only,
    failed_logins_lock_the_account_when_they_reach_the_limit,
    setting_a_password_hash_keeps_the_token_version,
};

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("a valid email")
}

pub(super) async fn credentials(storage: &Storage, id: UserId) -> Credentials {
    storage
        .users
        .find_credentials_by_id(id)
        .await
        .expect("credentials read")
        .expect("the user exists")
}

pub(super) fn policy(max_failures: u32, lockout_secs: i64) -> LockoutPolicy {
    LockoutPolicy {
        max_failures,
        lockout: Duration::seconds(lockout_secs),
    }
}

fn session(user_id: UserId, token: &str) -> NewSession {
    NewSession {
        id: SessionId::new_random(),
        user_id,
        created_at: at(0),
        expires_at: at(3600),
        refresh_hash: TokenHash::new(token.into()),
        client: ClientInfo::default(),
    }
}

/// `create` stores the account as given, with no failed logins, no lock
/// and token version 0; it is found by id, by email and by id with its
/// password material.
pub async fn a_created_user_is_found_by_id_and_by_email(storage: &Storage) {
    let new = new_user("ada@example.com");
    let expected = new.user.clone();

    let created = storage.users.create(new).await.expect("created");

    assert_eq!(created, expected);
    let found = storage.users.find_by_id(expected.id).await.expect("read");
    assert_eq!(found, Some(expected.clone()));
    let by_email = storage
        .users
        .find_credentials(&expected.email)
        .await
        .expect("read")
        .expect("found by email");
    for credentials in [by_email, credentials(storage, expected.id).await] {
        assert_eq!(credentials.user, expected);
        assert_eq!(
            credentials.password_hash,
            PasswordHash::new("stored-hash".into())
        );
        assert_eq!(credentials.failed_logins, 0);
        assert_eq!(credentials.locked_until, None);
        assert_eq!(credentials.token_version, 0);
    }
}

/// `is_active = false` survives storage.
pub async fn an_inactive_account_is_stored_inactive(storage: &Storage) {
    let mut new = new_user("off@example.com");
    new.user.is_active = false;
    let id = new.user.id;

    storage.users.create(new).await.expect("created");

    let found = storage.users.find_by_id(id).await.expect("read");
    assert_eq!(found.map(|u| u.is_active), Some(false));
}

/// Reads of an account that does not exist find nothing.
pub async fn unknown_users_are_absent(storage: &Storage) {
    user(storage, "ada@example.com").await;
    let nobody = UserId::new_random();

    let by_id = storage.users.find_by_id(nobody).await.expect("read");
    let by_email = storage
        .users
        .find_credentials(&email("nobody@example.com"))
        .await
        .expect("read");
    let credentials = storage
        .users
        .find_credentials_by_id(nobody)
        .await
        .expect("read");
    let subject = storage
        .users
        .find_token_subject(nobody, None)
        .await
        .expect("read");
    let with_session = storage
        .users
        .find_token_subject(nobody, Some(Credential::Session(SessionId::new_random())))
        .await
        .expect("read");

    assert_eq!(by_id, None);
    assert!(by_email.is_none());
    assert!(credentials.is_none());
    assert_eq!(subject, None);
    assert_eq!(with_session, None);
}

/// A second account with the same (lower-cased) email is refused with
/// `EmailTaken` and not stored.
pub async fn emails_are_unique(storage: &Storage) {
    let first = user(storage, "ada@example.com").await;
    let second = new_user(" ADA@Example.com");
    let second_id = second.user.id;

    let result = storage.users.create(second).await;

    assert_error!(result, Error::EmailTaken, "a second account for one email");
    let kept = storage
        .users
        .find_credentials(&email("ada@example.com"))
        .await
        .expect("read")
        .expect("the first account");
    assert_eq!(kept.user.id, first);
    let lost = storage.users.find_by_id(second_id).await.expect("read");
    assert_eq!(lost, None);
}

/// `rename` changes the name, sets `updated_at`, keeps the rest, and
/// answers the stored account.
pub async fn a_rename_changes_the_name_only(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let grace = UserName::parse("Grace").expect("a valid name");

    let renamed = storage
        .users
        .rename(ada, grace.clone(), at(10))
        .await
        .expect("renamed");

    assert_eq!(renamed.name, grace);
    assert_eq!(renamed.email, email("ada@example.com"));
    assert_eq!(renamed.created_at, at(0));
    assert_eq!(renamed.updated_at, at(10));
    let stored = storage.users.find_by_id(ada).await.expect("read");
    assert_eq!(stored, Some(renamed));
}

/// Writes that must find their account answer `NotFound` for a missing
/// one; counting, clearing and deleting just do nothing.
pub async fn writes_to_a_missing_user_are_not_found(storage: &Storage) {
    let nobody = UserId::new_random();
    let hash = || PasswordHash::new("new-hash".into());

    let profile = storage
        .users
        .rename(nobody, UserName::parse("X").expect("a valid name"), at(1))
        .await;
    let set = storage.users.set_password_hash(nobody, hash(), at(1)).await;
    let changed = storage
        .users
        .change_password(nobody, hash(), 0, at(1))
        .await;
    let counted = storage
        .users
        .record_failed_login(nobody, at(1), policy(5, 900))
        .await;
    let cleared = storage.users.clear_failed_logins(nobody, at(1)).await;
    let deleted = storage.users.delete(nobody).await;

    assert_error!(profile, Error::NotFound, "rename of nobody");
    assert_error!(set, Error::NotFound, "set_password_hash of nobody");
    assert!(
        matches!(changed, Ok(false)),
        "change_password of nobody: {changed:?}"
    );
    assert!(
        counted.is_ok(),
        "record_failed_login of nobody: {counted:?}"
    );
    assert!(
        matches!(cleared, Ok(false)),
        "clear_failed_logins of nobody: {cleared:?}"
    );
    assert!(deleted.is_ok(), "delete of nobody: {deleted:?}");
}

/// `find_token_subject` answers the user and token version; the session
/// asked about is live only when it is this user's and has not ended, and
/// no session asked about counts as live.
pub async fn the_token_subject_tells_whether_the_users_session_is_live(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let (live, ended, bobs) = (
        session(ada, "ada-live"),
        session(ada, "ada-ended"),
        session(bob, "bob-live"),
    );
    let ids = (live.id, ended.id, bobs.id);
    storage
        .users
        .change_password(ada, PasswordHash::new("new".into()), 0, at(0))
        .await
        .expect("changed");
    for session in [live, ended, bobs] {
        storage.sessions.start(session).await.expect("started");
    }
    storage
        .sessions
        .end(ada, ids.1, at(5))
        .await
        .expect("ended");

    let sessions = [ids.0, ids.1, ids.2, SessionId::new_random()];
    let mut answers = Vec::new();
    for credential in [None]
        .into_iter()
        .chain(sessions.map(|s| Some(Credential::Session(s))))
    {
        let subject = subject(storage, ada, credential).await;
        assert_eq!(subject.token_version, 1);
        answers.push(subject.credential_live);
    }

    assert_eq!(
        answers,
        vec![true, true, false, false, false],
        "no session, own live, own ended, another user's, unknown"
    );
}

/// The personal access token asked about is live only when it is this
/// user's and not revoked (expired or not: expiry is the caller's check).
pub async fn the_token_subject_tells_whether_the_users_access_token_is_live(storage: &Storage) {
    let ada = user(storage, "ada@example.com").await;
    let bob = user(storage, "bob@example.com").await;
    let (live, expired, revoked, bobs) = (
        access_token(ada, "ada-live", None),
        access_token(ada, "ada-expired", Some(2)),
        access_token(ada, "ada-revoked", None),
        access_token(bob, "bob-live", None),
    );
    let ids = [
        live.token.id,
        expired.token.id,
        revoked.token.id,
        bobs.token.id,
    ];
    for token in [live, expired, revoked, bobs] {
        storage
            .access_tokens
            .create(&token, 50, at(1))
            .await
            .expect("stored");
    }
    let was_live = storage.access_tokens.revoke(ada, ids[2], at(1)).await;
    assert!(was_live.expect("revoked"));

    let mut answers = Vec::new();
    for id in ids.into_iter().chain([AccessTokenId::new_random()]) {
        let credential = Some(Credential::AccessToken(id));
        answers.push(subject(storage, ada, credential).await.credential_live);
    }

    assert_eq!(
        answers,
        vec![true, true, false, false, false],
        "own live, own expired, own revoked, another user's, unknown"
    );
}

/// What `find_token_subject` answers about `credential` of `user`, who
/// exists.
async fn subject(storage: &Storage, user: UserId, credential: Option<Credential>) -> TokenSubject {
    let subject = storage
        .users
        .find_token_subject(user, credential)
        .await
        .expect("read")
        .expect("the user exists");
    assert_eq!(subject.user.id, user);
    subject
}

/// `delete` removes the account with its tasks and sessions, and nobody
/// else's; its email is free again.
pub async fn deleting_a_user_deletes_their_tasks_and_sessions(storage: &Storage) {
    let ada = super::tasks::bearer(storage, "ada@example.com").await;
    let bob = super::tasks::bearer(storage, "bob@example.com").await;
    let task = || NewTask::new(Title::parse("Mine").expect("a valid title"));
    let adas_task = storage
        .tasks
        .create(&ada, task(), at(1))
        .await
        .expect("created")
        .expect("stored");
    let bobs_task = storage
        .tasks
        .create(&bob, task(), at(1))
        .await
        .expect("created")
        .expect("stored");
    storage
        .sessions
        .start(session(ada.user_id, "ada-token"))
        .await
        .expect("started");
    storage
        .sessions
        .start(session(bob.user_id, "bob-token"))
        .await
        .expect("started");

    storage.users.delete(ada.user_id).await.expect("deleted");

    assert_eq!(
        storage.users.find_by_id(ada.user_id).await.expect("read"),
        None
    );
    let task_left = storage.tasks.get(&ada, adas_task.id).await.expect("read");
    assert_eq!(task_left, None);
    let listed = storage
        .tasks
        .list(&ada, &TaskQuery::default())
        .await
        .expect("listed");
    assert_eq!(listed.total, 0);
    let sessions = storage
        .sessions
        .list_live(ada.user_id, at(2))
        .await
        .expect("listed");
    assert!(sessions.is_empty(), "{sessions:?}");
    let rotation = storage
        .sessions
        .rotate(
            &TokenHash::new("ada-token".into()),
            &TokenHash::new("ada-next".into()),
            at(2),
            crate::session::SessionLifetime {
                idle: chrono::Duration::hours(2),
                absolute: chrono::Duration::days(90),
            },
        )
        .await
        .expect("presented");
    assert_eq!(rotation, Rotation::Invalid);
    let bobs = storage.tasks.get(&bob, bobs_task.id).await.expect("read");
    assert_eq!(bobs, Some(bobs_task));
    let bobs_sessions = storage
        .sessions
        .list_live(bob.user_id, at(2))
        .await
        .expect("listed");
    assert_eq!(bobs_sessions.len(), 1);
    let again = storage.users.create(new_user("ada@example.com")).await;
    assert!(again.is_ok(), "the email is free again: {again:?}");

    // A dead bearer sees nothing anyway; an account stored again under
    // Ada's id is live, so an empty answer shows the tasks really went.
    let mut reborn = new_user("ada-again@example.com");
    reborn.user.id = ada.user_id;
    storage.users.create(reborn).await.expect("stored again");
    let version = storage
        .users
        .find_token_subject(ada.user_id, None)
        .await
        .expect("read")
        .expect("stored")
        .token_version;
    let live_again = crate::bearer::Bearer {
        token_version: version,
        ..ada
    };
    let old_task = storage.tasks.get(&live_again, adas_task.id).await;
    assert_eq!(old_task.expect("read"), None);
    let relisted = storage
        .tasks
        .list(&live_again, &TaskQuery::default())
        .await
        .expect("listed");
    assert_eq!(relisted.total, 0);
}
