//! Verified email: the link registration sends, following it, sending it
//! again, and a change of address that waits for the new one's link.

use super::events::Origin;
use super::{AuthService, Principal};
use crate::error::{Error, Result};
use crate::mail::{EmailChangeMail, VerificationMail};
use crate::rate_limit::Verdict;
use crate::security_log::SecurityEventKind;
use crate::session::ClientInfo;
use crate::user::{Email, User};
use crate::verification::VERIFICATION_MAILS;

impl AuthService {
    /// Issues a link for `user` (at `token_version`) to prove `email` and
    /// mails it there; `change` says the address is one the account is
    /// moving to.
    pub(super) async fn send_verification(
        &self,
        user: &User,
        token_version: i64,
        email: &Email,
        change: bool,
    ) -> Result<()> {
        let (token, hash) = self.ports.opaque.generate()?;
        let now = self.ports.clock.now();
        let valid_for = self.settings.verification_ttl;
        self.ports
            .verifications
            .issue(&hash, user.id, email, token_version, now, now + valid_for)
            .await?;
        let mail = VerificationMail {
            to: email.clone(),
            name: user.name.clone(),
            token,
            valid_for,
            change,
        };
        self.ports.mailer.send_verification(mail).await
    }

    /// Whether the account's budget of mails of kind `kind` (resent
    /// links, change requests: apart, so that strangers resending links
    /// cannot spend the owner's change requests) allows one more.
    async fn mail_allowed(&self, kind: &str, user: &User) -> Result<bool> {
        let key = format!("{kind}:{}", user.id);
        let verdict = self.ports.limiter.hit(&key, VERIFICATION_MAILS).await?;
        Ok(verdict == Verdict::Allowed)
    }

    /// Follows a verification link: the account's email becomes the
    /// link's address, verified (logged as a change when it was another).
    ///
    /// # Errors
    /// [`Error::InvalidVerificationToken`] for an unknown, expired or used
    /// link; [`Error::EmailTaken`] when another account took the address
    /// meanwhile.
    pub async fn verify_email(&self, token: &str, client: &ClientInfo) -> Result<()> {
        let hash = self.ports.opaque.hash(token);
        let now = self.ports.clock.now();
        let verified = self.ports.verifications.redeem(&hash, now).await?;
        let verified = verified.ok_or(Error::InvalidVerificationToken)?;
        let origin = Origin::anonymous(client);
        let user = verified.user_id;
        if verified.email != verified.previous {
            self.log_event(user, SecurityEventKind::EmailChanged, origin)
                .await;
        }
        self.log_event(user, SecurityEventKind::EmailVerified, origin)
            .await;
        Ok(())
    }

    /// Deletes the verification links that have expired; answers how
    /// many.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn purge_expired_links(&self) -> Result<u64> {
        let now = self.ports.clock.now();
        self.ports.verifications.purge(now).await
    }

    /// Sends the verification link again to `email` when an active account
    /// has it unverified and its budget allows. The answer is the same
    /// either way, so nobody learns which emails exist.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn resend_verification(&self, email: &Email) -> Result<()> {
        let Some(credentials) = self.ports.users.find_credentials(email).await? else {
            return Ok(());
        };
        let user = credentials.user;
        if !user.is_active
            || user.email_verified
            || !self.mail_allowed("verify-mail", &user).await?
        {
            return Ok(());
        }
        let version = credentials.token_version;
        self.send_verification(&user, version, &user.email, false)
            .await
    }

    /// Starts moving the caller's account to `email`: a link goes to the
    /// new address, a notice to the current one, and nothing changes until
    /// the link is followed. Past the account's budget of such requests,
    /// one is taken but checks and sends nothing.
    pub(super) async fn request_email_change(
        &self,
        principal: &Principal,
        token_version: i64,
        email: &Email,
    ) -> Result<()> {
        let user = &principal.user;
        if !self.mail_allowed("email-change-mail", user).await? {
            return Ok(());
        }
        if self.ports.users.find_credentials(email).await?.is_some() {
            return Err(Error::EmailTaken);
        }
        self.send_verification(user, token_version, email, true)
            .await?;
        let notice = EmailChangeMail {
            to: user.email.clone(),
            name: user.name.clone(),
            new_email: email.clone(),
        };
        self.ports.mailer.send_email_change(notice).await?;
        let kind = SecurityEventKind::EmailChangeRequested;
        self.log_event(user.id, kind, Origin::of(principal)).await;
        Ok(())
    }
}
