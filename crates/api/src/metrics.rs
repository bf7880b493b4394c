//! Prometheus metrics: request counts and latency histograms labelled by
//! method, route template and status, and the database pool's gauges.
//!
//! Every label has a bounded set of values: the route is the matched
//! resource's template (`/api/v1/users/{user_id}/tasks`), or [`UNMATCHED`]
//! when nothing matched, never a raw path; methods outside the standard
//! ones count as `OTHER`.

use std::fmt;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use taskpulse_infra::Database;

/// The `route` label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The labels of the request metrics.
const LABELS: [&str; 3] = ["method", "route", "status"];

/// Why the metrics could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

/// One server's metrics, in their own registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_open: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help).namespace("taskpulse")
}

impl Metrics {
    /// A fresh registry with the request metrics and the pool gauges.
    ///
    /// # Errors
    /// [`MetricsError`] when a metric cannot be registered.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            opts("http_requests_total", "HTTP requests answered"),
            &LABELS,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::from(opts(
                "http_request_duration_seconds",
                "Time from receiving a request to its answer",
            )),
            &LABELS,
        )?;
        let pool_open = IntGauge::with_opts(opts(
            "db_pool_connections",
            "Connections the database pool holds open (idle or in use)",
        ))?;
        let pool_idle = IntGauge::with_opts(opts(
            "db_pool_idle_connections",
            "Open connections of the database pool that are idle",
        ))?;
        let pool_max = IntGauge::with_opts(opts(
            "db_pool_max_connections",
            "Most connections the database pool may open",
        ))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        for gauge in [&pool_open, &pool_idle, &pool_max] {
            registry.register(Box::new(gauge.clone()))?;
        }
        Ok(Self {
            registry,
            requests,
            latency,
            pool_open,
            pool_idle,
            pool_max,
        })
    }

    fn observe(&self, method: &Method, route: &str, status: StatusCode, seconds: f64) {
        let labels = [method_label(method), route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// The `/metrics` answer: every metric in the text format, with the
    /// pool gauges read from `db` now.
    pub fn respond(&self, db: &Database) -> HttpResponse {
        let pool = db.pool_status();
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.pool_open.set(gauge(pool.open));
        self.pool_idle.set(gauge(pool.idle));
        self.pool_max.set(gauge(pool.max));
        let mut text = Vec::new();
        match TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            Ok(()) => HttpResponse::Ok().content_type(TEXT_FORMAT).body(text),
            Err(err) => {
                tracing::error!(error = %err, "encoding the metrics failed");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts and times every request (the outermost middleware, so the time
/// includes the others).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response.request().match_pattern();
        metrics.observe(
            &method,
            route.as_deref().unwrap_or(UNMATCHED),
            response.status(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
