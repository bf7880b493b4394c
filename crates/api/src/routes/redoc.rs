//! ReDoc at `/redoc`: a second reader of `/openapi.json`, served entirely
//! from the binary (the npm package's standalone bundle, vendored in
//! `assets/redoc/`) under a Content Security Policy that lets the page load
//! only its own assets.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::routes::{Endpoint, PUBLIC};

/// The page: a `<redoc>` element pointing at `/openapi.json`, the bundle,
/// and a `csp-nonce` meta tag whose content is [`NONCE`].
const INDEX: &str = include_str!("../../assets/redoc/index.html");

/// Where [`INDEX`] takes each response's nonce.
const NONCE: &str = "{csp-nonce}";

/// ReDoc 3.0.1's standalone bundle (`assets/redoc/README.md`).
const BUNDLE: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

/// The policy of the ReDoc page for one response's `nonce`. It is
/// `/docs`'s but for two allowances, each needed (`.ci/browser-check` fails
/// on any violation): `style-src 'nonce-…'`, because ReDoc styles itself
/// with styled-components, which writes `<style>` elements at run time and
/// gives them the nonce of the page's `csp-nonce` meta tag (so no
/// `'unsafe-inline'`); and `font-src data:`, because the bundle embeds its
/// icon font as a `data:` URI. `img-src data:` admits the page's empty
/// favicon and the `data:,` that replaces Redocly's CDN logo in the bundle.
fn redoc_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// `/redoc` and its script.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_redoc>(PUBLIC, || web::route().to(redoc)),
        Endpoint::of::<__path_redoc_bundle>(PUBLIC, || web::route().to(redoc_bundle)),
    ]
}

/// ReDoc for `/openapi.json`.
#[utoipa::path(
    get, path = "/redoc", operation_id = "redoc",
    responses((status = 200, description = "The ReDoc page", content_type = "text/html", body = String)),
)]
async fn redoc() -> Result<HttpResponse, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| {
        tracing::error!(error = %err, "no randomness for the ReDoc page's nonce");
        ApiError::Internal
    })?;
    let nonce: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, redoc_csp(&nonce)))
        .body(INDEX.replace(NONCE, &nonce)))
}

/// ReDoc's script, an ES module.
#[utoipa::path(
    get, path = "/redoc/redoc.standalone.js", operation_id = "redoc_bundle",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String)),
)]
async fn redoc_bundle() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(BUNDLE)
}
