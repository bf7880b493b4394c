//! `/api/v1/auth`: register, login, me (and the original backends' aliases).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use taskpulse_domain::user::{Email, Password, Registration, UserName};

use crate::dto::{TokenBody, UserBody};
use crate::error::ApiError;
use crate::extract::{AuthUser, Fields, content_type_is, json_body};
use crate::startup::AppState;

/// Registers the auth routes under both prefixes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for prefix in ["/api/v1/auth", "/api/auth"] {
        cfg.service(web::resource(format!("{prefix}/register")).post(register))
            .service(web::resource(format!("{prefix}/signup")).post(register))
            .service(web::resource(format!("{prefix}/login")).post(login))
            .service(web::resource(format!("{prefix}/signin")).post(login))
            .service(web::resource(format!("{prefix}/me")).get(me));
    }
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
    let issued = state
        .auth
        .register(Registration {
            name,
            email,
            password,
        })
        .await?;
    Ok(HttpResponse::Created().json(TokenBody::from(issued)))
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
    let issued = state.auth.login(&email, &password).await?;
    Ok(HttpResponse::Ok().json(TokenBody::from(issued)))
}

async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::from(user.0))
}
