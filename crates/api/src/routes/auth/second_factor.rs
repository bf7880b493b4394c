//! `/mfa` and `/login/mfa`: turning the TOTP second factor on and off, and
//! finishing a sign-in with a code or a recovery code.

use actix_web::{HttpRequest, HttpResponse, web};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::{Deserialize, Serialize};
use taskpulse_domain::second_factor::{Proof, RecoveryCode, TotpCode};

use super::aliases;
use crate::client::client_of;
use crate::dto::{MfaStatusBody, TokenBody};
use crate::error::ApiError;
use crate::extract::{AuthUser, Fields, json_body};
use crate::routes::{ACCOUNT, Endpoint, PUBLIC};
use crate::state::AppState;

/// Finish a sign-in (rate-limited, also at the original backends' prefix),
/// read the status, begin, confirm and turn off TOTP.
pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_login_mfa>(PUBLIC, || web::route().to(login_mfa))
            .with_aliases(aliases("/api/v1/auth/login/mfa", &["login/mfa"]))
            .rate_limited(),
        Endpoint::of::<__path_mfa_status>(ACCOUNT, || web::route().to(mfa_status)),
        Endpoint::of::<__path_begin_totp>(ACCOUNT, || web::route().to(begin_totp)),
        Endpoint::of::<__path_confirm_totp>(ACCOUNT, || web::route().to(confirm_totp)),
        Endpoint::of::<__path_disable_totp>(ACCOUNT, || web::route().to(disable_totp)),
        Endpoint::of::<__path_regenerate_recovery_codes>(ACCOUNT, || {
            web::route().to(regenerate_recovery_codes)
        }),
    ]
}

/// The second step of a sign-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = MfaLoginRequest)]
pub(crate) struct MfaLoginBody {
    /// The `challenge` of the login's answer.
    #[schema(value_type = String, required = true)]
    challenge: Option<String>,
    /// The authenticator app's current six-digit code (or give
    /// `recovery_code` instead).
    #[schema(pattern = "^[0-9 ]{6,}$", example = "123456")]
    code: Option<String>,
    /// One of the recovery codes, used up by this sign-in.
    #[schema(example = "ABCDE-FGHIJ-KLMNO-PQRST")]
    recovery_code: Option<String>,
}

/// The proof of a body with `code` or `recovery_code` (exactly one).
fn proof(fields: &mut Fields, code: Option<&str>, recovery: Option<&str>) -> Option<Proof> {
    match (code, recovery) {
        (Some(code), None) => fields.parse("code", code, TotpCode::parse).map(Proof::Totp),
        (None, Some(recovery)) => fields
            .parse("recovery_code", recovery, RecoveryCode::parse)
            .map(Proof::Recovery),
        (Some(_), Some(_)) => {
            fields.push(
                "recovery_code",
                "give either code or recovery_code, not both",
            );
            None
        }
        (None, None) => {
            fields.push("code", "field required (or recovery_code)");
            None
        }
    }
}

