//! A second factor: time-based one-time passwords (TOTP, RFC 6238:
//! HMAC-SHA1, six digits, 30-second steps), single-use recovery codes, and
//! the short-lived challenge that sits between a right password and a right
//! code at sign-in.
//!
//! The rules live here and in [`AuthService`](crate::AuthService); the
//! cryptography is the [`OneTimeCodes`] port and the storage the
//! [`SecondFactorStore`] port.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use data_encoding::BASE32_NOPAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{Error, Result};
use crate::session::TokenHash;
use crate::user::{Email, UserId};

/// Seconds in one TOTP time step.
pub const STEP_SECS: i64 = 30;
/// Digits in a TOTP code.
pub const DIGITS: usize = 6;
/// Steps either side of now whose codes are accepted, for clock drift and
/// typing time.
pub const SKEW_STEPS: i64 = 1;
/// Recovery codes issued when TOTP is turned on.
pub const RECOVERY_CODES: usize = 10;
/// How long a sign-in challenge can be completed.
pub const CHALLENGE_TTL: Duration = Duration::minutes(5);
/// The issuer that authenticator apps show beside the account.
pub const ISSUER: &str = "TaskPulse";

/// The TOTP time step that `at` falls in.
pub fn time_step(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECS)
}

/// A shared TOTP secret, in base32 (RFC 4648, no padding): the form that
/// authenticator apps take. Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(String);

impl TotpSecret {
    /// The secret of these random bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(BASE32_NOPAD.encode(bytes))
    }

    /// A stored secret in base32.
    ///
    /// # Errors
    /// [`Error::Internal`] when `base32` is not base32.
    pub fn from_base32(base32: String) -> Result<Self> {
        BASE32_NOPAD
            .decode(base32.as_bytes())
            .map_err(|err| Error::internal(format!("stored TOTP secret: {err}")))?;
        Ok(Self(base32))
    }

    /// The secret in base32, to show once at enrolment and to store.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret's bytes, the HMAC key.
    pub fn bytes(&self) -> Vec<u8> {
        // `from_bytes` and `from_base32` only make valid base32.
        BASE32_NOPAD.decode(self.0.as_bytes()).unwrap_or_default()
    }

    /// The `otpauth://` URI (the Key Uri Format of authenticator apps) of
    /// this secret for `account`.
    pub fn otpauth_uri(&self, account: &Email) -> String {
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            issuer = utf8_percent_encode(ISSUER, NOT_UNRESERVED),
            account = utf8_percent_encode(account.as_str(), NOT_UNRESERVED),
            secret = self.0,
        )
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<secret>)")
    }
}

/// RFC 3986's reserved and other non-unreserved characters, which a URI
/// path or query value must carry percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a code was refused before any check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not six digits.
    #[error("must be {DIGITS} digits")]
    NotATotpCode,
    /// Not of the form of a recovery code.
    #[error("is not a recovery code")]
    NotARecoveryCode,
}

/// A six-digit code as typed (spaces between digits are dropped).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    /// Parses a typed code.
    ///
    /// # Errors
    /// [`CodeError::NotATotpCode`] unless it is six ASCII digits.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        let digits: String = raw.chars().filter(|c| *c != ' ').collect();
        if digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(CodeError::NotATotpCode)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpCode(<code>)")
    }
}

/// Characters of a recovery code, grouping aside.
pub const RECOVERY_CODE_CHARS: usize = 20;

/// A recovery code as typed: 20 base32 letters and digits, case and the
/// dashes or spaces between groups ignored.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// Parses a typed recovery code into its canonical form.
    ///
    /// # Errors
    /// [`CodeError::NotARecoveryCode`] when it is not of that form.
    pub fn parse(raw: &str) -> Result<Self, CodeError> {
        let canonical: String = raw
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let base32 = |b: u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b);
        if canonical.len() == RECOVERY_CODE_CHARS && canonical.bytes().all(base32) {
            Ok(Self(canonical))
        } else {
            Err(CodeError::NotARecoveryCode)
        }
    }

    /// A recovery code of 100 random bits.
    pub fn from_bytes(bytes: &[u8; 13]) -> Self {
        let mut canonical = BASE32_NOPAD.encode(bytes);
        canonical.truncate(RECOVERY_CODE_CHARS);
        Self(canonical)
    }

    /// The canonical form, which is what gets hashed.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The form shown to people: four groups of five, dash-separated.
    pub fn display(&self) -> String {
        let groups: Vec<&str> = (0..self.0.len())
            .step_by(5)
            .filter_map(|at| self.0.get(at..at + 5))
            .collect();
        groups.join("-")
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<code>)")
    }
}

