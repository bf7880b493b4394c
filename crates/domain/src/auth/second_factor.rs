//! The second factor: turning TOTP on and off, and finishing a sign-in
//! that passed the password with a current code or a recovery code.

use chrono::{DateTime, Utc};

use super::events::Origin;
use super::{AuthService, Principal, SignIn, Tokens};
use crate::error::{Error, Result};
use crate::second_factor::{
    CHALLENGE_TTL, Challenge, Proof, RECOVERY_CODES, RecoveryCode, TotpCode, TotpFactor,
    TotpSecret, matching_step,
};
use crate::security_log::SecurityEventKind;
use crate::session::{ClientInfo, TokenHash};
use crate::user::{Credentials, User, UserId};

/// A TOTP secret waiting for its first code, as shown to its user once.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The shared secret.
    pub secret: TotpSecret,
    /// The `otpauth://` URI of the secret, for a QR code.
    pub otpauth_uri: String,
}

/// Which second factors an account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactorStatus {
    /// Whether sign-in asks for a TOTP code.
    pub totp_enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: usize,
}

impl AuthService {
    /// Whether sign-in of `user` asks for a second factor.
    pub(super) async fn second_factor_on(&self, user: UserId) -> Result<bool> {
        let factor = self.ports.factors.totp(user).await?;
        Ok(factor.is_some_and(|factor| factor.enabled))
    }

    /// The answer to a right password when a second factor is on: a new
    /// single-use challenge, valid for [`CHALLENGE_TTL`].
    pub(super) async fn challenge(&self, user: &User, token_version: i64) -> Result<SignIn> {
        let now = self.ports.clock.now();
        let (challenge, hash) = self.ports.opaque.generate()?;
        let expires_at = now + CHALLENGE_TTL;
        self.ports
            .factors
            .issue_challenge(
                &hash,
                Challenge {
                    user_id: user.id,
                    token_version,
                },
                now,
                expires_at,
            )
            .await?;
        Ok(SignIn::SecondFactorRequired {
            challenge,
            expires_at,
        })
    }

    /// Finishes a sign-in that [`login`](Self::login) answered with a
    /// challenge: a right proof starts the session and uses the challenge
    /// up. A wrong code counts towards the lock-out as a wrong password
    /// does, and a code is good once.
    ///
    /// # Errors
    /// [`Error::InvalidChallenge`] for an unknown, expired or used
    /// challenge, or one issued before the password last changed;
    /// [`Error::InvalidSecondFactor`] for a wrong or reused code;
    /// [`Error::AccountLocked`] while failures lock the account;
    /// [`Error::AccountDisabled`] when it was deactivated meanwhile.
    pub async fn finish_login(
        &self,
        challenge: &str,
        proof: &Proof,
        client: ClientInfo,
    ) -> Result<Tokens> {
        let hash = self.ports.opaque.hash(challenge);
        let now = self.ports.clock.now();
        let pending = self.ports.factors.find_challenge(&hash, now).await?;
        let pending = pending.ok_or(Error::InvalidChallenge)?;
        let credentials = self
            .ports
            .users
            .find_credentials_by_id(pending.user_id)
            .await?
            .filter(|found| found.token_version == pending.token_version)
            .ok_or(Error::InvalidChallenge)?;
        self.refuse_locked(&credentials)?;
        if !credentials.user.is_active {
            return Err(Error::AccountDisabled);
        }
        let factor = self.enabled_factor(pending.user_id).await?;
        let factor = factor.ok_or(Error::InvalidChallenge)?;
        let origin = Origin::anonymous(&client);
        if !self
            .proof_holds(&credentials, &factor, proof, now, origin)
            .await?
        {
            return Err(Error::InvalidSecondFactor);
        }
        if !self.ports.factors.redeem_challenge(&hash, now).await? {
            return Err(Error::InvalidChallenge);
        }
        if !self
            .ports
            .users
            .clear_failed_logins(pending.user_id, now)
            .await?
        {
            return Err(Error::InvalidSecondFactor);
        }
        let succeeded = SecurityEventKind::LoginSucceeded;
        self.start_session(
            credentials.user,
            credentials.token_version,
            client,
            succeeded,
        )
        .await
    }

