//! Extractors that turn request parts into domain values, or into the
//! contract's errors: the bearer credential (an access token or a personal
//! access token, held to what the route declared), the task routes' owner
//! and task ([`tasks`]), `If-Match`, bodies.

mod tasks;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use taskpulse_domain::task::Precondition;
use taskpulse_domain::user::Email;
use taskpulse_domain::{Bearer, Principal};

pub use self::tasks::{OneLabel, OneTask, OwnTasks};
use crate::client::client_of;
use crate::error::{ApiError, FieldError};
use crate::routes::declared_access;
use crate::state::AppState;

/// The signed-in user and session, from `Authorization: Bearer <access
/// token>`, with the request's client (for the security log). A personal
/// access token is refused (403) on the account routes that take this.
#[derive(Debug)]
pub struct AuthUser(pub Principal);

/// The bearer of the request's credential, if the route's declared access
/// lets it in, and the state: 401 without a valid credential, then 403
/// for a personal access token the route does not admit.
fn authorized(
    req: &HttpRequest,
) -> impl Future<Output = Result<(Bearer, web::Data<AppState>), ApiError>> + 'static {
    let token = bearer_token(req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let access = declared_access(req);
    async move {
        let (Some(token), Some(state)) = (token, state) else {
            return Err(ApiError::Unauthorized);
        };
        let bearer = state.auth.grant(&token).await?.permit(access)?;
        Ok((bearer, state))
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let authorized = authorized(req);
        let client = client_of(req);
        Box::pin(async move {
            let (bearer, state) = authorized.await?;
            let mut principal = state.auth.principal(bearer).await?;
            principal.client = client;
            Ok(Self(principal))
        })
    }
}

/// The `If-Match` precondition. Absent or `*` asks for none; `"<version>"`
/// names one; anything else matches no version.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Precondition);

fn if_match(req: &HttpRequest) -> Precondition {
    match req.headers().get(header::IF_MATCH) {
        Some(value) => precondition(value.to_str().unwrap_or_default()),
        None => Precondition::None,
    }
}

/// The precondition an `If-Match` value asks for (see [`IfMatch`]).
pub fn precondition(value: &str) -> Precondition {
    let value = value.trim();
    if value == "*" {
        return Precondition::None;
    }
    let version = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v > 0);
    // Versions start at 1, so 0 never matches.
    Precondition::Version(version.unwrap_or(0))
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(if_match(req))))
    }
}

fn json_message(err: &serde_json::Error) -> String {
    if err.is_data() {
        format!("Unexpected JSON shape: {err}")
    } else {
        "Malformed JSON body".into()
    }
}

/// Parses a JSON body. Handlers call it after authentication, so that an
/// anonymous request is 401 whatever its body.
///
/// # Errors
/// 415 unless the content type is JSON; 400 when the body is not JSON of
/// the expected shape.
pub fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if !is_json(req) {
        return Err(ApiError::UnsupportedMediaType);
    }
    // serde would also read a struct from an array of its field values;
    // every body of the contract is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::BadRequest(
            "The JSON body must be an object".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(json_message(&e)))
}

/// Like [`json_body`], but an empty body is `None` whatever its content type.
///
/// # Errors
/// As [`json_body`].
pub fn optional_json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        json_body(req, body).map(Some)
    }
}

fn is_json(req: &HttpRequest) -> bool {
    content_type(req).is_some_and(|mime| {
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

fn content_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Whether the request's content type is `mime` (parameters ignored).
pub fn content_type_is(req: &HttpRequest, mime: &str) -> bool {
    content_type(req).is_some_and(|m| m == mime)
}

/// A required string field of a one-field body, or the 422 naming it.
///
/// # Errors
/// [`ApiError`] 422 when the field is absent or `null`.
pub fn required(field: &str, value: Option<String>) -> Result<String, ApiError> {
    value.ok_or_else(|| ApiError::invalid(field, "field required"))
}

/// The `email` field of a request that only looks an address up (reset
/// and verification mails): an address by the registration rules, else
/// 422 on `email` (whatever is stored, such a value names no account).
///
/// # Errors
/// [`ApiError`] 422 naming the broken rule.
pub fn address(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|err| ApiError::invalid("email", err))
}

/// Collects the field errors of a body, so that a 422 names them all.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Parses a required field: absent or `null` is an error naming it.
    pub fn required<T, E: ToString>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match value {
            Some(raw) => self.parse(field, raw, parse),
            None => {
                self.0.push(FieldError::new(field, "field required"));
                None
            }
        }
    }

    /// A required text field taken as it is: absent or `null` is an error
    /// naming it.
    pub fn text(&mut self, field: &str, value: Option<String>) -> Option<String> {
        if value.is_none() {
            self.0.push(FieldError::new(field, "field required"));
        }
        value
    }

    /// Parses a present value.
    pub fn parse<T, E: ToString>(
        &mut self,
        field: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        parse(raw)
            .map_err(|e| self.0.push(FieldError::new(field, e)))
            .ok()
    }

    /// Records an error about `field`.
    pub fn push(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok` when no field broke a rule.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// Deserializes a field that may be absent (`None`), `null`
/// (`Some(None)`) or a value (`Some(Some(v))`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