/// Finishes a sign-in that `/login` answered with `mfa_required`: the
/// challenge and a current code (or a recovery code) start the session.
/// A wrong code counts towards the lock-out as a wrong password does.
#[utoipa::path(
    post, path = "/api/v1/auth/login/mfa", operation_id = "login_mfa",
    request_body = MfaLoginBody,
    responses(
        (status = 200, description = "Signed in", body = TokenBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "`INVALID_MFA_CHALLENGE`: the challenge is unknown, expired or used (sign in again); `INVALID_MFA_CODE`: a wrong or already used code"),
        (status = 403, description = "`ACCOUNT_DISABLED`: the account is deactivated"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`challenge` is missing, or not exactly one of `code` and `recovery_code` is given in its form"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords or codes; `RATE_LIMITED`: too many requests from this client"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn login_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: MfaLoginBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let challenge = fields.text("challenge", body.challenge);
    let proof = proof(
        &mut fields,
        body.code.as_deref(),
        body.recovery_code.as_deref(),
    );
    fields.finish()?;
    let (Some(challenge), Some(proof)) = (challenge, proof) else {
        return Err(ApiError::Internal);
    };
    let client = client_of(&req);
    let tokens = state.auth.finish_login(&challenge, &proof, client).await?;
    Ok(HttpResponse::Ok().json(TokenBody::from(tokens)))
}

/// The signed-in user's second factors.
#[utoipa::path(
    get, path = "/api/v1/auth/mfa", operation_id = "get_mfa",
    responses(
        (status = 200, description = "Whether TOTP is on, and the recovery codes left", body = MfaStatusBody),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn mfa_status(user: AuthUser, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let status = state.auth.second_factor(&user.0).await?;
    Ok(HttpResponse::Ok().json(MfaStatusBody::from(status)))
}

/// The password that starts a TOTP enrolment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TotpBeginRequest)]
pub(crate) struct TotpBeginBody {
    #[schema(value_type = String, required = true, format = Password)]
    current_password: Option<String>,
}

/// A new TOTP secret, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TotpEnrolment)]
pub(crate) struct TotpEnrolmentBody {
    /// The shared secret in base32, for typing into an authenticator app.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    secret: String,
    /// The `otpauth://` URI of the secret (SHA-1, six digits, 30 seconds).
    #[schema(
        example = "otpauth://totp/TaskPulse:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=TaskPulse&algorithm=SHA1&digits=6&period=30"
    )]
    otpauth_uri: String,
    /// `otpauth_uri` as a QR code, an SVG document.
    qr_svg: String,
}

