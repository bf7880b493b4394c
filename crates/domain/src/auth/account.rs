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

    /// Changes the caller's name, and asks for a change of their email: a
    /// link goes to the new address and the change waits for it (see
    /// [`verify_email`](Self::verify_email)); the current address is told.
    /// An email change needs the current password; asking for the email
    /// the account has changes nothing.
    ///
    /// # Errors
    /// [`Error::ConfirmationRequired`] when the email changes without a
    /// password; [`Error::WrongPassword`]; [`Error::EmailTaken`].
    pub async fn update_profile(
        &self,
        principal: &Principal,
        changes: ProfileChanges,
    ) -> Result<User> {
        let new_email = changes.email.filter(|email| *email != principal.user.email);
        if let Some(email) = &new_email {
            let password = changes
                .current_password
                .as_deref()
                .ok_or(Error::ConfirmationRequired)?;
            let checked = self.confirm_password(principal, password).await?;
            self.request_email_change(principal, checked.token_version, email)
                .await?;
        }
        match changes.name {
            Some(name) => {
                let now = self.ports.clock.now();
                self.ports.users.rename(principal.user.id, name, now).await
            }
            None => Ok(principal.user.clone()),
        }
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
