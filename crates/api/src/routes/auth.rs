//! `/api/v1/auth`: accounts, sessions and tokens (and the original
//! backends' aliases of register, login and me).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use taskpulse_domain::ProfileChanges;
use taskpulse_domain::session::SessionId;
use taskpulse_domain::user::{Email, Password, Registration, UserName};

use crate::client::{TrustedProxies, client_info};
use crate::dto::{SessionBody, TokenBody, UserBody};
use crate::error::ApiError;
use crate::extract::{AuthUser, Fields, content_type_is, json_body, required};
use crate::routes::Endpoint;
use crate::state::AppState;

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
/// register, login and `GET /me` keep the original backends' paths.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_register>(|| web::route().to(register))
            .with_aliases(aliases("/api/v1/auth/register", &["register", "signup"]))
            .rate_limited(),
        Endpoint::of::<__path_login>(|| web::route().to(login))
            .with_aliases(aliases("/api/v1/auth/login", &["login", "signin"]))
            .rate_limited(),
        Endpoint::of::<__path_refresh>(|| web::route().to(refresh)).rate_limited(),
        Endpoint::of::<__path_logout>(|| web::route().to(logout)),
        Endpoint::of::<__path_me>(|| web::route().to(me))
            .with_aliases([format!("{COMPAT_PREFIX}/me")]),
        Endpoint::of::<__path_update_me>(|| web::route().to(update_me)),
        Endpoint::of::<__path_delete_me>(|| web::route().to(delete_me)),
        Endpoint::of::<__path_change_password>(|| web::route().to(change_password)),
        Endpoint::of::<__path_sessions>(|| web::route().to(sessions)),
        Endpoint::of::<__path_end_other_sessions>(|| web::route().to(end_other_sessions)),
        Endpoint::of::<__path_end_session>(|| web::route().to(end_session)),
    ]
}

