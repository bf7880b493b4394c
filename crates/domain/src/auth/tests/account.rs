//! Sessions, profile, password and deletion of the signed-in user.

use mockall::predicate::{always, eq};

use super::{Ports, at, credentials, principal};
use crate::auth::{Principal, ProfileChanges};
use crate::error::Error;
use crate::security_log::{RecordedEvent, SecurityEvent, SecurityEventKind, kinds};
use crate::session::{ClientInfo, Session, SessionId};
use crate::user::{Email, Password, PasswordHash, User, UserName};

fn with_credentials(ports: &mut Ports, principal: &Principal) {
    let mut found = credentials(true);
    found.user = principal.user.clone();
    ports
        .users
        .expect_find_credentials_by_id()
        .returning(move |_| Ok(Some(found.clone())));
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .users
        .expect_record_failed_login()
        .times(1)
        .returning(|_, _, _| Ok(false));
    ports.users.expect_change_password().never();
    let new = Password::parse("a brand new secret").expect("valid");
    let events = ports.events.clone();

    let result = ports
        .service()
        .change_password(&principal, "wrong", &new)
        .await;

    assert!(matches!(result, Err(Error::WrongPassword)));
    assert_eq!(
        kinds(&events),
        [SecurityEventKind::PasswordConfirmationFailed]
    );
    let logged = events.lock().expect("events")[0].session_id;
    assert_eq!(logged, principal.session_id);
}

#[tokio::test]
async fn a_new_password_is_set_in_one_step_that_revokes_every_token_and_session() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    let id = principal.user.id;
    with_credentials(&mut ports, &principal);
    ports
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("new".into())));
    ports
        .users
        .expect_change_password()
        .with(eq(id), always(), eq(3), eq(at()))
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    let new = Password::parse("a brand new secret").expect("valid");
    let events = ports.events.clone();

    assert!(
        ports
            .service()
            .change_password(&principal, "right", &new)
            .await
            .is_ok()
    );
    assert_eq!(kinds(&events), [SecurityEventKind::PasswordChanged]);
}

#[tokio::test]
async fn an_email_change_needs_the_current_password() {
    let mut ports = Ports::new();
    ports.users.expect_rename().never();
    let changes = ProfileChanges {
        email: Some(Email::parse("new@example.com").expect("valid")),
        ..ProfileChanges::default()
    };

    let result = ports.service().update_profile(&principal(), changes).await;

    assert!(matches!(result, Err(Error::ConfirmationRequired)));
}

#[tokio::test]
async fn a_name_change_needs_no_password() {
    let mut ports = Ports::new();
    let principal = principal();
    let name = UserName::parse("Grace").expect("valid");
    let renamed = User {
        name: name.clone(),
        ..principal.user.clone()
    };
    ports
        .users
        .expect_rename()
        .with(eq(principal.user.id), eq(name.clone()), eq(at()))
        .returning(move |_, _, _| Ok(renamed.clone()));

    let changes = ProfileChanges {
        name: Some(name),
        ..ProfileChanges::default()
    };
    let events = ports.events.clone();
    let updated = ports
        .service()
        .update_profile(&principal, changes)
        .await
        .expect("updated");

    assert_eq!(updated.name.as_str(), "Grace");
    assert_eq!(kinds(&events), [], "only an email change is logged");
}

#[tokio::test]
async fn an_email_change_mails_a_link_to_the_new_address_and_a_notice_to_the_old() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    let (id, old) = (principal.user.id, principal.user.email.clone());
    let new = Email::parse("new@example.com").expect("valid");
    let (asked, told) = (new.clone(), new.clone());
    ports
        .users
        .expect_find_credentials()
        .with(eq(new.clone()))
        .returning(|_| Ok(None));
    let key = format!("email-change-mail:{id}");
    ports
        .limits
        .expect_take()
        .withf(move |hit, _, _, _| *hit == key)
        .times(1)
        .returning(|_, now, interval, _| Ok((true, now + interval)));
    ports
        .verifications
        .expect_issue()
        .withf(move |hash, user, email, version, now, expires| {
            hash.as_str() == "hash:fresh"
                && *user == id
                && *email == asked
                && *version == 3
                && *now == at()
                && *expires == at() + chrono::Duration::hours(24)
        })
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    ports
        .mailer
        .expect_send_verification()
        .withf(move |mail| mail.to == told && mail.change && mail.token == "fresh")
        .times(1)
        .returning(|_| Ok(()));
    let notified = old.clone();
    ports
        .mailer
        .expect_send_email_change()
        .withf(move |mail| mail.to == notified && mail.new_email.as_str() == "new@example.com")
        .times(1)
        .returning(|_| Ok(()));
    ports.users.expect_rename().never();
    let events = ports.events.clone();
    let changes = ProfileChanges {
        email: Some(new),
        current_password: Some("right".into()),
        ..ProfileChanges::default()
    };

    let updated = ports.service().update_profile(&principal, changes).await;

    assert_eq!(updated.expect("asked").email, old, "nothing changes yet");
    assert_eq!(kinds(&events), [SecurityEventKind::EmailChangeRequested]);
}

