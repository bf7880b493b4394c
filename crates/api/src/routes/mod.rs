//! Route table: every canonical route is one [`Endpoint`], built from its
//! handler's `#[utoipa::path]` annotation. The server registers its routes
//! (and the original backends' aliases of them) from this table, and
//! `/openapi.json` documents exactly this table, so the two cannot drift.
//! Each endpoint also declares here, and only here, what it asks of a
//! request's credential ([`Access`]): the extractors enforce it and the
//! document states it as the operation's security requirement.

pub mod auth;
pub mod docs;
pub mod labels;
pub mod password_reset;
pub mod redoc;
pub mod service;
pub mod sync;
pub mod tasks;
pub mod verification;

use actix_web::HttpMessage;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::middleware::{Next, from_fn};
use actix_web::{Route, web};
use taskpulse_domain::access_token::{Access, Scope};
use utoipa::openapi::path::{HttpMethod, Operation};

use crate::error::ApiError;
use crate::rate_limit::limited;

/// One canonical operation: method, path template, handler, documentation.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path template, as documented (`/api/v1/users/{user_id}/tasks`).
    pub path: String,
    /// Other paths the same handler answers at (compatibility aliases,
    /// never documented).
    pub aliases: Vec<String>,
    /// Whether the per-client-IP rate limit guards it.
    pub rate_limited: bool,
    /// The group it is documented under.
    pub tag: &'static str,
    /// What it asks of a request's credential.
    pub access: Access,
    route: fn() -> Route,
    operation: fn() -> Operation,
}

impl Endpoint {
    /// The endpoint that `P` (the type `#[utoipa::path]` generates for a
    /// handler) documents, answered by `route` (`|| web::route().to(handler)`)
    /// for requests whose credential has `access`.
    pub fn of<P: utoipa::Path>(access: Access, route: fn() -> Route) -> Self {
        let method = P::methods().first().map_or(Method::GET, http_method);
        Self {
            method,
            path: P::path(),
            aliases: Vec::new(),
            rate_limited: false,
            tag: "",
            access,
            route,
            operation: P::operation,
        }
    }

    /// Also answers at `aliases`.
    #[must_use]
    pub fn with_aliases<I: IntoIterator<Item = String>>(mut self, aliases: I) -> Self {
        self.aliases.extend(aliases);
        self
    }

    /// Guarded by the per-client-IP rate limit.
    #[must_use]
    pub fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }

    /// The OpenAPI operation of the handler's annotation.
    pub fn operation(&self) -> Operation {
        (self.operation)()
    }

    /// The OpenAPI method.
    pub fn http_method(&self) -> HttpMethod {
        match self.method.as_str() {
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            _ => HttpMethod::Get,
        }
    }
}

fn http_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Trace => Method::TRACE,
        HttpMethod::Get => Method::GET,
    }
}

/// No credential needed.
pub(crate) const PUBLIC: Access = Access::Public;
/// A signed-in session; never a personal access token.
pub(crate) const ACCOUNT: Access = Access::Account;
/// `tasks:read`: reading tasks, their trash and the change log.
pub(crate) const TASKS_READ: Access = Access::Scoped(Scope::TasksRead);
/// `tasks:write`: every write of tasks.
pub(crate) const TASKS_WRITE: Access = Access::Scoped(Scope::TasksWrite);
/// `labels:read`: reading labels.
pub(crate) const LABELS_READ: Access = Access::Scoped(Scope::LabelsRead);
/// `labels:write`: every write of labels.
pub(crate) const LABELS_WRITE: Access = Access::Scoped(Scope::LabelsWrite);

/// The [`Access`] the matched route declared; [`ACCOUNT`] (no personal
/// access token) for a request that matched none.
pub fn declared_access(req: &actix_web::HttpRequest) -> Access {
    req.extensions().get::<Access>().copied().unwrap_or(ACCOUNT)
}

/// `endpoint`'s route, telling its extractors what it declared.
fn declaring(endpoint: &Endpoint) -> Route {
    let access = endpoint.access;
    (endpoint.route)()
        .method(endpoint.method.clone())
        .wrap(from_fn(move |req: ServiceRequest, next: Next<BoxBody>| {
            req.extensions_mut().insert(access);
            next.call(req)
        }))
}

/// The tag of the task endpoints.
const TASKS: &str = "tasks";

/// Every canonical endpoint the server answers; `/metrics` only when it is
/// served on the main port (`metrics_here`).
pub fn endpoints(metrics_here: bool) -> Vec<Endpoint> {
    [
        ("service", service::endpoints(metrics_here)),
        ("service", docs::endpoints()),
        ("service", redoc::endpoints()),
        ("auth", auth::endpoints()),
        ("auth", password_reset::endpoints()),
        ("auth", verification::endpoints()),
        (TASKS, tasks::endpoints()),
        (TASKS, labels::endpoints()),
        (TASKS, sync::endpoints()),
    ]
    .into_iter()
    .flat_map(|(tag, endpoints)| {
        endpoints
            .into_iter()
            .map(move |endpoint| Endpoint { tag, ..endpoint })
    })
    .collect()
}

/// Registers `endpoints`, one resource per path with a route per method:
/// the task routes first (the router tries each path in turn, and most
/// requests are for tasks), then the other canonical paths, then the
/// aliases.
pub fn configure(cfg: &mut web::ServiceConfig, endpoints: &[Endpoint]) {
    let (tasks, others): (Vec<&Endpoint>, Vec<&Endpoint>) =
        endpoints.iter().partition(|e| e.tag == TASKS);
    let canonical = tasks
        .into_iter()
        .chain(others)
        .map(|e| (e.path.as_str(), e));
    let aliases = endpoints
        .iter()
        .flat_map(|e| e.aliases.iter().map(move |alias| (alias.as_str(), e)));
    let mut paths: Vec<(&str, Vec<&Endpoint>)> = Vec::new();
    for (path, endpoint) in canonical.chain(aliases) {
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, at_path)) => at_path.push(endpoint),
            None => paths.push((path, vec![endpoint])),
        }
    }
    for (path, at_path) in paths {
        let mut resource = web::resource(path);
        for endpoint in &at_path {
            resource = resource.route(declaring(endpoint));
        }
        if at_path.iter().any(|e| e.rate_limited) {
            cfg.service(resource.wrap(from_fn(limited)));
        } else {
            cfg.service(resource);
        }
    }
}

/// Answers unknown routes.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
