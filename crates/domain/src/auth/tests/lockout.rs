//! Failed passwords counted, locks honoured and lifted.

use chrono::Duration;
use mockall::predicate::{always, eq};

use super::{Ports, at, credentials};
use crate::auth::lockout::seconds_until;
use crate::error::Error;
use crate::session::ClientInfo;

#[tokio::test]
async fn a_wrong_password_is_invalid_credentials_and_counted() {
    let mut ports = Ports::new().password_is("right");
    let found = credentials(true);
    let id = found.user.id;
    ports
        .users
        .expect_find_credentials()
        .returning(move |_| Ok(Some(found.clone())));
    ports
        .users
        .expect_record_failed_login()
        .with(eq(id), eq(at()), always())
        .times(1)
        .returning(|_, _, _| Ok(()));
    ports.sessions.expect_start().never();

    let result = ports
        .service()
        .login("ada@example.com", "wrong", ClientInfo::default())
        .await;

    assert!(matches!(result, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn a_locked_account_is_refused_even_with_the_right_password() {
    let mut ports = Ports::new();
    let mut locked = credentials(true);
    locked.locked_until = Some(at() + Duration::seconds(90));
    ports
        .users
        .expect_find_credentials()
        .returning(move |_| Ok(Some(locked.clone())));
    ports.hasher.expect_verify().never();

    let result = ports
        .service()
        .login("ada@example.com", "right", ClientInfo::default())
        .await;

    assert!(matches!(
        result,
        Err(Error::AccountLocked {
            retry_after_secs: 90
        })
    ));
}

#[tokio::test]
async fn an_expired_lock_lets_the_right_password_in_and_clears_the_count() {
    let mut ports = Ports::new().password_is("right");
    let mut was_locked = credentials(true);
    was_locked.locked_until = Some(at() - Duration::seconds(1));
    was_locked.failed_logins = 5;
    let id = was_locked.user.id;
    ports
        .users
        .expect_find_credentials()
        .returning(move |_| Ok(Some(was_locked.clone())));
    ports
        .users
        .expect_clear_failed_logins()
        .with(eq(id))
        .times(1)
        .returning(|_| Ok(()));
    ports.sessions.expect_start().returning(|_| Ok(()));

    assert!(
        ports
            .service()
            .login("ada@example.com", "right", ClientInfo::default())
            .await
            .is_ok()
    );
}

#[test]
fn lock_waits_round_up_to_whole_seconds() {
    assert_eq!(seconds_until(at() + Duration::milliseconds(1500), at()), 2);
    assert_eq!(seconds_until(at(), at()), 1);
}
