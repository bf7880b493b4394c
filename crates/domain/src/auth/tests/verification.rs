//! Verified email: following a link, sending it again, and sign-in that
//! requires a verified address.

use chrono::Duration;
use mockall::predicate::eq;

use super::{Ports, at, credentials, signed_in};
use crate::error::Error;
use crate::security_log::{SecurityEventKind, kinds};
use crate::session::{ClientInfo, TokenHash};
use crate::user::Email;
use crate::verification::VerifiedEmail;

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("valid")
}

#[tokio::test]
async fn a_followed_link_is_logged_as_a_verification_and_a_move_as_a_change_too() {
    for (address, expected) in [
        ("ada@example.com", vec![SecurityEventKind::EmailVerified]),
        (
            "ada@new.example",
            vec![
                SecurityEventKind::EmailChanged,
                SecurityEventKind::EmailVerified,
            ],
        ),
    ] {
        let mut ports = Ports::new();
        let found = credentials(true);
        let id = found.user.id;
        ports
            .verifications
            .expect_redeem()
            .with(eq(TokenHash::new("hash:link".into())), eq(at()))
            .times(1)
            .returning(move |_, _| {
                Ok(Some(VerifiedEmail {
                    user_id: id,
                    email: email(address),
                    previous: email("ada@example.com"),
                }))
            });
        let events = ports.events.clone();

        let result = ports
            .service()
            .verify_email("link", &ClientInfo::default())
            .await;

        assert!(result.is_ok(), "{result:?}");
        assert_eq!(kinds(&events), expected, "{address}");
    }
}

#[tokio::test]
async fn an_unknown_link_is_invalid_and_a_taken_address_is_taken() {
    let mut unknown = Ports::new();
    unknown
        .verifications
        .expect_redeem()
        .returning(|_, _| Ok(None));
    let mut taken = Ports::new();
    taken
        .verifications
        .expect_redeem()
        .returning(|_, _| Err(Error::EmailTaken));
    let (unknown_events, taken_events) = (unknown.events.clone(), taken.events.clone());

    let unknown = unknown
        .service()
        .verify_email("nope", &ClientInfo::default())
        .await;
    let taken = taken
        .service()
        .verify_email("link", &ClientInfo::default())
        .await;

    assert!(matches!(unknown, Err(Error::InvalidVerificationToken)));
    assert!(matches!(taken, Err(Error::EmailTaken)));
    assert_eq!(kinds(&unknown_events), []);
    assert_eq!(kinds(&taken_events), []);
}

#[tokio::test]
async fn a_resend_goes_only_to_an_active_unverified_account_within_its_budget() {
    // (active, verified, budget left, a mail goes out)
    for (active, verified, budget_left, sends) in [
        (true, false, true, true),
        (true, true, true, false),
        (false, false, true, false),
        (true, false, false, false),
    ] {
        let mut ports = Ports::new();
        let mut found = credentials(active);
        found.user.email_verified = verified;
        let id = found.user.id;
        ports
            .users
            .expect_find_credentials()
            .with(eq(email("ada@example.com")))
            .returning(move |_| Ok(Some(found.clone())));
        let key = format!("verify-mail:{id}");
        ports
            .limits
            .expect_take()
            .withf(move |hit, _, _, _| *hit == key)
            .returning(move |_, now, interval, _| Ok((budget_left, now + interval)));
        ports
            .verifications
            .expect_issue()
            .withf(|_, _, _, version, _, _| *version == 3)
            .times(usize::from(sends))
            .returning(|_, _, _, _, _, _| Ok(()));
        ports
            .mailer
            .expect_send_verification()
            .withf(|mail| mail.to.as_str() == "ada@example.com" && !mail.change)
            .times(usize::from(sends))
            .returning(|_| Ok(()));

        let result = ports
            .service()
            .resend_verification(&email("Ada@Example.com"))
            .await;

        assert!(
            result.is_ok(),
            "{active} {verified} {budget_left}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_resend_to_an_unknown_address_sends_nothing_and_succeeds() {
    let mut ports = Ports::new();
    ports
        .users
        .expect_find_credentials()
        .times(1)
        .returning(|_| Ok(None));
    ports.verifications.expect_issue().never();
    ports.mailer.expect_send_verification().never();

    let result = ports
        .service()
        .resend_verification(&email("nobody@example.com"))
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn sign_in_refuses_an_unverified_address_only_when_required_and_after_the_password() {
    // (required, verified, password, the answer is a session)
    for (required, verified, password) in [
        (true, false, "right"),
        (true, true, "right"),
        (false, false, "right"),
        (true, false, "wrong"),
    ] {
        let mut ports = Ports::new().password_is("right").without_second_factor();
        ports.require_verified_email = required;
        let mut found = credentials(true);
        found.user.email_verified = verified;
        ports
            .users
            .expect_find_credentials()
            .returning(move |_| Ok(Some(found.clone())));
        ports
            .users
            .expect_record_failed_login()
            .returning(|_, _, _| Ok(false));
        ports
            .users
            .expect_clear_failed_logins()
            .returning(|_, _| Ok(true));
        ports.sessions.expect_start().returning(|_| Ok(()));

        let answer = ports
            .service()
            .login("ada@example.com", password, ClientInfo::default())
            .await;

        match (required && !verified, password) {
            (_, "wrong") => assert!(matches!(answer, Err(Error::InvalidCredentials))),
            (true, _) => assert!(matches!(answer, Err(Error::EmailNotVerified)), "{answer:?}"),
            (false, _) => {
                let tokens = signed_in(answer);
                assert_eq!(tokens.session_ends_at, at() + Duration::days(90));
            }
        }
    }
}

#[tokio::test]
async fn expired_links_are_purged_as_of_now() {
    let mut ports = Ports::new();
    ports
        .verifications
        .expect_purge()
        .with(eq(at()))
        .times(1)
        .returning(|_| Ok(2));

    let purged = ports.service().purge_expired_links().await;

    assert_eq!(purged.expect("purged"), 2);
}
