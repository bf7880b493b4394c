//! TOTP turned on and off, and sign-in finished with a code.

use chrono::Duration;
use mockall::predicate::{always, eq};

use super::{Ports, at, credentials, principal};
use crate::auth::{Principal, SignIn};
use crate::error::Error;
use crate::second_factor::{
    Challenge, Proof, RecoveryCode, TotpCode, TotpFactor, TotpSecret, time_step,
};
use crate::security_log::{SecurityEventKind, kinds};
use crate::session::{ClientInfo, TokenHash};
use crate::user::Credentials;

fn factor(enabled: bool) -> TotpFactor {
    TotpFactor {
        secret: TotpSecret::from_bytes(b"12345678901234567890"),
        enabled,
        last_step: None,
    }
}

/// The code of the current step (see [`Ports::codes_by_step`]).
fn current_code() -> Proof {
    Proof::Totp(TotpCode::parse("000000").expect("six digits"))
}

impl Ports {
    /// Codes are 000000 for the current step, 111111 and 222222 for the
    /// one before and after, and 333333 for any other: 999999 is never
    /// right.
    fn codes_by_step(mut self) -> Self {
        let current = time_step(at());
        self.codes.expect_code().returning(move |_, step| {
            let digit = match step - current {
                0 => 0,
                -1 => 1,
                1 => 2,
                _ => 3,
            };
            digit.to_string().repeat(6)
        });
        self
    }

    /// An account with TOTP `enabled` (or pending) whose stored
    /// credentials are `found`.
    fn with_factor(mut self, found: &Credentials, enabled: bool) -> Self {
        let id = found.user.id;
        self.factors
            .expect_totp()
            .with(eq(id))
            .returning(move |_| Ok(Some(factor(enabled))));
        self
    }

    /// The signed-in `signed_in` with TOTP on, password "right", codes by
    /// step and every step unused (a wrong code counts, as
    /// `record_failed_login` is expected `failures` times).
    fn signed_in_with_totp(signed_in: &Principal, failures: usize) -> Self {
        let mut found = credentials(true);
        found.user = signed_in.user.clone();
        let stored = found.clone();
        let mut ports = Self::new()
            .password_is("right")
            .codes_by_step()
            .with_factor(&found, true);
        ports
            .users
            .expect_find_credentials_by_id()
            .returning(move |_| Ok(Some(stored.clone())));
        ports
            .factors
            .expect_use_totp_step()
            .returning(|_, _| Ok(true));
        ports
            .users
            .expect_record_failed_login()
            .times(failures)
            .returning(|_, _, _| Ok(false));
        ports
    }

    /// A stored challenge "pending" of `found`, issued under `version`.
    fn with_challenge(mut self, found: &Credentials, version: i64) -> Self {
        let (stored, id) = (found.clone(), found.user.id);
        self.factors
            .expect_find_challenge()
            .with(eq(TokenHash::new("hash:pending".into())), eq(at()))
            .returning(move |_, _| {
                Ok(Some(Challenge {
                    user_id: id,
                    token_version: version,
                }))
            });
        self.users
            .expect_find_credentials_by_id()
            .with(eq(id))
            .returning(move |_| Ok(Some(stored.clone())));
        self
    }
}

