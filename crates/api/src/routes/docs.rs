//! `/openapi.json` and Swagger UI at `/docs`, served entirely from the
//! binary (utoipa-swagger-ui's vendored copy), under a Content Security
//! Policy that lets the page load only its own assets.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::Config;

use crate::error::ApiError;
use crate::routes::{Endpoint, PUBLIC};

/// The policy of the Swagger UI pages: scripts, styles, fonts and fetches
/// from this origin only, images also as `data:` URIs (its icons), never in
/// a frame. The one inline style allowed by its hash is the `<style>` of
/// Swagger UI's logo (`.ci/browser-check` fails on any violation).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The document and the Swagger UI configured for it.
pub struct ApiDocs {
    json: String,
    index: String,
    ui: Arc<Config<'static>>,
}

impl std::fmt::Debug for ApiDocs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiDocs").finish_non_exhaustive()
    }
}

impl ApiDocs {
    /// Serializes `document` once and prepares the UI's pages.
    ///
    /// # Errors
    /// When the document cannot be serialized or the UI's index page is
    /// missing from the binary.
    pub fn new(document: &OpenApi) -> Result<Self, String> {
        let json = document.to_json().map_err(|e| e.to_string())?;
        let ui = Arc::new(
            Config::new(["/openapi.json"])
                .validator_url("none")
                .display_operation_id(true)
                .display_request_duration(true)
                .try_it_out_enabled(false),
        );
        let index = utoipa_swagger_ui::serve("index.html", ui.clone())
            .map_err(|e| e.to_string())?
            .and_then(|file| String::from_utf8(file.bytes.into_owned()).ok())
            .ok_or("Swagger UI's index.html is missing")?;
        // Served at `/docs` (a trailing slash is trimmed), the page's
        // relative asset links must resolve under `/docs/`.
        let index = index.replacen("<head>", "<head>\n    <base href=\"/docs/\">", 1);
        Ok(Self { json, index, ui })
    }
}

/// `/openapi.json`, `/docs` and the UI's assets.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::of::<__path_openapi_json>(PUBLIC, || web::route().to(openapi_json)),
        Endpoint::of::<__path_swagger_ui>(PUBLIC, || web::route().to(swagger_ui)),
        Endpoint::of::<__path_swagger_asset>(PUBLIC, || web::route().to(swagger_asset)),
    ]
}

fn docs_page(content_type: &str, body: impl MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        ))
        .body(body)
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    get, path = "/openapi.json", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of every canonical route",
        content_type = "application/json", body = Object)),
)]
async fn openapi_json(docs: web::Data<ApiDocs>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(docs.json.clone())
}

/// Swagger UI for `/openapi.json`.
#[utoipa::path(
    get, path = "/docs", operation_id = "swagger_ui",
    responses((status = 200, description = "The Swagger UI page", content_type = "text/html", body = String)),
)]
async fn swagger_ui(docs: web::Data<ApiDocs>) -> HttpResponse {
    docs_page("text/html; charset=utf-8", docs.index.clone())
}

/// A static file of Swagger UI (script, style sheet, icon).
#[utoipa::path(
    get, path = "/docs/{file}", operation_id = "swagger_ui_asset",
    params(("file" = String, Path, description = "File name", example = "swagger-ui.css")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/css"), (String = "text/javascript"), (String = "application/javascript"),
            (String = "text/html"), (String = "image/png"))),
        (status = 404, description = "No such file"),
    ),
)]
async fn swagger_asset(
    req: HttpRequest,
    docs: web::Data<ApiDocs>,
) -> Result<HttpResponse, ApiError> {
    let name = req.match_info().get("file").unwrap_or_default();
    let file = utoipa_swagger_ui::serve(name, docs.ui.clone())
        .map_err(|err| {
            tracing::error!(error = %err, "serving a Swagger UI file failed");
            ApiError::Internal
        })?
        .ok_or(ApiError::NotFound)?;
    // Without the crate's `gzip` feature the files are stored uncompressed.
    Ok(docs_page(&file.content_type, file.bytes.into_owned()))
}
