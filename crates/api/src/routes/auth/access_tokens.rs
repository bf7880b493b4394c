//! `/tokens`: the signed-in user's personal access tokens: make one (with
//! the password; its secret is answered this once), list them, revoke one.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskpulse_domain::access_token::{
    AccessToken, AccessTokenId, Expiry, IssuedAccessToken, Scopes, TokenName, TokenRequest,
};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::{rfc3339, rfc3339_or_null};
use crate::error::ApiError;
use crate::extract::{AuthUser, Fields, json_body, nullable};
use crate::routes::tasks::instant;
use crate::routes::{ACCOUNT, Endpoint};
use crate::state::AppState;

/// Make, list and revoke personal access tokens.
pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_create_token>(ACCOUNT, || web::route().to(create_token)),
        Endpoint::of::<__path_list_tokens>(ACCOUNT, || web::route().to(list_tokens)),
        Endpoint::of::<__path_revoke_token>(ACCOUNT, || web::route().to(revoke_token)),
    ]
}

/// The body of `POST /tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AccessTokenInput)]
pub(crate) struct AccessTokenInput {
    /// 1–100 characters after trimming, no control characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100, example = "CI")]
    name: Option<String>,
    /// What the token may do: at least one of `tasks:read`, `tasks:write`,
    /// `labels:read`, `labels:write`.
    #[schema(value_type = Vec<String>, required = true, min_items = 1,
        example = json!(["tasks:read"]))]
    scopes: Option<Vec<String>>,
    /// When it stops working: in the future, at most a year ahead;
    /// `null` or absent for never.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    expires_at: Option<Option<String>>,
    /// The caller's password.
    #[schema(value_type = String, required = true, format = Password)]
    current_password: Option<String>,
}

/// A personal access token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AccessTokenSummary)]
pub(crate) struct AccessTokenBody {
    id: Uuid,
    #[schema(example = "CI")]
    name: String,
    #[schema(example = json!(["tasks:read"]))]
    scopes: Vec<&'static str>,
    #[serde(serialize_with = "rfc3339")]
    created_at: DateTime<Utc>,
    /// When it was last presented (to the minute); `null` if never.
    #[serde(serialize_with = "rfc3339_or_null")]
    last_used_at: Option<DateTime<Utc>>,
    /// When it stops working; `null` for never.
    #[serde(serialize_with = "rfc3339_or_null")]
    expires_at: Option<DateTime<Utc>>,
}

impl From<AccessToken> for AccessTokenBody {
    fn from(token: AccessToken) -> Self {
        Self {
            id: token.id.as_uuid(),
            name: token.name.as_str().to_owned(),
            scopes: token.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            expires_at: token.expires_at,
        }
    }
}

/// A token just made, with its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreatedAccessToken)]
pub(crate) struct CreatedAccessTokenBody {
    id: Uuid,
    #[schema(example = "CI")]
    name: String,
    #[schema(example = json!(["tasks:read"]))]
    scopes: Vec<&'static str>,
    /// `tp_pat_…`: send it as `Authorization: Bearer <token>`. It is not
    /// shown again.
    #[schema(example = "tp_pat_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    token: String,
    #[serde(serialize_with = "rfc3339")]
    created_at: DateTime<Utc>,
    /// When it stops working; `null` for never.
    #[serde(serialize_with = "rfc3339_or_null")]
    expires_at: Option<DateTime<Utc>>,
}

impl From<IssuedAccessToken> for CreatedAccessTokenBody {
    fn from(issued: IssuedAccessToken) -> Self {
        let AccessTokenBody {
            id,
            name,
            scopes,
            created_at,
            expires_at,
            ..
        } = issued.token.into();
        Self {
            id,
            name,
            scopes,
            token: issued.secret,
            created_at,
            expires_at,
        }
    }
}

/// The validated request and password of a body, or the 422 naming every
/// broken field.
fn token_request(input: AccessTokenInput) -> Result<(TokenRequest, String), ApiError> {
    let mut fields = Fields::default();
    let name = fields.required("name", input.name.as_deref(), TokenName::parse);
    let scopes = match input.scopes {
        Some(names) => Scopes::parse(&names)
            .map_err(|err| fields.push("scopes", &err.to_string()))
            .ok(),
        None => {
            fields.push("scopes", "field required");
            None
        }
    };
    let now = Utc::now();
    let expires_at = match input.expires_at.flatten() {
        Some(raw) => fields.parse("expires_at", &raw, |raw| {
            let at = instant(raw).map_err(str::to_owned)?;
            Expiry::new(Some(at), now).map_err(|err| err.to_string())
        }),
        None => Expiry::new(None, now).ok(),
    };
    let password = fields.text("current_password", input.current_password);
    fields.finish()?;
    // Each `None` above recorded an error, which `finish` answered.
    match (name, scopes, expires_at, password) {
        (Some(name), Some(scopes), Some(expires_at), Some(password)) => Ok((
            TokenRequest {
                name,
                scopes,
                expires_at,
            },
            password,
        )),
        _ => Err(ApiError::Internal),
    }
}

/// Makes a personal access token for the signed-in user.
#[utoipa::path(
    post, path = "/api/v1/auth/tokens", operation_id = "create_access_token",
    request_body = AccessTokenInput,
    responses(
        (status = 201, description = "The token, with its secret (shown this once)",
            body = CreatedAccessTokenBody,
            headers(("Location" = String, description = "`/api/v1/auth/tokens/{id}`"))),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong password; `INSUFFICIENT_SCOPE`: a personal access token"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "A field breaks its rule, or the caller has 50 live tokens already (on `name`)"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn create_token(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: AccessTokenInput = json_body(&req, &body)?;
    let (request, password) = token_request(input)?;
    let issued = state
        .auth
        .create_access_token(&user.0, request, &password)
        .await?;
    let location = format!("/api/v1/auth/tokens/{}", issued.token.id);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(CreatedAccessTokenBody::from(issued)))
}

/// The signed-in user's live personal access tokens, newest first.
#[utoipa::path(
    get, path = "/api/v1/auth/tokens", operation_id = "list_access_tokens",
    responses(
        (status = 200, description = "The live tokens (never their secrets)", body = [AccessTokenBody]),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INSUFFICIENT_SCOPE`: a personal access token"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn list_tokens(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tokens = state.auth.access_tokens(&user.0).await?;
    Ok(HttpResponse::Ok().json(
        tokens
            .into_iter()
            .map(AccessTokenBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// Revokes one of the signed-in user's personal access tokens.
#[utoipa::path(
    delete, path = "/api/v1/auth/tokens/{token_id}", operation_id = "revoke_access_token",
    params(("token_id" = uuid::Uuid, Path, description = "A token id from `GET /api/v1/auth/tokens`")),
    responses(
        (status = 204, description = "The token stops working"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INSUFFICIENT_SCOPE`: a personal access token"),
        (status = 404, description = "No live token of the caller has this id"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn revoke_token(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: AccessTokenId = req
        .match_info()
        .get("token_id")
        .and_then(|s| s.parse().ok())
        .ok_or(ApiError::NotFound)?;
    state.auth.revoke_access_token(&user.0, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
