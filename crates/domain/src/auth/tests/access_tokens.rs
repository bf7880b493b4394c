//! Personal access tokens: made with the password, within the limit,
//! shown once, looked up by hash, refused when unknown or expired, bearing
//! the token for storage to check, and touched at most once a minute.

use chrono::Duration;
use mockall::predicate::{always, eq};

use super::{Ports, at, credentials, principal};
use crate::access_token::{
    AccessToken, AccessTokenId, Expiry, Grant, MAX_LIVE_TOKENS_PER_USER, Scopes, StoredAccessToken,
    TokenName, TokenRequest,
};
use crate::auth::Principal;
use crate::bearer::Credential;
use crate::error::{Error, TokenRejection};
use crate::session::TokenHash;
use crate::user::UserId;

fn with_credentials(ports: &mut Ports, principal: &Principal) {
    let mut found = credentials(true);
    found.user = principal.user.clone();
    ports
        .users
        .expect_find_credentials_by_id()
        .returning(move |_| Ok(Some(found.clone())));
}

fn request() -> TokenRequest {
    TokenRequest {
        name: TokenName::parse("ci").expect("valid"),
        scopes: Scopes::parse(&["tasks:read"]).expect("valid"),
        expires_at: Expiry::new(Some(at() + Duration::days(30)), at()).expect("valid"),
    }
}

fn stored(user_id: UserId) -> StoredAccessToken {
    StoredAccessToken {
        id: AccessTokenId::new_random(),
        user_id,
        scopes: Scopes::parse(&["tasks:read"]).expect("valid"),
        token_version: 3,
        expires_at: None,
        last_used_at: None,
    }
}

/// A store whose `find` answers `found` for the hash of `tp_pat_secret`.
fn finding(ports: &mut Ports, found: Option<StoredAccessToken>) {
    ports
        .access_tokens
        .expect_find()
        .with(eq(TokenHash::new("sha256:tp_pat_secret".into())))
        .returning(move |_| Ok(found.clone()));
}

#[tokio::test]
async fn a_token_is_made_only_with_the_right_password() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .users
        .expect_record_failed_login()
        .times(1)
        .returning(|_, _, _| Ok(false));
    ports.access_tokens.expect_create().never();

    let result = ports
        .service()
        .create_access_token(&principal, request(), "wrong")
        .await;

    assert!(matches!(result, Err(Error::WrongPassword)));
}

#[tokio::test]
async fn a_new_token_is_shown_once_and_stored_as_its_hash_under_the_limit() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    let user_id = principal.user.id;
    with_credentials(&mut ports, &principal);
    ports
        .access_tokens
        .expect_create()
        .withf(move |new, max, now| {
            new.user_id == user_id
                && new.hash.as_str() == "sha256:tp_pat_random"
                && new.token_version == 3
                && *max == MAX_LIVE_TOKENS_PER_USER
                && *now == at()
        })
        .times(1)
        .returning(|_, _, _| Ok(()));

    let issued = ports
        .service()
        .create_access_token(&principal, request(), "right")
        .await
        .expect("created");

    assert_eq!(issued.secret, "tp_pat_random");
    assert_eq!(issued.token.name.as_str(), "ci");
    assert_eq!(issued.token.created_at, at());
    assert_eq!(issued.token.expires_at, Some(at() + Duration::days(30)));
}

#[tokio::test]
async fn the_limit_the_store_reports_is_the_answer() {
    let mut ports = Ports::new().password_is("right");
    let principal = principal();
    with_credentials(&mut ports, &principal);
    ports
        .access_tokens
        .expect_create()
        .returning(|_, _, _| Err(Error::TooManyAccessTokens));

    let result = ports
        .service()
        .create_access_token(&principal, request(), "right")
        .await;

    assert!(matches!(result, Err(Error::TooManyAccessTokens)));
}

#[tokio::test]
async fn revoking_a_token_the_caller_does_not_have_is_not_found() {
    let mut ports = Ports::new();
    let principal = principal();
    let id = AccessTokenId::new_random();
    ports
        .access_tokens
        .expect_revoke()
        .with(eq(principal.user.id), eq(id), eq(at()))
        .times(1)
        .returning(|_, _, _| Ok(false));

    let result = ports.service().revoke_access_token(&principal, id).await;

    assert!(matches!(result, Err(Error::NotFound)));
}

#[tokio::test]
async fn a_presented_token_grants_its_scopes_at_the_version_it_was_made_under() {
    let mut ports = Ports::new();
    let user_id = UserId::new_random();
    let mut found = stored(user_id);
    found.last_used_at = Some(at() - Duration::seconds(30));
    let id = found.id;
    finding(&mut ports, Some(found));
    ports.access_tokens.expect_touch().never();

    let grant = ports.service().grant("tp_pat_secret").await.expect("valid");

    let Grant::Scoped { bearer, scopes } = grant else {
        panic!("expected a scoped grant, got {grant:?}");
    };
    assert_eq!(bearer.user_id, user_id);
    assert_eq!(bearer.credential, Some(Credential::AccessToken(id)));
    assert_eq!(bearer.token_version, 3);
    assert_eq!(scopes.to_names(), "tasks:read");
}

#[tokio::test]
async fn last_use_is_written_once_a_minute_at_most() {
    let mut ports = Ports::new();
    let mut found = stored(UserId::new_random());
    found.last_used_at = Some(at() - Duration::seconds(61));
    let id = found.id;
    finding(&mut ports, Some(found));
    ports
        .access_tokens
        .expect_touch()
        .with(eq(id), eq(at() - Duration::minutes(1)), eq(at()))
        .times(1)
        .returning(|_, _, _| Ok(()));

    assert!(ports.service().grant("tp_pat_secret").await.is_ok());
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_refused() {
    let mut expired = stored(UserId::new_random());
    expired.expires_at = Some(at());
    for (found, why) in [
        (None, TokenRejection::Invalid),
        (Some(expired), TokenRejection::Expired),
    ] {
        let mut ports = Ports::new();
        finding(&mut ports, found);
        ports.access_tokens.expect_touch().never();

        let result = ports.service().grant("tp_pat_secret").await;

        assert!(
            matches!(result, Err(Error::Unauthorized(r)) if r == why),
            "{why:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_access_token_is_checked_without_the_token_store() {
    let mut ports = Ports::new();
    ports
        .tokens
        .expect_decode()
        .with(always())
        .returning(|_| Err(TokenRejection::Invalid));
    ports.access_tokens.expect_find().never();

    let result = ports.service().grant("eyJhbGciOi.x.y").await;

    assert!(matches!(
        result,
        Err(Error::Unauthorized(TokenRejection::Invalid))
    ));
}

#[tokio::test]
async fn the_tokens_listed_are_the_callers_live_ones_as_stored() {
    let mut ports = Ports::new();
    let principal = principal();
    let token = AccessToken {
        id: AccessTokenId::new_random(),
        name: TokenName::parse("ci").expect("valid"),
        scopes: Scopes::parse(&["tasks:read"]).expect("valid"),
        created_at: at() - Duration::days(2),
        last_used_at: None,
        expires_at: None,
    };
    let listed = token.clone();
    ports
        .access_tokens
        .expect_list()
        .with(eq(principal.user.id), eq(at()))
        .times(1)
        .returning(move |_, _| Ok(vec![listed.clone()]));

    let tokens = ports
        .service()
        .access_tokens(&principal)
        .await
        .expect("listed");

    assert_eq!(tokens, [token]);
}
