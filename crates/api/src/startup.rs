//! The one wiring place: connect, migrate, build repositories → services →
//! the actix `App`, bind.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, from_fn};
use actix_web::{App, HttpServer, web};
use chrono::Duration;
use taskpulse_domain::ports::LockoutPolicy;
use taskpulse_domain::rate_limit::{Budget, RateLimiter};
use taskpulse_domain::reset::{PasswordResetService, ResetPorts, ResetSettings};
use taskpulse_domain::security_log::SecurityLog;
use taskpulse_domain::{
    AuthPorts, AuthService, AuthSettings, IdempotencyService, TaskService, TrashPurge,
};
use taskpulse_infra::db::DbErr;
use taskpulse_infra::mail::{MailSettings, mailer};
use taskpulse_infra::repositories::access_tokens::cache::{REMEMBER_FOR, REMEMBERED_TOKENS};
use taskpulse_infra::{
    BcryptHasher, Database, JwtCodec, MigrationCommand, PoolSettings, RandomTokens, SeaChangeFeed,
    SeaIdempotencyStore, SeaJobLeases, SeaLabelRepository, SeaSessionRepository, SeaTaskRepository,
    SeaUserRepository, SystemClock,
};
use taskpulse_infra::{
    CachedAccessTokens, Resealed, SeaAccessTokenStore, SeaEmailVerificationStore,
    SeaPasswordResetStore, SeaRateLimitStore, SeaSecondFactorStore, SeaSecurityLog, Sealer,
    Sha256Tokens, TotpCodes,
};

use crate::client::TrustedProxies;
use crate::metrics::{self, Metrics};
use crate::middleware::{HeaderPolicy, envelope};
use crate::rate_limit::ClientBudget;
use crate::routes::docs::ApiDocs;
use crate::settings::Secret;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{cors, openapi, routes};

