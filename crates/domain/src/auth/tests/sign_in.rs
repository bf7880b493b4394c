//! Registration and sign-in.

use chrono::Duration;
use mockall::predicate::eq;

use super::{Ports, at, credentials, signed_in};
use crate::error::Error;
use crate::ports::PasswordCheck;
use crate::security_log::{SecurityEventKind, kinds};
use crate::session::ClientInfo;
use crate::user::{Email, Password, PasswordHash, Registration, UserName};

#[tokio::test]
async fn registration_stores_the_hash_and_starts_a_session() {
    let mut ports = Ports::new();
    ports
        .hasher
        .expect_hash()
        .with(eq("Tr0ub4dor&3x"))
        .returning(|_| Ok(PasswordHash::new("h".into())));
    ports.users.expect_create().times(1).returning(|new| {
        assert_eq!(new.password_hash.as_str(), "h");
        Ok(new.user)
    });
    ports.sessions.expect_start().times(1).returning(|session| {
        assert_eq!(session.refresh_hash.as_str(), "hash:fresh");
        assert_eq!(session.expires_at, at() + Duration::days(30));
        Ok(())
    });
    ports
        .verifications
        .expect_issue()
        .withf(|_, _, email, version, _, expires| {
            email.as_str() == "ada@example.com"
                && *version == 0
                && *expires == at() + Duration::hours(24)
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    ports
        .mailer
        .expect_send_verification()
        .withf(|mail| mail.to.as_str() == "ada@example.com" && !mail.change)
        .times(1)
        .returning(|_| Ok(()));
    let registration = Registration {
        name: UserName::parse("Ada").expect("valid"),
        email: Email::parse("ada@example.com").expect("valid"),
        password: Password::parse("Tr0ub4dor&3x").expect("valid"),
    };
    let events = ports.events.clone();

    let tokens = ports
        .service()
        .register(registration, ClientInfo::default())
        .await
        .expect("registered");

    assert_eq!(kinds(&events), [SecurityEventKind::Registered]);
    let logged = events.lock().expect("events")[0].clone();
    assert_eq!(logged.user_id, tokens.user.id);
    assert_eq!(logged.session_id, Some(tokens.session_id));

    assert!(!tokens.user.email_verified);
    assert_eq!(tokens.expires_in, 86_400);
    assert_eq!(tokens.session_ends_at, at() + Duration::days(90));
    assert_eq!(tokens.refresh_token, "fresh");
    assert!(
        tokens
            .access_token
            .starts_with(&format!("access:{}:Some(", tokens.user.id))
    );
}

#[tokio::test]
async fn an_unknown_email_still_costs_one_verification() {
    let mut ports = Ports::new();
    ports
        .users
        .expect_find_credentials()
        .returning(|_| Ok(None));
    ports.hasher.expect_verify().times(1).returning(|_, h| {
        assert_eq!(h.as_str(), "dummy");
        Ok(PasswordCheck::Mismatch)
    });

    let result = ports
        .service()
        .login("nobody@example.com", "whatever1", ClientInfo::default())
        .await;

    assert!(matches!(result, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn a_malformed_email_is_invalid_credentials_after_one_verification() {
    let mut ports = Ports::new();
    ports.users.expect_find_credentials().never();
    ports
        .hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(PasswordCheck::Mismatch));

    let result = ports
        .service()
        .login("not-an-email", "whatever1", ClientInfo::default())
        .await;

    assert!(matches!(result, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn a_successful_login_carries_the_token_version() {
    let mut ports = Ports::new().password_is("right").without_second_factor();
    ports
        .users
        .expect_find_credentials()
        .returning(|_| Ok(Some(credentials(true))));
    ports
        .users
        .expect_clear_failed_logins()
        .times(1)
        .returning(|_, _| Ok(true));
    ports.sessions.expect_start().times(1).returning(|_| Ok(()));
    let events = ports.events.clone();

    let tokens = signed_in(
        ports
            .service()
            .login("ADA@example.com ", "right", ClientInfo::default())
            .await,
    );

    assert!(tokens.access_token.ends_with(":3"));
    assert_eq!(kinds(&events), [SecurityEventKind::LoginSucceeded]);
    let logged = events.lock().expect("events")[0].session_id;
    assert_eq!(logged, Some(tokens.session_id));
}

#[tokio::test]
async fn a_right_password_is_refused_if_a_lock_came_while_it_was_checked() {
    for lock_meanwhile in [false, true] {
        let mut ports = Ports::new().password_is("right").without_second_factor();
        let found = credentials(true);
        let id = found.user.id;
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(found.clone())));
        ports
            .users
            .expect_clear_failed_logins()
            .with(mockall::predicate::eq(id), mockall::predicate::eq(at()))
            .times(1)
            .returning(move |_, _| Ok(!lock_meanwhile));
        ports
            .sessions
            .expect_start()
            .times(usize::from(!lock_meanwhile))
            .returning(|_| Ok(()));

        let result = ports
            .service()
            .login("ada@example.com", "right", ClientInfo::default())
            .await;

        if lock_meanwhile {
            assert!(matches!(result, Err(Error::InvalidCredentials)));
        } else {
            assert!(result.is_ok());
        }
    }
}

#[tokio::test]
async fn an_inactive_account_with_the_right_password_is_disabled() {
    let mut ports = Ports::new().password_is("right");
    ports
        .users
        .expect_find_credentials()
        .returning(|_| Ok(Some(credentials(false))));
    ports.sessions.expect_start().never();

    let result = ports
        .service()
        .login("ada@example.com", "right", ClientInfo::default())
        .await;

    assert!(matches!(result, Err(Error::AccountDisabled)));
}

#[tokio::test]
async fn an_old_scheme_hash_is_upgraded_at_sign_in() {
    let mut ports = Ports::new().without_second_factor();
    ports
        .users
        .expect_find_credentials()
        .returning(|_| Ok(Some(credentials(true))));
    ports
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: true }));
    ports
        .users
        .expect_clear_failed_logins()
        .returning(|_, _| Ok(true));
    ports
        .hasher
        .expect_hash()
        .with(eq("right"))
        .returning(|_| Ok(PasswordHash::new("new".into())));
    ports
        .users
        .expect_set_password_hash()
        .times(1)
        .returning(|_, h, _| {
            assert_eq!(h.as_str(), "new");
            Ok(())
        });
    ports.sessions.expect_start().returning(|_| Ok(()));

    assert!(
        ports
            .service()
            .login("ada@example.com", "right", ClientInfo::default())
            .await
            .is_ok()
    );
}
