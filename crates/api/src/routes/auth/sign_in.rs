//! `/register`, `/login` (and its form twin `/login/access-token`),
//! `/refresh` and `/logout`: starting, renewing and ending sessions.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use taskpulse_domain::user::{Email, Password, Registration, UserName};

use super::aliases;
use crate::client::client_of;
use crate::dto::{LoginBody, TokenBody};
use crate::error::ApiError;
use crate::extract::{Fields, content_type_is, json_body, required};
use crate::routes::{Endpoint, PUBLIC};
use crate::state::AppState;

/// Register, the two logins, refresh and logout; all but logout are
/// rate-limited, and register and login keep the original backends' paths.
pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_register>(PUBLIC, || web::route().to(register))
            .with_aliases(aliases("/api/v1/auth/register", &["register", "signup"]))
            .rate_limited(),
        Endpoint::of::<__path_login>(PUBLIC, || web::route().to(login))
            .with_aliases(aliases("/api/v1/auth/login", &["login", "signin"]))
            .rate_limited(),
        Endpoint::of::<__path_login_access_token>(PUBLIC, || web::route().to(login_access_token))
            .rate_limited(),
        Endpoint::of::<__path_refresh>(PUBLIC, || web::route().to(refresh)).rate_limited(),
        Endpoint::of::<__path_logout>(PUBLIC, || web::route().to(logout)),
    ]
}

/// A new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = RegisterRequest)]
pub(crate) struct RegisterBody {
    /// 1–100 characters after trimming; no control characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100, example = "Ada",
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$")]
    name: Option<String>,
    /// Stored lower-cased and trimmed.
    #[schema(value_type = String, required = true, format = Email, max_length = 254, example = "ada@example.com")]
    email: Option<String>,
    /// 8–128 characters, not among the most common passwords, and not
    /// guessable (zxcvbn score 3 or more: a random one needs about 10).
    #[schema(value_type = String, required = true, format = Password, min_length = 8, max_length = 128,
        example = "correct horse battery staple")]
    password: Option<String>,
}

/// Creates an account and signs it in (a new session).
#[utoipa::path(
    post, path = "/api/v1/auth/register", operation_id = "register",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Registered and signed in", body = TokenBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 409, description = "`EMAIL_TAKEN`: the email is registered already"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field is missing or breaks a rule"),
        (status = 429, description = "`RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RegisterBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let name = fields.required("name", body.name.as_deref(), UserName::parse);
    let email = fields.required("email", body.email.as_deref(), Email::parse);
    let password = fields.required("password", body.password.as_deref(), Password::parse);
    fields.finish()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(ApiError::Internal);
    };
    let client = client_of(&req);
    let tokens = state
        .auth
        .register(
            Registration {
                name,
                email,
                password,
            },
            client,
        )
        .await?;
    Ok(HttpResponse::Created().json(TokenBody::from(tokens)))
}

/// Credentials as JSON.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = LoginRequest)]
pub(crate) struct LoginJson {
    #[schema(value_type = String, required = true, example = "ada@example.com")]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password, example = "correct horse battery staple")]
    password: Option<String>,
}

/// Credentials as an OAuth2 password-flow form (`grant_type`, `scope` and
/// client fields are ignored).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = LoginForm)]
pub(crate) struct LoginForm {
    /// The email address.
    #[schema(value_type = String, required = true, example = "ada@example.com")]
    username: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// The email and password of a login, from JSON or, as the contract
/// requires of this route too, from an OAuth2 password-flow form.
fn login_credentials(req: &HttpRequest, body: &[u8]) -> Result<(String, String), ApiError> {
    if is_form(req) {
        return form_credentials(body);
    }
    let json: LoginJson = json_body(req, body)?;
    credentials("email", json.email, json.password)
}

/// The email (`username`) and password of an OAuth2 password-flow form.
fn form_credentials(body: &[u8]) -> Result<(String, String), ApiError> {
    let form: LoginForm = serde_urlencoded::from_bytes(body)
        .map_err(|_| ApiError::BadRequest("Malformed form body".into()))?;
    credentials("username", form.username, form.password)
}

/// Both fields, or the 422 naming each one missing.
fn credentials(
    email_field: &str,
    email: Option<String>,
    password: Option<String>,
) -> Result<(String, String), ApiError> {
    let mut fields = Fields::default();
    let email = fields.text(email_field, email);
    let password = fields.text("password", password);
    fields.finish()?;
    email.zip(password).ok_or(ApiError::Internal)
}

fn is_form(req: &HttpRequest) -> bool {
    content_type_is(req, "application/x-www-form-urlencoded")
}

/// Starts a session with `email` and `password`.
async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    (email, password): (String, String),
) -> Result<HttpResponse, ApiError> {
    let answer = state.auth.login(&email, &password, client_of(req)).await?;
    Ok(HttpResponse::Ok().json(LoginBody::from(answer)))
}

