//! Refresh-token rotation, logout and access-token checks.

use chrono::{DateTime, Duration, Utc};
use mockall::predicate::{always, eq};
use uuid::Uuid;

use super::{Ports, at, user};
use crate::auth::Principal;
use crate::bearer::Credential;
use crate::error::{Error, Result, TokenRejection};
use crate::ports::{AccessClaims, MockTokenCodec, TokenSubject};
use crate::security_log::{SecurityEventKind, kinds};
use crate::session::{ClientInfo, Rotation, SessionId, SessionLifetime};
use crate::user::{User, UserId};

fn subject(user: User, live: bool, version: i64) -> TokenSubject {
    TokenSubject {
        user,
        token_version: version,
        credential_live: live,
    }
}

#[tokio::test]
async fn a_refresh_rotates_within_the_session() {
    let mut ports = Ports::new();
    let (session_id, account) = (SessionId::new_random(), user(true));
    let user_id = account.id;
    ports
        .sessions
        .expect_rotate()
        .withf(|presented, next, now, lifetime| {
            presented.as_str() == "hash:old"
                && next.as_str() == "hash:fresh"
                && *now == at()
                && *lifetime
                    == SessionLifetime {
                        idle: Duration::days(30),
                        absolute: Duration::days(90),
                    }
        })
        .returning(move |_, _, _, _| {
            Ok(Rotation::Rotated {
                session_id,
                user_id,
                ends_at: at() + Duration::days(60),
            })
        });
    ports
        .users
        .expect_find_token_subject()
        .with(eq(user_id), eq(Some(Credential::Session(session_id))))
        .returning(move |_, _| Ok(Some(subject(account.clone(), true, 2))));

    let tokens = ports
        .service()
        .refresh("old", &ClientInfo::default())
        .await
        .expect("rotated");

    assert_eq!(tokens.refresh_token, "fresh");
    assert_eq!(
        tokens.access_token,
        format!("access:{user_id}:Some(\"{session_id}\"):2")
    );
    assert_eq!(tokens.session_ends_at, at() + Duration::days(60));
    assert_eq!(tokens.expires_in, Duration::hours(24).num_seconds());
}

#[tokio::test]
async fn no_access_token_outlives_its_session() {
    let mut ports = Ports::new();
    let (session_id, account) = (SessionId::new_random(), user(true));
    let user_id = account.id;
    let ends_at = at() + Duration::minutes(10);
    ports.sessions.expect_rotate().returning(move |_, _, _, _| {
        Ok(Rotation::Rotated {
            session_id,
            user_id,
            ends_at,
        })
    });
    ports
        .users
        .expect_find_token_subject()
        .returning(move |_, _| Ok(Some(subject(account.clone(), true, 2))));
    ports.tokens = MockTokenCodec::new();
    ports
        .tokens
        .expect_encode()
        .withf(move |claims| claims.expires_at == ends_at)
        .times(1)
        .returning(|_| Ok("capped".into()));

    let tokens = ports
        .service()
        .refresh("old", &ClientInfo::default())
        .await
        .expect("rotated");

    assert_eq!(tokens.access_token, "capped");
    assert_eq!(tokens.expires_in, 600);
    assert_eq!(tokens.session_ends_at, ends_at);
}

#[tokio::test]
async fn a_refresh_needs_an_active_user_and_a_live_session() {
    for (active, live) in [(true, false), (false, true)] {
        let mut ports = Ports::new();
        let (session_id, account) = (SessionId::new_random(), user(active));
        let user_id = account.id;
        ports.sessions.expect_rotate().returning(move |_, _, _, _| {
            Ok(Rotation::Rotated {
                session_id,
                user_id,
                ends_at: at() + Duration::days(90),
            })
        });
        ports
            .users
            .expect_find_token_subject()
            .returning(move |_, _| Ok(Some(subject(account.clone(), live, 2))));
        ports.tokens = MockTokenCodec::new();
        ports.tokens.expect_encode().never();

        let result = ports.service().refresh("old", &ClientInfo::default()).await;

        assert!(
            matches!(result, Err(Error::Unauthorized(_))),
            "active {active}, live {live}"
        );
    }
}

#[tokio::test]
async fn a_reused_refresh_token_ends_every_session_of_its_user() {
    let mut ports = Ports::new();
    let user_id = UserId::new_random();
    ports
        .sessions
        .expect_rotate()
        .returning(move |_, _, _, _| Ok(Rotation::Reused { user_id }));
    ports
        .sessions
        .expect_end_all()
        .with(eq(user_id), eq(None), eq(at()))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let events = ports.events.clone();
    let client = ClientInfo {
        ip: Some("203.0.113.9".into()),
        ..ClientInfo::default()
    };

    let result = ports.service().refresh("stolen", &client).await;

    assert!(matches!(
        result,
        Err(Error::Unauthorized(TokenRejection::Revoked))
    ));
    assert_eq!(kinds(&events), [SecurityEventKind::RefreshTokenReused]);
    let logged = events.lock().expect("events")[0].clone();
    assert_eq!((logged.user_id, logged.client), (user_id, client));
}

#[tokio::test]
async fn an_unknown_refresh_token_is_unauthorized() {
    let mut ports = Ports::new();
    ports
        .sessions
        .expect_rotate()
        .returning(|_, _, _, _| Ok(Rotation::Invalid));
    ports.sessions.expect_end_all().never();

    assert!(matches!(
        ports
            .service()
            .refresh("nope", &ClientInfo::default())
            .await,
        Err(Error::Unauthorized(_))
    ));
}