/// What proves the second factor: a current code, or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// A code from the authenticator app.
    Totp(TotpCode),
    /// One of the single-use recovery codes.
    Recovery(RecoveryCode),
}

/// A user's TOTP factor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// The shared secret.
    pub secret: TotpSecret,
    /// Whether it is on (confirmed), or still waiting for a first code.
    pub enabled: bool,
    /// The last time step whose code was accepted: no code of it or of an
    /// earlier step is accepted again.
    pub last_step: Option<i64>,
}

/// A sign-in that passed the password and waits for the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    /// Whose sign-in it is.
    pub user_id: UserId,
    /// The account's token version when the password was checked: a
    /// password change since voids the challenge.
    pub token_version: i64,
}

/// The cryptography of the second factor.
#[cfg_attr(test, mockall::automock)]
pub trait OneTimeCodes: Send + Sync {
    /// A new random secret of 160 bits.
    ///
    /// # Errors
    /// [`Error::Internal`] when no randomness is available.
    fn new_secret(&self) -> Result<TotpSecret>;
    /// The six-digit code of `secret` for time step `step` (RFC 6238 with
    /// HMAC-SHA1).
    fn code(&self, secret: &TotpSecret, step: i64) -> String;
    /// A new random recovery code.
    ///
    /// # Errors
    /// [`Error::Internal`] when no randomness is available.
    fn recovery_code(&self) -> Result<RecoveryCode>;
}

/// The step within [`SKEW_STEPS`] of `now` whose code `code` is, and which
/// is later than `factor.last_step` (a code is good once), if any.
pub fn matching_step(
    codes: &dyn OneTimeCodes,
    factor: &TotpFactor,
    code: &TotpCode,
    now: DateTime<Utc>,
) -> Option<i64> {
    let current = time_step(now);
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .filter(|step| factor.last_step.is_none_or(|last| *step > last))
        .find(|step| same_digits(&codes.code(&factor.secret, *step), code.as_str()))
}