#[tokio::test]
async fn an_email_change_to_a_taken_address_or_past_the_budget_sends_nothing() {
    for taken in [true, false] {
        let mut ports = Ports::new().password_is("right");
        let principal = principal();
        with_credentials(&mut ports, &principal);
        let owner = credentials(true);
        ports
            .users
            .expect_find_credentials()
            .times(usize::from(taken))
            .returning(move |_| Ok(Some(owner.clone())));
        ports
            .limits
            .expect_take()
            .times(1)
            .returning(move |_, now, _, _| Ok((taken, now + 3_600_000)));
        ports.verifications.expect_issue().never();
        ports.mailer.expect_send_verification().never();
        ports.mailer.expect_send_email_change().never();
        let changes = ProfileChanges {
            email: Some(Email::parse("new@example.com").expect("valid")),
            current_password: Some("right".into()),
            ..ProfileChanges::default()
        };

        let result = ports.service().update_profile(&principal, changes).await;

        if taken {
            assert!(matches!(result, Err(Error::EmailTaken)), "{result:?}");
        } else {
            assert!(result.is_ok(), "{result:?}");
        }
    }
}

#[tokio::test]
async fn asking_for_the_email_the_account_has_needs_no_password_and_changes_nothing() {
    let mut ports = Ports::new();
    let principal = principal();
    ports.users.expect_rename().never();
    ports.verifications.expect_issue().never();
    let changes = ProfileChanges {
        email: Some(principal.user.email.clone()),
        ..ProfileChanges::default()
    };

    let result = ports.service().update_profile(&principal, changes).await;

    assert_eq!(result.expect("answered"), principal.user);
}

#[tokio::test]
async fn ending_someone_elses_or_an_unknown_session_is_not_found() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .sessions
        .expect_end()
        .with(eq(principal.user.id), always(), always())
        .returning(|_, _, _| Ok(false));
    let events = ports.events.clone();

    let result = ports
        .service()
        .end_session(&principal, SessionId::new_random(), "right")
        .await;

    assert!(matches!(result, Err(Error::NotFound)));
    assert_eq!(kinds(&events), []);
}

#[tokio::test]
async fn ending_a_session_is_logged_with_its_id() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    let ended = SessionId::new_random();
    ports
        .sessions
        .expect_end()
        .with(eq(principal.user.id), eq(ended), eq(at()))
        .times(1)
        .returning(|_, _, _| Ok(true));
    let events = ports.events.clone();

    let result = ports
        .service()
        .end_session(&principal, ended, "right")
        .await;

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(kinds(&events), [SecurityEventKind::SessionEnded]);
    let logged = events.lock().expect("events")[0].session_id;
    assert_eq!(logged, Some(ended));
}

#[tokio::test]
async fn ending_other_sessions_keeps_the_current_one() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .sessions
        .expect_end_all()
        .with(eq(principal.user.id), eq(principal.session_id), always())
        .times(1)
        .returning(|_, _, _| Ok(()));
    let events = ports.events.clone();

    assert!(
        ports
            .service()
            .end_other_sessions(&principal, "right")
            .await
            .is_ok()
    );
    assert_eq!(kinds(&events), [SecurityEventKind::OtherSessionsEnded]);
}

#[tokio::test]
async fn deleting_the_account_needs_the_password() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .users
        .expect_record_failed_login()
        .returning(|_, _, _| Ok(false));
    ports
        .users
        .expect_delete()
        .with(eq(principal.user.id))
        .times(1)
        .returning(|_| Ok(()));
    let service = ports.service();

    let refused = service.delete_account(&principal, "wrong").await;
    let deleted = service.delete_account(&principal, "right").await;

    assert!(matches!(refused, Err(Error::WrongPassword)));
    assert!(deleted.is_ok());
}

#[tokio::test]
async fn the_sessions_are_listed_as_stored_with_the_callers_marked() {
    let mut ports = Ports::new();
    let principal = principal();
    let current = principal.session_id.expect("a session");
    let other = SessionId::new_random();
    let stored = [current, other].map(|id| Session {
        id,
        created_at: at(),
        last_used_at: at(),
        client: ClientInfo::default(),
    });
    let id = principal.user.id;
    ports
        .sessions
        .expect_list_live()
        .with(eq(id), eq(at()))
        .times(1)
        .returning(move |_, _| Ok(stored.to_vec()));

    let listed = ports.service().sessions(&principal).await.expect("listed");

    let seen: Vec<(SessionId, bool)> = listed.iter().map(|v| (v.session.id, v.current)).collect();
    assert_eq!(seen, [(current, true), (other, false)]);
}

#[tokio::test]
async fn a_change_that_a_reset_overtook_is_refused() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("new".into())));
    ports
        .users
        .expect_change_password()
        .times(1)
        .returning(|_, _, _, _| Ok(false));
    let new = Password::parse("a brand new secret").expect("valid");

    let result = ports
        .service()
        .change_password(&principal, "right", &new)
        .await;

    assert!(matches!(result, Err(Error::Unauthorized(_))), "{result:?}");
}

#[tokio::test]
async fn the_security_events_listed_are_the_callers_own_as_stored() {
    let mut ports = Ports::new();
    let principal = principal();
    let id = principal.user.id;
    let stored = RecordedEvent {
        id: 41,
        event: SecurityEvent {
            user_id: id,
            kind: SecurityEventKind::LoginSucceeded,
            session_id: principal.session_id,
            client: ClientInfo::default(),
            at: at(),
        },
    };
    let listed = stored.clone();
    ports
        .security
        .expect_list()
        .with(eq(id), eq(Some(42)), eq(20))
        .times(1)
        .returning(move |_, _, _| Ok(vec![listed.clone()]));

    let events = ports
        .service()
        .security_events(&principal, Some(42), 20)
        .await
        .expect("listed");

    assert_eq!(events, [stored]);
}
