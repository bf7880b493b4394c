//! Personal access tokens: made (with the password), listed and revoked by
//! a signed-in user, and presented by integrations instead of an access
//! token ([`AuthService::grant`]).

use super::AuthService;
use crate::access_token::{
    AccessToken, AccessTokenId, Grant, IssuedAccessToken, LAST_USED_GRANULARITY,
    MAX_LIVE_TOKENS_PER_USER, NewAccessToken, TOKEN_PREFIX, TokenRequest,
};
use crate::bearer::{Bearer, Credential, Principal};
use crate::error::{Error, Result, TokenRejection};

impl AuthService {
    /// Makes a personal access token for the caller, after confirming
    /// their password; its secret (`tp_pat_` and 256 random bits in
    /// base64url) is answered this once and stored only as its SHA-256.
    /// The token works until it expires, is revoked, or the password
    /// changes (by a change or a reset).
    ///
    /// # Errors
    /// [`Error::WrongPassword`] (counted towards the lock-out);
    /// [`Error::TooManyAccessTokens`] when the caller has
    /// [`MAX_LIVE_TOKENS_PER_USER`] live tokens already.
    pub async fn create_access_token(
        &self,
        principal: &Principal,
        request: TokenRequest,
        password: &str,
    ) -> Result<IssuedAccessToken> {
        let checked = self.confirm_password(principal, password).await?;
        let (random, _) = self.ports.token_secrets.generate()?;
        let secret = format!("{TOKEN_PREFIX}{random}");
        let now = self.ports.clock.now();
        let token = AccessToken {
            id: AccessTokenId::new_random(),
            name: request.name,
            scopes: request.scopes,
            created_at: now,
            last_used_at: None,
            expires_at: request.expires_at.at(),
        };
        let new = NewAccessToken {
            token,
            user_id: principal.user.id,
            hash: self.ports.token_secrets.hash(&secret),
            token_version: checked.token_version,
        };
        self.ports
            .access_tokens
            .create(&new, MAX_LIVE_TOKENS_PER_USER, now)
            .await?;
        Ok(IssuedAccessToken {
            token: new.token,
            secret,
        })
    }

    /// The caller's live personal access tokens, newest first.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn access_tokens(&self, principal: &Principal) -> Result<Vec<AccessToken>> {
        self.ports
            .access_tokens
            .list(principal.user.id, self.ports.clock.now())
            .await
    }

    /// Revokes one of the caller's personal access tokens.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the caller has no such live token (another
    /// user's included).
    pub async fn revoke_access_token(
        &self,
        principal: &Principal,
        id: AccessTokenId,
    ) -> Result<()> {
        let now = self.ports.clock.now();
        if self
            .ports
            .access_tokens
            .revoke(principal.user.id, id, now)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// What a bearer credential grants: an access token is checked in
    /// memory (as [`bearer`](Self::bearer)); a personal access token
    /// (`tp_pat_…`) is looked up by its hash (an answer that may be
    /// remembered), refused when unknown or expired, and its
    /// `last_used_at` written at most once a minute. Its bearer names the
    /// token and the token version it was made under, so storage refuses
    /// it, within the statement that serves the request, once it is
    /// revoked or the password has changed.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for an invalid, expired or revoked credential.
    pub async fn grant(&self, credential: &str) -> Result<Grant> {
        if !credential.starts_with(TOKEN_PREFIX) {
            return self.bearer(credential).map(Grant::Session);
        }
        let hash = self.ports.token_secrets.hash(credential);
        let stored = self.ports.access_tokens.find(&hash).await?;
        let stored = stored.ok_or(Error::Unauthorized(TokenRejection::Invalid))?;
        let now = self.ports.clock.now();
        if stored.expires_at.is_some_and(|at| at <= now) {
            return Err(Error::Unauthorized(TokenRejection::Expired));
        }
        let since = now - LAST_USED_GRANULARITY;
        if stored.last_used_at.is_none_or(|at| at <= since) {
            self.ports
                .access_tokens
                .touch(stored.id, since, now)
                .await?;
        }
        Ok(Grant::Scoped {
            bearer: Bearer {
                user_id: stored.user_id,
                credential: Some(Credential::AccessToken(stored.id)),
                token_version: stored.token_version,
            },
            scopes: stored.scopes,
        })
    }
}