    /// Starts turning TOTP on for the caller, after confirming their
    /// password: a new secret that [`confirm_totp`](Self::confirm_totp)
    /// turns on with its first code (a pending one is replaced).
    ///
    /// # Errors
    /// [`Error::WrongPassword`]; [`Error::SecondFactorEnabled`] when TOTP is
    /// on already.
    pub async fn begin_totp(&self, principal: &Principal, password: &str) -> Result<TotpEnrolment> {
        let credentials = self.confirm_password(principal, password).await?;
        let secret = self.ports.codes.new_secret()?;
        let now = self.ports.clock.now();
        if !self
            .ports
            .factors
            .begin_totp(principal.user.id, &secret, now)
            .await?
        {
            return Err(Error::SecondFactorEnabled);
        }
        Ok(TotpEnrolment {
            otpauth_uri: secret.otpauth_uri(&credentials.user.email),
            secret,
        })
    }

    /// Turns TOTP on with the first code of the pending secret, and answers
    /// [`RECOVERY_CODES`] new single-use recovery codes (shown this once,
    /// stored hashed). Every other session of the caller ends.
    ///
    /// # Errors
    /// [`Error::NoPendingEnrolment`] when none was started;
    /// [`Error::SecondFactorEnabled`] when TOTP is on already;
    /// [`Error::WrongSecondFactor`] when the code is not the secret's.
    pub async fn confirm_totp(
        &self,
        principal: &Principal,
        code: &TotpCode,
    ) -> Result<Vec<RecoveryCode>> {
        let user = principal.user.id;
        let factor = match self.ports.factors.totp(user).await? {
            Some(factor) if factor.enabled => return Err(Error::SecondFactorEnabled),
            Some(pending) => pending,
            None => return Err(Error::NoPendingEnrolment),
        };
        let now = self.ports.clock.now();
        let step = matching_step(self.ports.codes.as_ref(), &factor, code, now)
            .ok_or(Error::WrongSecondFactor)?;
        let (recovery, hashes) = self.new_recovery_codes()?;
        if !self
            .ports
            .factors
            .enable_totp(user, &factor.secret, step, &hashes, now)
            .await?
        {
            return Err(Error::NoPendingEnrolment);
        }
        self.ports
            .sessions
            .end_all(user, principal.session_id, now)
            .await?;
        let kind = SecurityEventKind::TotpEnabled;
        self.log_event(user, kind, Origin::of(principal)).await;
        Ok(recovery)
    }

    /// Turns TOTP off after the caller's password and a proof of the
    /// factor (a wrong code counts towards the lock-out). Every other
    /// session of the caller ends.
    ///
    /// # Errors
    /// [`Error::WrongPassword`]; [`Error::SecondFactorNotEnabled`];
    /// [`Error::WrongSecondFactor`].
    pub async fn disable_totp(
        &self,
        principal: &Principal,
        password: &str,
        proof: &Proof,
    ) -> Result<()> {
        let user = principal.user.id;
        let credentials = self.confirm_password(principal, password).await?;
        let factor = self.enabled_factor(user).await?;
        let factor = factor.ok_or(Error::SecondFactorNotEnabled)?;
        let now = self.ports.clock.now();
        let origin = Origin::of(principal);
        if !self
            .proof_holds(&credentials, &factor, proof, now, origin)
            .await?
        {
            return Err(Error::WrongSecondFactor);
        }
        if !self.ports.factors.disable_totp(user).await? {
            return Err(Error::SecondFactorNotEnabled);
        }
        self.ports
            .sessions
            .end_all(user, principal.session_id, now)
            .await?;
        self.log_event(user, SecurityEventKind::TotpDisabled, origin)
            .await;
        Ok(())
    }