/// Starts turning TOTP on: a new secret (replacing a pending one) that
/// `/mfa/totp/confirm` turns on with its first code.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa/totp", operation_id = "begin_totp",
    request_body = TotpBeginBody,
    responses(
        (status = 200, description = "The secret, its URI and QR code; TOTP is not on until confirmed", body = TotpEnrolmentBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`"),
        (status = 409, description = "`MFA_ALREADY_ENABLED`: TOTP is on already"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`current_password` is missing"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn begin_totp(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: TotpBeginBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let password = fields.text("current_password", body.current_password);
    fields.finish()?;
    let password = password.ok_or(ApiError::Internal)?;
    let enrolment = state.auth.begin_totp(&user.0, &password).await?;
    let qr_svg = QrCode::new(enrolment.otpauth_uri.as_bytes())
        .map_err(|err| {
            tracing::error!(error = %err, "QR code of an otpauth URI");
            ApiError::Internal
        })?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(HttpResponse::Ok().json(TotpEnrolmentBody {
        secret: enrolment.secret.expose().to_owned(),
        otpauth_uri: enrolment.otpauth_uri,
        qr_svg,
    }))
}

/// The first code of a pending TOTP secret.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TotpConfirmRequest)]
pub(crate) struct TotpConfirmBody {
    /// The authenticator app's current six-digit code.
    #[schema(value_type = String, required = true, pattern = "^[0-9 ]{6,}$", example = "123456")]
    code: Option<String>,
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RecoveryCodes)]
pub(crate) struct RecoveryCodesBody {
    /// Ten single-use codes for signing in without the app; keep them
    /// safe, they are not shown again.
    #[schema(example = json!(["ABCDE-FGHIJ-KLMNO-PQRST"]))]
    recovery_codes: Vec<String>,
}

/// Turns TOTP on with the first code of the pending secret; answers ten
/// recovery codes, once. Every other session of the user ends.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa/totp/confirm", operation_id = "confirm_totp",
    request_body = TotpConfirmBody,
    responses(
        (status = 200, description = "TOTP is on; the recovery codes", body = RecoveryCodesBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_MFA_CODE`: not the secret's current code"),
        (status = 409, description = "`MFA_ENROLMENT_NOT_STARTED`: no pending secret; `MFA_ALREADY_ENABLED`: TOTP is on already"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`code` is missing or not six digits"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn confirm_totp(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: TotpConfirmBody = json_body(&req, &body)?;
    let mut fields = Fields::default();
    let code = fields.required("code", body.code.as_deref(), TotpCode::parse);
    fields.finish()?;
    let code = code.ok_or(ApiError::Internal)?;
    let codes = state.auth.confirm_totp(&user.0, &code).await?;
    Ok(HttpResponse::Ok().json(RecoveryCodesBody {
        recovery_codes: codes.iter().map(RecoveryCode::display).collect(),
    }))
}

/// The password and a proof of the factor, to turn TOTP off or to
/// replace the recovery codes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TotpDisableRequest)]
pub(crate) struct TotpDisableBody {
    #[schema(value_type = String, required = true, format = Password)]
    current_password: Option<String>,
    /// The authenticator app's current code (or give `recovery_code`).
    #[schema(pattern = "^[0-9 ]{6,}$", example = "123456")]
    code: Option<String>,
    /// One of the recovery codes.
    #[schema(example = "ABCDE-FGHIJ-KLMNO-PQRST")]
    recovery_code: Option<String>,
}

/// Turns TOTP off (its secret and recovery codes are forgotten). Every
/// other session of the user ends.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa/totp/disable", operation_id = "disable_totp",
    request_body = TotpDisableBody,
    responses(
        (status = 204, description = "TOTP is off"),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`; `INVALID_MFA_CODE`: a wrong or already used code"),
        (status = 409, description = "`MFA_NOT_ENABLED`: TOTP is not on"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`current_password` is missing, or not exactly one of `code` and `recovery_code` is given in its form"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords or codes"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn disable_totp(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (password, proof) = password_and_proof(&req, &body)?;
    state.auth.disable_totp(&user.0, &password, &proof).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces the recovery codes, used or not, with ten new ones, shown this
/// once; the old ones stop working.
#[utoipa::path(
    post, path = "/api/v1/auth/mfa/recovery-codes", operation_id = "regenerate_recovery_codes",
    request_body = TotpDisableBody,
    responses(
        (status = 200, description = "The new recovery codes", body = RecoveryCodesBody),
        (status = 400, description = "The body is not a JSON object of the expected shape"),
        (status = 401, description = "Missing, invalid, expired or revoked access token"),
        (status = 403, description = "`INVALID_CREDENTIALS`: wrong `current_password`; `INVALID_MFA_CODE`: a wrong or already used code"),
        (status = 409, description = "`MFA_NOT_ENABLED`: TOTP is not on"),
        (status = 413, description = "The body is over the limit"),
        (status = 415, description = "The body is not JSON"),
        (status = 422, description = "`current_password` is missing, or not exactly one of `code` and `recovery_code` is given in its form"),
        (status = 429, description = "`ACCOUNT_LOCKED`: too many wrong passwords or codes"),
        (status = 503, description = "The database cannot be reached"),
    ),
)]
async fn regenerate_recovery_codes(
    user: AuthUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (password, proof) = password_and_proof(&req, &body)?;
    let codes = state
        .auth
        .regenerate_recovery_codes(&user.0, &password, &proof)
        .await?;
    Ok(HttpResponse::Ok().json(RecoveryCodesBody {
        recovery_codes: codes.iter().map(RecoveryCode::display).collect(),
    }))
}

/// The password and the proof of a [`TotpDisableBody`].
fn password_and_proof(req: &HttpRequest, body: &[u8]) -> Result<(String, Proof), ApiError> {
    let body: TotpDisableBody = json_body(req, body)?;
    let mut fields = Fields::default();
    let password = fields.text("current_password", body.current_password);
    let proof = proof(
        &mut fields,
        body.code.as_deref(),
        body.recovery_code.as_deref(),
    );
    fields.finish()?;
    password.zip(proof).ok_or(ApiError::Internal)
}