/// Signs in (a new session) with `{email, password}`. The route also
/// takes the OAuth2 password-flow form, which is documented as
/// `/api/v1/auth/login/access-token`. When the account has a second
/// factor, the answer is `{mfa_required: true, challenge}` instead of
/// tokens: finish at `/api/v1/auth/login/mfa`.
#[utoipa::path(
    post, path = "/api/v1/auth/login", operation_id = "login",
    request_body = LoginJson,
    responses(
        (status = 200, description = "Signed in, or (`mfa_required`) the password was right and a second-factor code is due", body = LoginBody),
        (status = 400, description = "The body is not of the expected shape"),
        (status = 401, description = "`INVALID_CREDENTIALS`: unknown email, wrong password, or an account locked after repeated failures (whatever the password; its owner is told by email)"),
        (status = 403, description = "`ACCOUNT_DISABLED`: the account is deactivated"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is neither JSON nor a form"),
        (status = 422, description = "`email` (`username`) or `password` is missing"),
        (status = 429, description = "`RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let credentials = login_credentials(&req, &body)?;
    sign_in(&req, &state, credentials).await
}

/// Signs in (a new session) with the OAuth2 password-flow form
/// `username=…&password=…` (the email as the username): the token URL of
/// Swagger UI's **Authorize**, and login for clients generated from this
/// document. Answers as `/api/v1/auth/login`.
#[utoipa::path(
    post, path = "/api/v1/auth/login/access-token", operation_id = "login_access_token",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in, or (`mfa_required`) the password was right and a second-factor code is due", body = LoginBody),
        (status = 400, description = "The form is malformed"),
        (status = 401, description = "`INVALID_CREDENTIALS`: unknown email, wrong password, or an account locked after repeated failures (whatever the password; its owner is told by email)"),
        (status = 403, description = "`ACCOUNT_DISABLED`: the account is deactivated"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not a form"),
        (status = 422, description = "`username` or `password` is missing"),
        (status = 429, description = "`RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn login_access_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if !is_form(&req) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let credentials = form_credentials(&body)?;
    sign_in(&req, &state, credentials).await
}

/// A refresh token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = RefreshTokenRequest)]
pub(crate) struct RefreshBody {
    #[schema(value_type = String, required = true, example = "q7Yc3mJ0oV9bS2wXxR4tLkA1pN8eZ6uH")]
    refresh_token: Option<String>,
}

/// Trades a refresh token for new tokens; the old refresh token stops
/// working (presenting it again ends every session of its user).
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", operation_id = "refresh",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "New access and refresh tokens", body = TokenBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Unknown, expired, rotated or revoked refresh token"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`refresh_token` is missing"),
        (status = 429, description = "`RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RefreshBody = json_body(&req, &body)?;
    let token = required("refresh_token", body.refresh_token)?;
    let tokens = state.auth.refresh(&token, &client_of(&req)).await?;
    Ok(HttpResponse::Ok().json(TokenBody::from(tokens)))
}

/// Ends the session of a refresh token, with its access tokens (no access
/// token needed; an unknown token is already over).
#[utoipa::path(
    post, path = "/api/v1/auth/logout", operation_id = "logout",
    request_body = RefreshBody,
    responses(
        (status = 204, description = "The session is over"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`refresh_token` is missing"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RefreshBody = json_body(&req, &body)?;
    let token = required("refresh_token", body.refresh_token)?;
    state.auth.logout(&token).await?;
    Ok(HttpResponse::NoContent().finish())
}