#[tokio::test]
async fn a_right_password_with_totp_on_answers_a_challenge_and_starts_no_session() {
    let mut ports = Ports::new().password_is("right");
    let found = credentials(true);
    let (id, stored) = (found.user.id, found.clone());
    ports
        .users
        .expect_find_credentials()
        .returning(move |_| Ok(Some(stored.clone())));
    ports = ports.with_factor(&found, true);
    ports
        .factors
        .expect_issue_challenge()
        .withf(move |hash, challenge, now, expires| {
            hash.as_str() == "hash:fresh"
                && challenge.user_id == id
                && challenge.token_version == 3
                && *now == at()
                && *expires == at() + Duration::minutes(5)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    ports.users.expect_clear_failed_logins().never();
    ports.sessions.expect_start().never();

    let answer = ports
        .service()
        .login("ada@example.com", "right", ClientInfo::default())
        .await;

    match answer {
        Ok(SignIn::SecondFactorRequired {
            challenge,
            expires_at,
        }) => {
            assert_eq!(challenge, "fresh");
            assert_eq!(expires_at, at() + Duration::minutes(5));
        }
        other => panic!("expected a challenge, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pending_enrolment_does_not_ask_for_a_code_at_sign_in() {
    let mut ports = Ports::new().password_is("right");
    let found = credentials(true);
    let stored = found.clone();
    ports
        .users
        .expect_find_credentials()
        .returning(move |_| Ok(Some(stored.clone())));
    ports = ports.with_factor(&found, false);
    ports.factors.expect_issue_challenge().never();
    ports
        .users
        .expect_clear_failed_logins()
        .returning(|_, _| Ok(true));
    ports.sessions.expect_start().times(1).returning(|_| Ok(()));

    let answer = ports
        .service()
        .login("ada@example.com", "right", ClientInfo::default())
        .await;

    assert!(matches!(answer, Ok(SignIn::Complete(_))), "{answer:?}");
}

#[tokio::test]
async fn the_current_code_finishes_the_sign_in_once_and_clears_the_failures() {
    let found = credentials(true);
    let id = found.user.id;
    let mut ports = Ports::new()
        .codes_by_step()
        .with_factor(&found, true)
        .with_challenge(&found, 3);
    ports
        .factors
        .expect_use_totp_step()
        .with(eq(id), eq(time_step(at())))
        .times(1)
        .returning(|_, _| Ok(true));
    ports
        .factors
        .expect_redeem_challenge()
        .with(eq(TokenHash::new("hash:pending".into())), eq(at()))
        .times(1)
        .returning(|_, _| Ok(true));
    ports
        .users
        .expect_clear_failed_logins()
        .with(eq(id), eq(at()))
        .times(1)
        .returning(|_, _| Ok(true));
    ports.users.expect_record_failed_login().never();
    ports.sessions.expect_start().times(1).returning(|_| Ok(()));
    let events = ports.events.clone();

    let tokens = ports
        .service()
        .finish_login("pending", &current_code(), ClientInfo::default())
        .await
        .expect("signed in");

    assert_eq!(tokens.user.id, id);
    assert_eq!(kinds(&events), [SecurityEventKind::LoginSucceeded]);
    assert!(
        tokens.access_token.ends_with(":3"),
        "{}",
        tokens.access_token
    );
}

#[tokio::test]
async fn a_wrong_or_reused_code_is_counted_and_keeps_the_challenge() {
    for (code, step_unused) in [("999999", true), ("000000", false)] {
        let found = credentials(true);
        let id = found.user.id;
        let mut ports = Ports::new()
            .codes_by_step()
            .with_factor(&found, true)
            .with_challenge(&found, 3);
        ports
            .factors
            .expect_use_totp_step()
            .returning(move |_, _| Ok(step_unused));
        ports
            .users
            .expect_record_failed_login()
            .with(eq(id), eq(at()), always())
            .times(1)
            .returning(|_, _, _| Ok(false));
        ports.factors.expect_redeem_challenge().never();
        ports.users.expect_clear_failed_logins().never();
        ports.sessions.expect_start().never();
        let proof = Proof::Totp(TotpCode::parse(code).expect("six digits"));
        let events = ports.events.clone();

        let result = ports
            .service()
            .finish_login("pending", &proof, ClientInfo::default())
            .await;

        assert!(
            matches!(result, Err(Error::InvalidSecondFactor)),
            "{code}: {result:?}"
        );
        assert_eq!(kinds(&events), [SecurityEventKind::SecondFactorFailed]);
    }
}

#[tokio::test]
async fn a_recovery_code_is_used_up_by_its_hash() {
    let found = credentials(true);
    let id = found.user.id;
    let mut ports = Ports::new()
        .with_factor(&found, true)
        .with_challenge(&found, 3);
    ports
        .factors
        .expect_use_recovery_code()
        .with(
            eq(id),
            eq(TokenHash::new("hash:ABCDEFGHIJKLMNOPQR27".into())),
            eq(at()),
        )
        .times(1)
        .returning(|_, _, _| Ok(true));
    ports
        .factors
        .expect_redeem_challenge()
        .returning(|_, _| Ok(true));
    ports
        .users
        .expect_clear_failed_logins()
        .returning(|_, _| Ok(true));
    ports.sessions.expect_start().times(1).returning(|_| Ok(()));
    let proof = Proof::Recovery(RecoveryCode::parse("abcde-fghij-klmno-pqr27").expect("valid"));
    let events = ports.events.clone();

    let result = ports
        .service()
        .finish_login("pending", &proof, ClientInfo::default())
        .await;

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        kinds(&events),
        [
            SecurityEventKind::RecoveryCodeUsed,
            SecurityEventKind::LoginSucceeded
        ]
    );
}

#[tokio::test]
async fn an_unknown_used_or_outdated_challenge_is_refused_before_any_code_check() {
    let mut unknown = Ports::new();
    unknown
        .factors
        .expect_find_challenge()
        .returning(|_, _| Ok(None));
    let found = credentials(true);
    // Issued under token version 2; the password has changed since (3).
    let outdated = Ports::new().with_challenge(&found, 2);

    for ports in [unknown, outdated] {
        let mut ports = ports;
        ports.codes.expect_code().never();
        ports.users.expect_record_failed_login().never();

        let result = ports
            .service()
            .finish_login("pending", &current_code(), ClientInfo::default())
            .await;

        assert!(matches!(result, Err(Error::InvalidChallenge)), "{result:?}");
    }
}

#[tokio::test]
async fn a_locked_account_cannot_finish_its_sign_in() {
    let mut found = credentials(true);
    found.locked_until = Some(at() + Duration::seconds(1));
    let mut ports = Ports::new().with_challenge(&found, 3);
    ports.codes.expect_code().never();

    let result = ports
        .service()
        .finish_login("pending", &current_code(), ClientInfo::default())
        .await;

    assert!(
        matches!(
            result,
            Err(Error::AccountLocked {
                retry_after_secs: 1
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_challenge_used_meanwhile_or_a_lock_set_meanwhile_starts_no_session() {
    for (redeemed, cleared, expected) in [(false, true, "challenge"), (true, false, "code")] {
        let found = credentials(true);
        let mut ports = Ports::new()
            .codes_by_step()
            .with_factor(&found, true)
            .with_challenge(&found, 3);
        ports
            .factors
            .expect_use_totp_step()
            .returning(|_, _| Ok(true));
        ports
            .factors
            .expect_redeem_challenge()
            .returning(move |_, _| Ok(redeemed));
        ports
            .users
            .expect_clear_failed_logins()
            .returning(move |_, _| Ok(cleared));
        ports.sessions.expect_start().never();

        let result = ports
            .service()
            .finish_login("pending", &current_code(), ClientInfo::default())
            .await;

        let refused = match expected {
            "challenge" => matches!(result, Err(Error::InvalidChallenge)),
            _ => matches!(result, Err(Error::InvalidSecondFactor)),
        };
        assert!(refused, "{expected}: {result:?}");
    }
}

#[tokio::test]
async fn enrolment_needs_the_password_and_is_refused_when_totp_is_on() {
    for on in [false, true] {
        let mut ports = Ports::new().password_is("right");
        let signed_in = principal();
        let mut found = credentials(true);
        found.user = signed_in.user.clone();
        ports
            .users
            .expect_find_credentials_by_id()
            .returning(move |_| Ok(Some(found.clone())));
        ports
            .codes
            .expect_new_secret()
            .returning(|| Ok(TotpSecret::from_bytes(b"12345678901234567890")));
        ports
            .factors
            .expect_begin_totp()
            .withf(|_, secret, now| {
                secret.expose() == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" && *now == at()
            })
            .times(1)
            .returning(move |_, _, _| Ok(!on));
        ports
            .users
            .expect_record_failed_login()
            .times(1)
            .returning(|_, _, _| Ok(false));
        let service = ports.service();

        let wrong = service.begin_totp(&signed_in, "wrong").await;
        let result = service.begin_totp(&signed_in, "right").await;

        assert!(matches!(wrong, Err(Error::WrongPassword)), "{wrong:?}");
        if on {
            assert!(
                matches!(result, Err(Error::SecondFactorEnabled)),
                "{result:?}"
            );
        } else {
            let enrolment = result.expect("begun");
            assert!(
                enrolment
                    .otpauth_uri
                    .starts_with("otpauth://totp/TaskPulse:ada%40example.com?secret=GEZDGNBV"),
                "{}",
                enrolment.otpauth_uri
            );
        }
    }
}

#[tokio::test]
async fn the_first_code_turns_totp_on_with_ten_hashed_recovery_codes_and_ends_other_sessions() {
    let signed_in = principal();
    let mut found = credentials(true);
    found.user = signed_in.user.clone();
    let (id, current) = (found.user.id, signed_in.session_id);
    let mut ports = Ports::new().codes_by_step().with_factor(&found, false);
    let mut made = 0u8;
    ports
        .codes
        .expect_recovery_code()
        .times(10)
        .returning(move || {
            made += 1;
            Ok(RecoveryCode::from_bytes(&[made; 13]))
        });
    ports
        .factors
        .expect_enable_totp()
        .withf(move |user, _, step, hashes, now| {
            *user == id
                && *step == time_step(at())
                && hashes.len() == 10
                && hashes[0]
                    == TokenHash::new(format!(
                        "hash:{}",
                        RecoveryCode::from_bytes(&[1; 13]).canonical()
                    ))
                && *now == at()
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(true));
    ports
        .sessions
        .expect_end_all()
        .with(eq(id), eq(current), eq(at()))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let events = ports.events.clone();

    let codes = ports
        .service()
        .confirm_totp(&signed_in, &TotpCode::parse("000000").expect("six digits"))
        .await
        .expect("turned on");

    assert_eq!(kinds(&events), [SecurityEventKind::TotpEnabled]);
    assert_eq!(codes.len(), 10);
    assert_eq!(codes[9], RecoveryCode::from_bytes(&[10; 13]));
}

#[tokio::test]
async fn a_wrong_first_code_or_no_enrolment_turns_nothing_on() {
    let signed_in = principal();
    let mut found = credentials(true);
    found.user = signed_in.user.clone();
    let mut wrong = Ports::new().codes_by_step().with_factor(&found, false);
    wrong.factors.expect_enable_totp().never();
    let mut none = Ports::new();
    none.factors.expect_totp().returning(|_| Ok(None));
    let mut on = Ports::new().with_factor(&found, true);
    on.factors.expect_enable_totp().never();
    let code = TotpCode::parse("999999").expect("six digits");

    let wrong = wrong.service().confirm_totp(&signed_in, &code).await;
    let none = none.service().confirm_totp(&signed_in, &code).await;
    let on = on.service().confirm_totp(&signed_in, &code).await;

    assert!(matches!(wrong, Err(Error::WrongSecondFactor)), "{wrong:?}");
    assert!(matches!(none, Err(Error::NoPendingEnrolment)), "{none:?}");
    assert!(matches!(on, Err(Error::SecondFactorEnabled)), "{on:?}");
}

#[tokio::test]
async fn turning_totp_off_needs_the_password_and_a_code_and_counts_a_wrong_code() {
    for right_code in [true, false] {
        let signed_in = principal();
        let id = signed_in.user.id;
        let mut ports = Ports::signed_in_with_totp(&signed_in, usize::from(!right_code));
        ports
            .factors
            .expect_disable_totp()
            .with(eq(id))
            .times(usize::from(right_code))
            .returning(|_| Ok(true));
        ports
            .sessions
            .expect_end_all()
            .times(usize::from(right_code))
            .returning(|_, _, _| Ok(()));
        let code = if right_code { "000000" } else { "999999" };
        let proof = Proof::Totp(TotpCode::parse(code).expect("six digits"));
        let events = ports.events.clone();

        let result = ports
            .service()
            .disable_totp(&signed_in, "right", &proof)
            .await;

        if right_code {
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(kinds(&events), [SecurityEventKind::TotpDisabled]);
        } else {
            assert!(
                matches!(result, Err(Error::WrongSecondFactor)),
                "{result:?}"
            );
            assert_eq!(kinds(&events), [SecurityEventKind::SecondFactorFailed]);
        }
    }
}

#[tokio::test]
async fn new_recovery_codes_need_the_password_and_a_code_and_replace_the_old() {
    for right_code in [true, false] {
        let signed_in = principal();
        let id = signed_in.user.id;
        let mut ports = Ports::signed_in_with_totp(&signed_in, usize::from(!right_code));
        let mut made = 0u8;
        ports
            .codes
            .expect_recovery_code()
            .times(if right_code { 10 } else { 0 })
            .returning(move || {
                made += 1;
                Ok(RecoveryCode::from_bytes(&[made; 13]))
            });
        ports
            .factors
            .expect_replace_recovery_codes()
            .withf(move |user, hashes| *user == id && hashes.len() == 10)
            .times(usize::from(right_code))
            .returning(|_, _| Ok(true));
        let code = if right_code { "000000" } else { "999999" };
        let proof = Proof::Totp(TotpCode::parse(code).expect("six digits"));
        let events = ports.events.clone();

        let result = ports
            .service()
            .regenerate_recovery_codes(&signed_in, "right", &proof)
            .await;

        if right_code {
            let codes = result.expect("replaced");
            assert_eq!(codes.len(), 10);
            assert_eq!(codes[0], RecoveryCode::from_bytes(&[1; 13]));
            assert_eq!(
                kinds(&events),
                [SecurityEventKind::RecoveryCodesRegenerated]
            );
        } else {
            assert!(
                matches!(result, Err(Error::WrongSecondFactor)),
                "{result:?}"
            );
        }
    }
}

#[tokio::test]
async fn new_recovery_codes_need_totp_on() {
    let signed_in = principal();
    let mut found = credentials(true);
    found.user = signed_in.user.clone();
    let stored = found.clone();
    let mut ports = Ports::new().password_is("right").with_factor(&found, false);
    ports
        .users
        .expect_find_credentials_by_id()
        .returning(move |_| Ok(Some(stored.clone())));
    ports.factors.expect_replace_recovery_codes().never();

    let result = ports
        .service()
        .regenerate_recovery_codes(&signed_in, "right", &current_code())
        .await;

    assert!(
        matches!(result, Err(Error::SecondFactorNotEnabled)),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_status_counts_unused_recovery_codes_only_while_totp_is_on() {
    for on in [true, false] {
        let signed_in = principal();
        let mut found = credentials(true);
        found.user = signed_in.user.clone();
        let mut ports = Ports::new().with_factor(&found, on);
        ports
            .factors
            .expect_recovery_codes_left()
            .times(usize::from(on))
            .returning(|_| Ok(7));

        let status = ports
            .service()
            .second_factor(&signed_in)
            .await
            .expect("answered");

        assert_eq!(status.totp_enabled, on);
        assert_eq!(status.recovery_codes_left, if on { 7 } else { 0 });
    }
}