/// Whether two codes are equal, in time that does not depend on where
/// they differ.
fn same_digits(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Storage of second factors, recovery codes (by hash only) and sign-in
/// challenges (by hash only).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    /// The user's TOTP factor, on or pending, if any.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn totp(&self, user: UserId) -> Result<Option<TotpFactor>>;
    /// Stores `secret` as the user's pending TOTP secret, replacing a
    /// pending one. False, changing nothing, when TOTP is on already.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn begin_totp(
        &self,
        user: UserId,
        secret: &TotpSecret,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Turns TOTP on with the pending secret, if it is still `secret`, in
    /// one atomic step: `step` becomes its last used step and `recovery`
    /// the user's recovery codes (replacing any). False, changing nothing,
    /// when `secret` is not the user's pending secret.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn enable_totp(
        &self,
        user: UserId,
        secret: &TotpSecret,
        step: i64,
        recovery: &[TokenHash],
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Records `step` as the last used step of the user's TOTP factor, in
    /// one atomic step, if it is on and `step` is later than its last used
    /// one. False, changing nothing, otherwise: of two concurrent uses of
    /// one code only one succeeds.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool>;
    /// Uses up the user's unused recovery code hashed `code`, atomically.
    /// False when the user has no such unused code.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn use_recovery_code(
        &self,
        user: UserId,
        code: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// How many of the user's recovery codes are unused.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn recovery_codes_left(&self, user: UserId) -> Result<usize>;
    /// Replaces every recovery code of the user, used or not, with
    /// `codes` (hashes), while TOTP is on. False when it is not.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn replace_recovery_codes(&self, user: UserId, codes: &[TokenHash]) -> Result<bool>;
    /// Turns TOTP off: forgets its secret (pending or on) and the user's
    /// recovery codes. False when it was not on.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn disable_totp(&self, user: UserId) -> Result<bool>;
    /// Stores a sign-in challenge until `expires_at` (and may forget
    /// expired ones).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn issue_challenge(
        &self,
        hash: &TokenHash,
        challenge: Challenge,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The unused, unexpired challenge hashed `hash`. Changes nothing.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn find_challenge(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<Challenge>>;
    /// Uses up the challenge hashed `hash`, atomically: false when it is
    /// used, expired or unknown (of two concurrent uses only one succeeds).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    async fn redeem_challenge(&self, hash: &TokenHash, now: DateTime<Utc>) -> Result<bool>;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn factor(last_step: Option<i64>) -> TotpFactor {
        TotpFactor {
            secret: TotpSecret::from_bytes(b"12345678901234567890"),
            enabled: true,
            last_step,
        }
    }

    /// Codes that are the step number, zero-padded.
    fn step_codes() -> MockOneTimeCodes {
        let mut codes = MockOneTimeCodes::new();
        codes
            .expect_code()
            .returning(|_, step| format!("{:06}", step % 1_000_000));
        codes
    }

    fn code_of(step: i64) -> TotpCode {
        TotpCode::parse(&format!("{:06}", step % 1_000_000)).expect("six digits")
    }

    #[test]
    fn time_steps_are_thirty_seconds_from_the_epoch() {
        let at = |secs| Utc.timestamp_opt(secs, 0).single().expect("valid");
        assert_eq!(time_step(at(0)), 0);
        assert_eq!(time_step(at(29)), 0);
        assert_eq!(time_step(at(30)), 1);
        assert_eq!(time_step(at(59)), 1);
        assert_eq!(time_step(at(1_111_111_109)), 37_037_036);
    }

    #[test]
    fn codes_of_the_current_and_neighbouring_steps_match_and_no_others() {
        let now = Utc.timestamp_opt(3000, 0).single().expect("valid");
        let current = time_step(now);
        let codes = step_codes();

        for step in [current - 1, current, current + 1] {
            assert_eq!(
                matching_step(&codes, &factor(None), &code_of(step), now),
                Some(step)
            );
        }
        for step in [current - 2, current + 2] {
            assert_eq!(
                matching_step(&codes, &factor(None), &code_of(step), now),
                None
            );
        }
    }

    #[test]
    fn a_code_of_the_last_used_step_or_an_earlier_one_is_refused() {
        let now = Utc.timestamp_opt(3000, 0).single().expect("valid");
        let current = time_step(now);
        let codes = step_codes();

        assert_eq!(
            matching_step(&codes, &factor(Some(current)), &code_of(current), now),
            None
        );
        assert_eq!(
            matching_step(&codes, &factor(Some(current)), &code_of(current - 1), now),
            None
        );
        assert_eq!(
            matching_step(&codes, &factor(Some(current - 1)), &code_of(current), now),
            Some(current)
        );
    }

    #[test]
    fn totp_codes_are_six_digits_with_spaces_ignored() {
        assert_eq!(TotpCode::parse("123 456").map(|c| c.0), Ok("123456".into()));
        assert_eq!(TotpCode::parse("012345").map(|c| c.0), Ok("012345".into()));
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
            assert_eq!(TotpCode::parse(bad), Err(CodeError::NotATotpCode), "{bad}");
        }
    }

    #[test]
    fn recovery_codes_ignore_case_and_grouping_and_show_in_groups_of_five() {
        let code = RecoveryCode::parse("abcde-fghij-klmno-pqr27").expect("valid");
        assert_eq!(code.canonical(), "ABCDEFGHIJKLMNOPQR27");
        assert_eq!(code.display(), "ABCDE-FGHIJ-KLMNO-PQR27");
        assert_eq!(
            RecoveryCode::parse("ABCDE FGHIJ KLMNO PQR27"),
            Ok(code.clone())
        );
        for bad in [
            "ABCDE-FGHIJ-KLMNO-PQR2",
            "ABCDE-FGHIJ-KLMNO-PQR271",
            "ABCDE-FGHIJ-KLMNO-PQR18",
        ] {
            assert_eq!(
                RecoveryCode::parse(bad),
                Err(CodeError::NotARecoveryCode),
                "{bad}"
            );
        }
        let made = RecoveryCode::from_bytes(&[0xff; 13]);
        assert_eq!(RecoveryCode::parse(&made.display()), Ok(made));
    }

    #[test]
    fn the_otpauth_uri_names_issuer_account_and_parameters() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        let account = Email::parse("ada+mfa@example.com").expect("valid");

        assert_eq!(secret.expose(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            secret.otpauth_uri(&account),
            "otpauth://totp/TaskPulse:ada%2Bmfa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=TaskPulse&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(secret.bytes(), b"12345678901234567890");
        assert!(format!("{secret:?}").contains("<secret>"));
    }

    #[test]
    fn debug_output_names_codes_but_never_shows_them() {
        let totp = TotpCode::parse("123456").expect("valid");
        let recovery = RecoveryCode::parse("abcde-fghij-klmno-pqr27").expect("valid");

        assert_eq!(format!("{totp:?}"), "TotpCode(<code>)");
        assert_eq!(format!("{recovery:?}"), "RecoveryCode(<code>)");
    }

    #[test]
    fn codes_compare_whole() {
        assert!(same_digits("123456", "123456"));
        assert!(!same_digits("123456", "123457"));
        assert!(!same_digits("123456", "023456"));
        assert!(!same_digits("123456", "12345"));
    }
}
