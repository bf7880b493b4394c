//! `/api/v1/auth`: accounts, sessions and tokens (and the original
//! backends' aliases of register, login and me). The handlers live in
//! modules by topic; this one gathers their endpoints.

mod access_tokens;
mod account;
mod confirmation;
mod second_factor;
mod security_events;
mod sessions;
mod sign_in;

use crate::routes::Endpoint;

pub(crate) use access_tokens::{AccessTokenBody, AccessTokenInput, CreatedAccessTokenBody};
pub(crate) use account::{ChangePasswordBody, ProfileBody};
pub(crate) use confirmation::PasswordBody;
pub(crate) use second_factor::{
    MfaLoginBody, RecoveryCodesBody, TotpBeginBody, TotpConfirmBody, TotpDisableBody,
    TotpEnrolmentBody,
};
pub(crate) use sign_in::{LoginForm, LoginJson, RefreshBody, RegisterBody};

const PREFIX: &str = "/api/v1/auth";
const COMPAT_PREFIX: &str = "/api/auth";

/// `{PREFIX}/{name}` and `{COMPAT_PREFIX}/{name}` of each name but the
/// canonical path itself.
fn aliases(canonical: &str, names: &[&str]) -> Vec<String> {
    [PREFIX, COMPAT_PREFIX]
        .iter()
        .flat_map(|prefix| names.iter().map(move |name| format!("{prefix}/{name}")))
        .filter(|path| path != canonical)
        .collect()
}

/// The auth endpoints; register, login and refresh are rate-limited, and
/// register, login and every method of `/me` keep the original backends'
/// paths.
pub fn endpoints() -> Vec<Endpoint> {
    [
        sign_in::endpoints(),
        account::endpoints(),
        sessions::endpoints(),
        access_tokens::endpoints(),
        second_factor::endpoints(),
        security_events::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
