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
use crate::extract::{AuthUser, Fields, content_type_is, json_body};
use crate::rate_limit::{RateLimit, limited};
use crate::startup::AppState;

/// Registers the auth routes; `limit` guards those that guess or create
/// credentials.
pub fn configure(cfg: &mut web::ServiceConfig, limit: &RateLimit) {
    for prefix in ["/api/v1/auth", "/api/auth"] {
        for name in ["register", "signup"] {
            cfg.service(
                web::resource(format!("{prefix}/{name}"))
                    .wrap(limited(limit))
                    .post(register),
            );
        }
        for name in ["login", "signin"] {
            cfg.service(
                web::resource(format!("{prefix}/{name}"))
                    .wrap(limited(limit))
                    .post(login),
            );
        }
    }
    cfg.service(web::resource("/api/auth/me").get(me))
        .service(
            web::resource("/api/v1/auth/me")
                .get(me)
                .patch(update_me)
                .delete(delete_me),
        )
        .service(
            web::resource("/api/v1/auth/refresh")
                .wrap(limited(limit))
                .post(refresh),
        )
        .service(web::resource("/api/v1/auth/logout").post(logout))
        .service(web::resource("/api/v1/auth/change-password").post(change_password))
        .service(
            web::resource("/api/v1/auth/sessions")
                .get(sessions)
                .delete(end_other_sessions),
        )
        .service(web::resource("/api/v1/auth/sessions/{session_id}").delete(end_session));
}

fn trusted(req: &HttpRequest) -> TrustedProxies {
    req.app_data::<web::Data<TrustedProxies>>()
        .map(|t| t.get_ref().clone())
        .unwrap_or_default()
}

/// A required string field, or the 422 naming it.
fn required(field: &str, value: Option<String>) -> Result<String, ApiError> {
    value.ok_or_else(|| ApiError::invalid(field, "field required"))
}

#[derive(Debug, Deserialize)]
struct RegisterBody {
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

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

#[derive(Debug, Deserialize)]
struct LoginJson {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: Option<String>,
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
    let email = fields.required(email_field, email.as_deref(), |s| {
        Ok::<_, String>(s.to_owned())
    });
    let password = fields.required("password", password.as_deref(), |s| {
        Ok::<_, String>(s.to_owned())
    });
    fields.finish()?;
    email.zip(password).ok_or(ApiError::Internal)
}

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

#[derive(Debug, Deserialize)]
struct RefreshBody {
    refresh_token: Option<String>,
}

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

async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::from(user.0.user))
}

#[derive(Debug, Deserialize)]
struct ProfileBody {
    name: Option<String>,
    email: Option<String>,
    current_password: Option<String>,
}

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

#[derive(Debug, Deserialize)]
struct ChangePasswordBody {
    current_password: Option<String>,
    new_password: Option<String>,
}

async fn change_password(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ChangePasswordBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let current = fields.required("current_password", body.current_password.as_deref(), |s| {
        Ok::<_, String>(s.to_owned())
    });
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

#[derive(Debug, Deserialize)]
struct PasswordBody {
    password: Option<String>,
}

/// The confirmation password of a body `{password}`.
fn confirmation(req: &HttpRequest, body: &[u8]) -> Result<String, ApiError> {
    let body: PasswordBody = json_body(req, body)?;
    required("password", body.password)
}

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

async fn sessions(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let sessions = state.auth.sessions(&user.0).await?;
    Ok(HttpResponse::Ok().json(
        sessions
            .into_iter()
            .map(SessionBody::from)
            .collect::<Vec<_>>(),
    ))
}

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