    /// Replaces the caller's recovery codes, used or not, with
    /// [`RECOVERY_CODES`] new ones (shown this once, stored hashed), after
    /// their password and a proof of the factor (a wrong code counts
    /// towards the lock-out).
    ///
    /// # Errors
    /// [`Error::WrongPassword`]; [`Error::SecondFactorNotEnabled`];
    /// [`Error::WrongSecondFactor`].
    pub async fn regenerate_recovery_codes(
        &self,
        principal: &Principal,
        password: &str,
        proof: &Proof,
    ) -> Result<Vec<RecoveryCode>> {
        let user = principal.user.id;
        let credentials = self.confirm_password(principal, password).await?;
        let factor = self.enabled_factor(user).await?;
        let factor = factor.ok_or(Error::SecondFactorNotEnabled)?;
        let now = self.ports.clock.now();
        let origin = Origin::of(principal);
        if !self
            .proof_holds(&credentials, &factor, proof, now, origin)
            .await?
        {
            return Err(Error::WrongSecondFactor);
        }
        let (recovery, hashes) = self.new_recovery_codes()?;
        if !self
            .ports
            .factors
            .replace_recovery_codes(user, &hashes)
            .await?
        {
            return Err(Error::SecondFactorNotEnabled);
        }
        let kind = SecurityEventKind::RecoveryCodesRegenerated;
        self.log_event(user, kind, origin).await;
        Ok(recovery)
    }

    /// The caller's second factors.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn second_factor(&self, principal: &Principal) -> Result<SecondFactorStatus> {
        let user = principal.user.id;
        let totp_enabled = self.second_factor_on(user).await?;
        let recovery_codes_left = if totp_enabled {
            self.ports.factors.recovery_codes_left(user).await?
        } else {
            0
        };
        Ok(SecondFactorStatus {
            totp_enabled,
            recovery_codes_left,
        })
    }

    async fn enabled_factor(&self, user: UserId) -> Result<Option<TotpFactor>> {
        let factor = self.ports.factors.totp(user).await?;
        Ok(factor.filter(|factor| factor.enabled))
    }

    /// [`RECOVERY_CODES`] new recovery codes and their hashes.
    fn new_recovery_codes(&self) -> Result<(Vec<RecoveryCode>, Vec<TokenHash>)> {
        let codes = (0..RECOVERY_CODES)
            .map(|_| self.ports.codes.recovery_code())
            .collect::<Result<Vec<_>>>()?;
        let hashes = codes.iter().map(|code| self.recovery_hash(code)).collect();
        Ok((codes, hashes))
    }

    fn recovery_hash(&self, code: &RecoveryCode) -> TokenHash {
        self.ports.opaque.hash(code.canonical())
    }

    /// Whether `proof` holds for `factor`, using it up (a code's step, a
    /// recovery code) when it does; a failure is counted. Failures and
    /// used recovery codes are logged.
    async fn proof_holds(
        &self,
        credentials: &Credentials,
        factor: &TotpFactor,
        proof: &Proof,
        now: DateTime<Utc>,
        origin: Origin<'_>,
    ) -> Result<bool> {
        let user = credentials.user.id;
        let holds = match proof {
            Proof::Totp(code) => {
                match matching_step(self.ports.codes.as_ref(), factor, code, now) {
                    Some(step) => self.ports.factors.use_totp_step(user, step).await?,
                    None => false,
                }
            }
            Proof::Recovery(code) => {
                let hash = self.recovery_hash(code);
                self.ports
                    .factors
                    .use_recovery_code(user, &hash, now)
                    .await?
            }
        };
        if !holds {
            let kind = SecurityEventKind::SecondFactorFailed;
            self.log_event(user, kind, origin).await;
            self.count_failure(credentials, origin).await?;
        } else if matches!(proof, Proof::Recovery(_)) {
            let kind = SecurityEventKind::RecoveryCodeUsed;
            self.log_event(user, kind, origin).await;
        }
        Ok(holds)
    }
}