/// How long an `Idempotency-Key` is remembered (the contract's 24 hours).
const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;
/// After this long, an unfinished idempotent request is taken to have died
/// with its server and its key may be claimed again.
const IDEMPOTENCY_LEASE_SECS: i64 = 60;
/// How often expired idempotency keys, old rate-limit counts, expired
/// verification links and the trash (once across replicas) are purged.
const PURGE_EVERY_SECS: u32 = 3600;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be reached or the URL is malformed.
    #[error("database.url: cannot connect: {0}")]
    Connect(#[source] DbErr),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[source] DbErr),
    /// A setting the adapters refused.
    #[error("configuration error: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("server.host/server.port: cannot bind: {0}")]
    Bind(#[source] std::io::Error),
    /// The metrics address could not be bound.
    #[error("metrics.listen: cannot bind: {0}")]
    MetricsBind(#[source] std::io::Error),
    /// Stored TOTP secrets could not be sealed under the current key.
    #[error("sealing stored TOTP secrets failed: {0}")]
    Seal(#[source] taskpulse_domain::Error),
}

/// Connects to the configured database (without migrating).
///
/// # Errors
/// [`StartupError::Connect`].
pub async fn connect(settings: &Settings) -> Result<Database, StartupError> {
    let database = &settings.database;
    let pool = PoolSettings {
        max_connections: database.max_connections,
        min_connections: database.min_connections,
        acquire_timeout: std::time::Duration::from_millis(database.acquire_timeout_ms),
        idle_timeout: std::time::Duration::from_secs(database.idle_timeout_secs),
        max_lifetime: std::time::Duration::from_secs(database.max_lifetime_secs),
        transaction_pooling: database.transaction_pooling,
        workers: settings.server.worker_count(),
    };
    Database::connect(settings.database.url.expose(), &pool)
        .await
        .map_err(StartupError::Connect)
}

/// The sealer of TOTP secrets: under `auth.sealing_key` (or a key derived
/// from `auth.secret`), opening values of `auth.previous_sealing_keys` and
/// of `auth.secret` too. With neither setting it writes the format that
/// versions before key rotation read.
fn totp_sealer(settings: &Settings) -> Sealer {
    let auth = &settings.auth;
    let server = settings.secret().as_bytes();
    let previous = auth
        .previous_sealing_keys
        .iter()
        .map(|k| k.expose().as_bytes());
    match &auth.sealing_key {
        Some(key) => {
            let earlier: Vec<&[u8]> = previous.chain([server]).collect();
            Sealer::rotating(key.expose().as_bytes(), &earlier, "totp")
        }
        None if auth.previous_sealing_keys.is_empty() => Sealer::new(server, "totp"),
        None => Sealer::rotating(server, &previous.collect::<Vec<_>>(), "totp"),
    }
}

/// Builds the services on their adapters; `factors` is the second-factor
/// store (sealed secrets made ready by [`Application::build`]).
///
/// # Errors
/// [`StartupError::Config`] for a bcrypt cost the hasher refuses.
fn state(
    settings: &Settings,
    db: Database,
    factors: SeaSecondFactorStore,
) -> Result<AppState, StartupError> {
    let conn = db.clone();
    let clock = Arc::new(SystemClock);
    let hasher = BcryptHasher::new(settings.auth.bcrypt_cost)
        .map_err(|e| StartupError::Config(e.to_string()))?;
    let tokens = JwtCodec::new(
        settings.secret().as_bytes(),
        &settings.auth.issuer,
        &settings.auth.audience,
    );
    let users: Arc<SeaUserRepository> = Arc::new(SeaUserRepository::new(conn.clone()));
    let sessions = Arc::new(SeaSessionRepository::new(conn.clone()));
    let hasher = Arc::new(hasher);
    let opaque = Arc::new(RandomTokens::new(settings.secret().as_bytes()));
    let mail = &settings.mail;
    let mail_settings = MailSettings {
        from: mail.from.clone(),
        reset_url: mail.reset_url.clone(),
        verify_url: mail.verify_url.clone(),
    };
    let mailer = mailer(
        &mail.transport,
        mail.smtp_url.as_ref().map(Secret::expose),
        mail_settings,
        !settings.production,
    )
    .map_err(|e| StartupError::Config(e.to_string()))?;
    let limiter = RateLimiter::new(
        Arc::new(SeaRateLimitStore::new(conn.clone())),
        clock.clone(),
    );
    let security: Arc<dyn SecurityLog> = Arc::new(SeaSecurityLog::new(conn.clone()));
    let resets = PasswordResetService::new(
        ResetPorts {
            users: users.clone(),
            resets: Arc::new(SeaPasswordResetStore::new(conn.clone())),
            mailer: mailer.clone(),
            opaque: opaque.clone(),
            hasher: hasher.clone(),
            security: security.clone(),
            limiter: limiter.clone(),
            clock: clock.clone(),
        },
        ResetSettings {
            token_ttl: Duration::seconds(settings.auth.reset_token_ttl_secs),
            mails_per_account: Budget {
                limit: settings.auth.reset_mails_per_hour,
                window: Duration::hours(1),
            },
        },
    );
    let ports = AuthPorts {
        users: users.clone(),
        sessions,
        hasher,
        tokens: Arc::new(tokens),
        opaque,
        access_tokens: Arc::new(CachedAccessTokens::new(
            SeaAccessTokenStore::new(conn.clone()),
            REMEMBERED_TOKENS,
            REMEMBER_FOR,
        )),
        token_secrets: Arc::new(Sha256Tokens),
        factors: Arc::new(factors),
        codes: Arc::new(TotpCodes),
        mailer,
        security,
        verifications: Arc::new(SeaEmailVerificationStore::new(conn.clone())),
        limiter: limiter.clone(),
        clock: clock.clone(),
    };
    let auth_settings = AuthSettings {
        access_token_ttl: Duration::seconds(settings.auth.access_token_ttl_secs),
        refresh_token_ttl: Duration::seconds(settings.auth.refresh_token_ttl_secs),
        session_max_lifetime: Duration::seconds(settings.auth.session_max_lifetime_secs),
        lockout: LockoutPolicy {
            max_failures: settings.auth.max_failed_logins,
            lockout: Duration::seconds(settings.auth.lockout_secs),
        },
        max_external_token_ttl: Duration::seconds(settings.auth.max_external_token_ttl_secs),
        require_verified_email: settings.auth.require_verified_email,
        verification_ttl: Duration::seconds(settings.auth.verification_token_ttl_secs),
    };
    let auth = AuthService::new(ports, auth_settings);
    let task_store = Arc::new(SeaTaskRepository::new(conn.clone()));
    let trash_purge = TrashPurge::new(
        task_store.clone(),
        Arc::new(SeaJobLeases::new(conn.clone())),
        clock.clone(),
        Duration::days(i64::from(settings.tasks.trash_retention_days)),
        Duration::seconds(i64::from(PURGE_EVERY_SECS)),
    );
    let tasks = TaskService::new(
        task_store,
        Arc::new(SeaLabelRepository::new(conn.clone())),
        users.clone(),
        Arc::new(SeaChangeFeed::new(conn.clone())),
        clock.clone(),
        Duration::days(i64::from(settings.sync.retention_days)),
    );
    let idempotency = IdempotencyService::new(
        Arc::new(SeaIdempotencyStore::new(conn)),
        clock,
        Duration::hours(IDEMPOTENCY_WINDOW_HOURS),
        Duration::seconds(IDEMPOTENCY_LEASE_SECS),
    );
    Ok(AppState {
        auth,
        tasks,
        trash_purge,
        idempotency,
        resets,
        limiter,
        db,
    })
}

/// Deletes expired idempotency keys now and then, for as long as the
/// server runs.
async fn purge_expired(state: web::Data<AppState>) {
    let mut ticks =
        tokio::time::interval(std::time::Duration::from_secs(u64::from(PURGE_EVERY_SECS)));
    loop {
        ticks.tick().await;
        match state.idempotency.purge_expired().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
            Err(err) => tracing::warn!(error = %err, "purging idempotency keys failed"),
        }
        match state.limiter.purge().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old rate-limit counts purged"),
            Err(err) => tracing::warn!(error = %err, "purging rate-limit counts failed"),
        }
        match state.auth.purge_expired_links().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired verification links purged"),
            Err(err) => tracing::warn!(error = %err, "purging verification links failed"),
        }
        match state.trash_purge.run().await {
            Ok(None | Some(0)) => {}
            Ok(Some(purged)) => tracing::info!(purged, "tasks deleted before the retention purged"),
            Err(err) => tracing::warn!(error = %err, "purging the trash failed"),
        }
        match state.tasks.forget_old_changes().await {
            Ok(0) => {}
            Ok(forgotten) => {
                tracing::info!(forgotten, "changes older than the retention forgotten")
            }
            Err(err) => tracing::warn!(error = %err, "forgetting old changes failed"),
        }
    }
}

