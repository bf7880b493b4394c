//! Failed passwords counted, locks honoured and lifted.

use chrono::Duration;
use mockall::predicate::{always, eq};

use super::{Ports, at, credentials};
use crate::auth::lockout::seconds_until;
use crate::error::Error;
use crate::ports::PasswordCheck;
use crate::security_log::{SecurityEventKind, kinds};
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
        .returning(|_, _, _| Ok(false));
    ports.sessions.expect_start().never();
    ports.mailer.expect_send_lockout().never();
    let events = ports.events.clone();
    let client = ClientInfo {
        user_agent: Some("curl/8".into()),
        ip: Some("198.51.100.4".into()),
        request_id: Some("req-7".into()),
    };

    let result = ports
        .service()
        .login("ada@example.com", "wrong", client.clone())
        .await;

    assert!(matches!(result, Err(Error::InvalidCredentials)));
    assert_eq!(kinds(&events), [SecurityEventKind::LoginFailed]);
    let logged = events.lock().expect("events")[0].clone();
    assert_eq!((logged.user_id, logged.session_id), (id, None));
    assert_eq!((logged.client, logged.at), (client, at()));
}

#[tokio::test]
async fn the_failure_that_locks_the_account_tells_its_owner_by_email_within_a_budget() {
    for notices_left in [true, false] {
        let mut ports = Ports::new().password_is("right");
        let found = credentials(true);
        let (email, id) = (found.user.email.clone(), found.user.id);
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(found.clone())));
        ports
            .users
            .expect_record_failed_login()
            .returning(|_, _, _| Ok(true));
        let key = format!("lockout-mail:{id}");
        ports
            .limits
            .expect_take()
            .withf(move |hit, _, interval, window| {
                *hit == key && *interval == 28_800_000 && *window == 86_400_000
            })
            .times(1)
            .returning(move |_, now, interval, _| Ok((notices_left, now + interval)));
        ports
            .mailer
            .expect_send_lockout()
            .withf(move |mail| {
                mail.to == email
                    && mail.failures == 5
                    && mail.locked_until == at() + Duration::minutes(15)
            })
            .times(usize::from(notices_left))
            .returning(|_| Ok(()));
        let events = ports.events.clone();

        let result = ports
            .service()
            .login("ada@example.com", "wrong", ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
        assert_eq!(
            kinds(&events),
            [
                SecurityEventKind::AccountLocked,
                SecurityEventKind::LoginFailed
            ]
        );
    }
}

#[tokio::test]
async fn a_locked_account_answers_as_a_wrong_password_after_the_same_hashing() {
    for password in ["right", "wrong"] {
        let mut ports = Ports::new();
        let mut locked = credentials(true);
        locked.locked_until = Some(at() + Duration::seconds(90));
        let stored = locked.password_hash.clone();
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(locked.clone())));
        ports
            .hasher
            .expect_verify()
            .withf(move |_, hash| *hash == stored)
            .times(1)
            .returning(|given, _| {
                Ok(if given == "right" {
                    PasswordCheck::Match {
                        needs_rehash: false,
                    }
                } else {
                    PasswordCheck::Mismatch
                })
            });
        ports.users.expect_record_failed_login().never();
        ports.sessions.expect_start().never();
        let events = ports.events.clone();

        let result = ports
            .service()
            .login("ada@example.com", password, ClientInfo::default())
            .await;

        assert!(
            matches!(result, Err(Error::InvalidCredentials)),
            "{password}"
        );
        assert_eq!(kinds(&events), [SecurityEventKind::LoginFailed]);
    }
}

#[tokio::test]
async fn a_signed_in_owner_is_told_their_account_is_locked() {
    let mut ports = Ports::new();
    let principal = super::principal();
    let mut locked = credentials(true);
    locked.user = principal.user.clone();
    locked.locked_until = Some(at() + Duration::seconds(90));
    ports
        .users
        .expect_find_credentials_by_id()
        .returning(move |_| Ok(Some(locked.clone())));
    ports.hasher.expect_verify().never();

    let result = ports
        .service()
        .end_other_sessions(&principal, "right")
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
    // A second ago, and this very moment: a lock ends when it says.
    for until in [at() - Duration::seconds(1), at()] {
        let mut ports = Ports::new().password_is("right").without_second_factor();
        let mut was_locked = credentials(true);
        was_locked.locked_until = Some(until);
        was_locked.failed_logins = 5;
        let id = was_locked.user.id;
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(was_locked.clone())));
        ports
            .users
            .expect_clear_failed_logins()
            .with(eq(id), eq(at()))
            .times(1)
            .returning(|_, _| Ok(true));
        ports.sessions.expect_start().returning(|_| Ok(()));

        let result = ports
            .service()
            .login("ada@example.com", "right", ClientInfo::default())
            .await;

        assert!(result.is_ok(), "locked until {until}: {result:?}");
    }
}

#[tokio::test]
async fn a_lock_ends_at_its_very_moment() {
    let mut ports = Ports::new().password_is("right");
    let principal = super::principal();
    let mut was_locked = credentials(true);
    was_locked.user = principal.user.clone();
    was_locked.locked_until = Some(at());
    ports
        .users
        .expect_find_credentials_by_id()
        .returning(move |_| Ok(Some(was_locked.clone())));
    ports
        .sessions
        .expect_end_all()
        .times(1)
        .returning(|_, _, _| Ok(()));

    let result = ports
        .service()
        .end_other_sessions(&principal, "right")
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn lock_waits_round_up_to_whole_seconds() {
    assert_eq!(seconds_until(at() + Duration::milliseconds(1500), at()), 2);
    assert_eq!(seconds_until(at(), at()), 1);
}