#[tokio::test]
async fn logout_ends_the_tokens_session() {
    let mut ports = Ports::new();
    ports
        .sessions
        .expect_end_by_token()
        .withf(|hash, now| hash.as_str() == "hash:mine" && *now == at())
        .times(1)
        .returning(|_, _| Ok(()));

    assert!(ports.service().logout("mine").await.is_ok());
}

fn claims(user_id: UserId, expires_at: DateTime<Utc>, version: i64) -> AccessClaims {
    AccessClaims {
        user_id,
        issued_at: Some(at()),
        expires_at,
        not_before: None,
        token_id: Uuid::nil(),
        session_id: Some(SessionId::from(Uuid::nil())),
        token_version: version,
    }
}

async fn authenticate_with(found: Option<TokenSubject>, version: i64) -> Result<Principal> {
    let mut ports = Ports::new();
    let id = found
        .as_ref()
        .map_or_else(UserId::new_random, |s| s.user.id);
    ports
        .tokens
        .expect_decode()
        .returning(move |_| Ok(claims(id, at() + Duration::minutes(1), version)));
    ports
        .users
        .expect_find_token_subject()
        .with(eq(id), always())
        .returning(move |_, _| Ok(found.clone()));
    ports.service().authenticate("t").await
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let mut ports = Ports::new();
    ports
        .tokens
        .expect_decode()
        .returning(|_| Ok(claims(UserId::new_random(), at(), 0)));
    ports.users.expect_find_token_subject().never();

    let result = ports.service().authenticate("t").await;

    assert!(matches!(
        result,
        Err(Error::Unauthorized(TokenRejection::Expired))
    ));
}

#[tokio::test]
async fn a_token_of_a_missing_or_inactive_user_is_refused() {
    for found in [None, Some(subject(user(false), true, 0))] {
        let result = authenticate_with(found, 0).await;

        assert!(matches!(
            result,
            Err(Error::Unauthorized(TokenRejection::UnknownUser))
        ));
    }
}

#[tokio::test]
async fn a_token_of_an_ended_session_is_revoked() {
    let result = authenticate_with(Some(subject(user(true), false, 0)), 0).await;

    assert!(matches!(
        result,
        Err(Error::Unauthorized(TokenRejection::Revoked))
    ));
}

#[tokio::test]
async fn a_token_from_before_a_password_change_is_revoked() {
    let result = authenticate_with(Some(subject(user(true), true, 1)), 0).await;

    assert!(matches!(
        result,
        Err(Error::Unauthorized(TokenRejection::Revoked))
    ));
}

#[tokio::test]
async fn a_valid_token_yields_its_active_user_and_session() {
    let account = user(true);
    let id = account.id;

    let principal = authenticate_with(Some(subject(account, true, 4)), 4)
        .await
        .expect("valid");

    assert_eq!(principal.user.id, id);
    assert_eq!(principal.session_id, Some(SessionId::from(Uuid::nil())));
}

#[tokio::test]
async fn a_token_the_codec_refuses_is_unauthorized() {
    let mut ports = Ports::new();
    ports
        .tokens
        .expect_decode()
        .returning(|_| Err(TokenRejection::Invalid));

    let result = ports.service().authenticate("garbage").await;

    assert!(matches!(
        result,
        Err(Error::Unauthorized(TokenRejection::Invalid))
    ));
}

/// Whether the service takes `claims` as a bearer at [`at`].
fn admits(claims: AccessClaims) -> bool {
    let mut ports = Ports::new();
    ports
        .tokens
        .expect_decode()
        .returning(move |_| Ok(claims.clone()));
    match ports.service().bearer("t") {
        Ok(_) => true,
        Err(Error::Unauthorized(TokenRejection::Invalid)) => false,
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn a_token_issued_or_valid_only_after_a_minute_from_now_is_refused() {
    let in_an_hour = at() + Duration::hours(1);
    let with = |issued_at, not_before| AccessClaims {
        issued_at,
        not_before,
        ..claims(UserId::new_random(), in_an_hour, 0)
    };
    let soon = Some(at() + Duration::seconds(60));
    let later = Some(at() + Duration::seconds(61));

    assert!(admits(with(soon, soon)), "within the clocks' leeway");
    assert!(!admits(with(later, None)), "issued in the future");
    assert!(!admits(with(Some(at()), later)), "not valid yet");
}

#[test]
fn a_token_without_a_session_lives_at_most_the_external_lifetime() {
    let without_session = |issued_at, lives: Duration| AccessClaims {
        session_id: None,
        issued_at,
        ..claims(UserId::new_random(), at() + lives, 0)
    };
    let a_day = Duration::days(1);

    assert!(admits(without_session(Some(at()), a_day)));
    assert!(!admits(without_session(
        Some(at()),
        a_day + Duration::seconds(1)
    )));
    assert!(
        !admits(without_session(Some(at() - a_day), Duration::seconds(1))),
        "issued two days before it expires"
    );
    assert!(admits(without_session(None, a_day)), "no iat: from now");
    assert!(!admits(without_session(None, a_day * 2)));
    assert!(
        admits(claims(UserId::new_random(), at() + a_day * 2, 0)),
        "a session's own token is not capped"
    );
}