/// A bound server, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    /// The separate `/metrics` server (`metrics.listen`) and its port.
    metrics: Option<(Server, u16)>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("metrics_port", &self.metrics_port())
            .finish_non_exhaustive()
    }
}

/// Binds the server that answers only `/metrics`, at `metrics.listen`.
fn metrics_server(
    address: &str,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    policy: web::Data<HeaderPolicy>,
) -> Result<(Server, u16), StartupError> {
    let listener = TcpListener::bind(address).map_err(StartupError::MetricsBind)?;
    let port = listener
        .local_addr()
        .map_err(StartupError::MetricsBind)?
        .port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(policy.clone())
            .route("/metrics", web::get().to(routes::service::metrics))
            .default_service(web::to(routes::not_found))
            .wrap(from_fn(envelope))
    })
    .workers(1)
    .listen(listener)
    .map_err(StartupError::MetricsBind)?
    .run();
    Ok((server, port))
}

impl Application {
    /// Connects, migrates (unless turned off), wires and binds.
    ///
    /// # Errors
    /// [`StartupError`] naming what failed.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = connect(&settings).await?;
        if settings.database.auto_migrate {
            db.migrate(MigrationCommand::Up)
                .await
                .map_err(StartupError::Migrate)?;
        }
        let factors = SeaSecondFactorStore::new(db.clone(), totp_sealer(&settings));
        let Resealed { resealed, unopened } =
            factors.reseal_secrets().await.map_err(StartupError::Seal)?;
        if resealed > 0 {
            tracing::info!(
                resealed,
                "sealed TOTP secrets under the current sealing key"
            );
        }
        if unopened > 0 {
            tracing::warn!(
                unopened,
                "TOTP secrets sealed under a key that is not configured: their accounts cannot \
                 sign in until the key is listed in auth.previous_sealing_keys"
            );
        }
        let state = web::Data::new(state(&settings, db, factors)?);
        tokio::spawn(purge_expired(state.clone()));
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .map_err(StartupError::Bind)?;
        let port = listener.local_addr().map_err(StartupError::Bind)?.port();
        let policy = web::Data::new(HeaderPolicy {
            hsts: settings.server.hsts,
        });
        let trusted = TrustedProxies(settings.trusted_proxies());
        let budget = web::Data::new(ClientBudget::per_minute(
            settings.auth.rate_limit_per_minute,
        ));
        let trusted = web::Data::new(trusted);
        let origins = Arc::new(settings.server.allowed_origins(settings.production, port));
        let body_limit = settings.server.body_limit_bytes;
        let workers = settings.server.worker_count();
        let metrics =
            web::Data::new(Metrics::new().map_err(|e| StartupError::Config(e.to_string()))?);
        let metrics_listen = settings.metrics.listen();
        let endpoints = Arc::new(routes::endpoints(metrics_listen.is_none()));
        let docs = web::Data::new(
            ApiDocs::new(&openapi::document(&endpoints)).map_err(StartupError::Config)?,
        );
        let metrics_server = metrics_listen
            .map(|address| metrics_server(address, state.clone(), metrics.clone(), policy.clone()))
            .transpose()?;
        let server = HttpServer::new(move || {
            if let Err(e) = state.db.open_worker_pool() {
                tracing::error!("a worker's database pool: {e}; the worker uses the shared pool");
            }
            App::new()
                .app_data(state.clone())
                .app_data(policy.clone())
                .app_data(trusted.clone())
                .app_data(budget.clone())
                .app_data(metrics.clone())
                .app_data(docs.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .configure(|cfg| routes::configure(cfg, &endpoints))
                .default_service(web::to(routes::not_found))
                .wrap(cors::policy(origins.clone()))
                .wrap(NormalizePath::trim())
                .wrap(from_fn(envelope))
                .wrap(from_fn(metrics::track))
        })
        .workers(workers)
        .listen(listener)
        .map_err(StartupError::Bind)?
        .run();
        Ok(Self {
            port,
            server,
            metrics: metrics_server,
        })
    }

    /// The bound port (useful with `server.port = 0`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate `/metrics` server, when `metrics.listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests finish first. The
    /// `/metrics` server stops with the main one.
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((metrics, _)) = self.metrics else {
            return self.server.await;
        };
        let metrics_handle = metrics.handle();
        let metrics = tokio::spawn(metrics);
        let result = self.server.await;
        metrics_handle.stop(true).await;
        let _ = metrics.await;
        result
    }
}
