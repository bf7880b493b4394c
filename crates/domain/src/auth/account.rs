//! The signed-in user's own account: sessions, profile, password and
//! deletion.

use super::events::Origin;
use super::{AuthService, Principal, ProfileChanges, SessionView};
use crate::error::{Error, Result, TokenRejection};
use crate::security_log::SecurityEventKind;
use crate::session::SessionId;
use crate::user::{Password, User};

impl AuthService {
    /// The caller's live sessions, marking the one they came through.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>> {
        let sessions = self
            .ports
            .sessions
            .list_live(principal.user.id, self.ports.clock.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: Some(session.id) == principal.session_id,
                session,
            })
            .collect())
    }

    /// Ends one of the caller's sessions, after confirming their password.
    ///
    /// # Errors
    /// [`Error::WrongPassword`]; [`Error::NotFound`] when the caller has no
    /// such live session.
    pub async fn end_session(
        &self,
        principal: &Principal,
        id: SessionId,
        password: &str,
    ) -> Result<()> {
        self.confirm_password(principal, password).await?;
        let ended = self
            .ports
            .sessions
            .end(principal.user.id, id, self.ports.clock.now())
            .await?;
        if !ended {
            return Err(Error::NotFound);
        }
        let origin = Origin {
            session_id: Some(id),
            client: &principal.client,
        };
        let kind = SecurityEventKind::SessionEnded;
        self.log_event(principal.user.id, kind, origin).await;
        Ok(())
    }

    /// Ends every session of the caller but the current one, after
    /// confirming their password.
    ///
    /// # Errors
    /// [`Error::WrongPassword`].
    pub async fn end_other_sessions(&self, principal: &Principal, password: &str) -> Result<()> {
        self.confirm_password(principal, password).await?;
        self.ports
            .sessions
            .end_all(
                principal.user.id,
                principal.session_id,
                self.ports.clock.now(),
            )
            .await?;
        let kind = SecurityEventKind::OtherSessionsEnded;
        self.log_event(principal.user.id, kind, Origin::of(principal))
            .await;
        Ok(())
    }

    /// Changes the caller's name and/or email. An email change needs the
    /// current password.
    ///
    /// # Errors
    /// [`Error::ConfirmationRequired`] when the email changes without a
    /// password; [`Error::WrongPassword`]; [`Error::EmailTaken`].
    pub async fn update_profile(
        &self,
        principal: &Principal,
        changes: ProfileChanges,
    ) -> Result<User> {
        if changes.email.is_some() {
            let password = changes
                .current_password
                .as_deref()
                .ok_or(Error::ConfirmationRequired)?;
            self.confirm_password(principal, password).await?;
        }
        if changes.name.is_none() && changes.email.is_none() {
            return Ok(principal.user.clone());
        }
        let now = self.ports.clock.now();
        let email_changes = changes
            .email
            .as_ref()
            .is_some_and(|email| *email != principal.user.email);
        let updated = self
            .ports
            .users
            .update_profile(principal.user.id, changes.name, changes.email, now)
            .await?;
        if email_changes {
            let kind = SecurityEventKind::EmailChanged;
            self.log_event(updated.id, kind, Origin::of(principal))
                .await;
        }
        Ok(updated)
    }

    /// Sets a new password. Every access and refresh token issued before
    /// stops working, and every session ends.
    ///
    /// # Errors
    /// [`Error::WrongPassword`] when `current` is wrong;
    /// [`Error::Unauthorized`] when the password changed meanwhile.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &Password,
    ) -> Result<()> {
        let checked = self.confirm_password(principal, current).await?;
        let hash = self.ports.hasher.hash(new.expose()).await?;
        let changed = self
            .ports
            .users
            .change_password(
                principal.user.id,
                hash,
                checked.token_version,
                self.ports.clock.now(),
            )
            .await?;
        if changed {
            let kind = SecurityEventKind::PasswordChanged;
            self.log_event(principal.user.id, kind, Origin::of(principal))
                .await;
            Ok(())
        } else {
            // A reset or another change came between the check and now.
            Err(Error::Unauthorized(TokenRejection::Revoked))
        }
    }

    /// Deletes the caller's account and everything it owns.
    ///
    /// # Errors
    /// [`Error::WrongPassword`].
    pub async fn delete_account(&self, principal: &Principal, password: &str) -> Result<()> {
        self.confirm_password(principal, password).await?;
        self.ports.users.delete(principal.user.id).await
    }
}