fn trusted(req: &HttpRequest) -> TrustedProxies {
    req.app_data::<web::Data<TrustedProxies>>()
        .map(|t| t.get_ref().clone())
        .unwrap_or_default()
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
    /// 8–128 characters, not among the most common passwords.
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
    let client = client_info(&req, &trusted(&req));
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

/// The email and password of a login, from JSON or from an OAuth2
/// password-flow form.
fn login_credentials(req: &HttpRequest, body: &[u8]) -> Result<(String, String), ApiError> {
    let (email_field, email, password) =
        if content_type_is(req, "application/x-www-form-urlencoded") {
            let form: LoginForm = serde_urlencoded::from_bytes(body)
                .map_err(|_| ApiError::BadRequest("Malformed form body".into()))?;
            ("username", form.username, form.password)
        } else {
            let json: LoginJson = json_body(req, body)?;
            ("email", json.email, json.password)
        };
    let mut fields = Fields::default();
    let email = fields.text(email_field, email);
    let password = fields.text("password", password);
    fields.finish()?;
    email.zip(password).ok_or(ApiError::Internal)
}

/// Signs in (a new session): JSON `{email, password}` or the OAuth2
/// password-flow form `username=…&password=…`.
#[utoipa::path(
    post, path = "/api/v1/auth/login", operation_id = "login",
    request_body(content(
        (LoginJson = "application/json"),
        (LoginForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Signed in", body = TokenBody),
        (status = 400, description = "The body is not of the expected shape"),
        (status = 401, description = "`INVALID_CREDENTIALS`: unknown email or wrong password"),
        (status = 403, description = "`ACCOUNT_DISABLED`: the account is deactivated"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is neither JSON nor a form"),
        (status = 422, description = "`email` (`username`) or `password` is missing"),
        (status = 429, description = "`RATE_LIMITED` (this client) or `ACCOUNT_LOCKED` (too many failed logins)"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (email, password) = login_credentials(&req, &body)?;
    let client = client_info(&req, &trusted(&req));
    let tokens = state.auth.login(&email, &password, client).await?;
    Ok(HttpResponse::Ok().json(TokenBody::from(tokens)))
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
    let tokens = state.auth.refresh(&token).await?;
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

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/auth/me", operation_id = "get_me",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::from(user.0.user))
}

/// Profile changes; absent (or `null`) fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = UpdateProfileRequest)]
pub(crate) struct ProfileBody {
    /// 1–100 characters after trimming; no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        example = "Ada Lovelace",
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$"
    )]
    name: Option<String>,
    /// A new email; needs `current_password`.
    #[schema(format = Email, max_length = 254, example = "ada@example.org")]
    email: Option<String>,
    /// The current password, required to change the email.
    #[schema(format = Password)]
    current_password: Option<String>,
}

/// Changes the signed-in user's name or email.
#[utoipa::path(
    patch, path = "/api/v1/auth/me", operation_id = "update_me",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = ProfileBody,
    responses(
        (status = 200, description = "The updated user", body = UserBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`"),
        (status = 409, description = "`EMAIL_TAKEN`: the email is registered already"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks a rule, or `current_password` is missing for an email change"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn update_me(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ProfileBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let name = body
        .name
        .as_deref()
        .and_then(|raw| fields.parse("name", raw, UserName::parse));
    let email = body
        .email
        .as_deref()
        .and_then(|raw| fields.parse("email", raw, Email::parse));
    fields.finish()?;
    let changes = ProfileChanges {
        name,
        email,
        current_password: body.current_password,
    };
    let updated = state.auth.update_profile(&user.0, changes).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(updated)))
}

/// A password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ChangePasswordRequest)]
pub(crate) struct ChangePasswordBody {
    #[schema(value_type = String, required = true, format = Password)]
    current_password: Option<String>,
    /// 8–128 characters, not among the most common passwords.
    #[schema(value_type = String, required = true, format = Password, min_length = 8, max_length = 128)]
    new_password: Option<String>,
}

/// Sets a new password; every access and refresh token issued before
/// stops working (sign in again).
#[utoipa::path(
    post, path = "/api/v1/auth/change-password", operation_id = "change_password",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = ChangePasswordBody,
    responses(
        (status = 204, description = "Changed; every session has ended"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field is missing or the new password breaks a rule"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn change_password(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ChangePasswordBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let current = fields.text("current_password", body.current_password);
    let new = fields.required(
        "new_password",
        body.new_password.as_deref(),
        Password::parse,
    );
    fields.finish()?;
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Internal);
    };
    state.auth.change_password(&user.0, &current, &new).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's password, confirming a destructive action.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = PasswordConfirmation)]
pub(crate) struct PasswordBody {
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// The confirmation password of a body `{password}`.
fn confirmation(req: &HttpRequest, body: &[u8]) -> Result<String, ApiError> {
    let body: PasswordBody = json_body(req, body)?;
    required("password", body.password)
}

/// Deletes the signed-in user and all their tasks.
#[utoipa::path(
    delete, path = "/api/v1/auth/me", operation_id = "delete_me",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "The account and its tasks are deleted"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong password"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`password` is missing"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn delete_me(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let password = confirmation(&req, &body)?;
    state.auth.delete_account(&user.0, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user's live sessions, the caller's marked `current`.
#[utoipa::path(
    get, path = "/api/v1/auth/sessions", operation_id = "list_sessions",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The live sessions", body = [SessionBody]),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn sessions(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let sessions = state.auth.sessions(&user.0).await?;
    Ok(HttpResponse::Ok().json(
        sessions
            .into_iter()
            .map(SessionBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// Ends one of the signed-in user's sessions.
#[utoipa::path(
    delete, path = "/api/v1/auth/sessions/{session_id}", operation_id = "end_session",
    security(("bearer" = []), ("oauth2" = [])),
    params(("session_id" = uuid::Uuid, Path, description = "A session id from `GET /api/v1/auth/sessions`")),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "That session has ended"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong password"),
        (status = 404, description = "No live session of the caller has this id"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`password` is missing"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn end_session(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id: SessionId = req
        .match_info()
        .get("session_id")
        .and_then(|s| s.parse().ok())
        .ok_or(ApiError::NotFound)?;
    let password = confirmation(&req, &body)?;
    state.auth.end_session(&user.0, id, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the signed-in user but the caller's.
#[utoipa::path(
    delete, path = "/api/v1/auth/sessions", operation_id = "end_other_sessions",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Every other session has ended"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong password"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`password` is missing"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn end_other_sessions(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let password = confirmation(&req, &body)?;
    state.auth.end_other_sessions(&user.0, &password).await?;
    Ok(HttpResponse::NoContent().finish())
}
