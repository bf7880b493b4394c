//! The sections of [`Settings`](super::Settings): `server`, `database`,
//! `auth`, `log`, `metrics` and `mail`, each with its built-in defaults.

use serde::Deserialize;

use super::Secret;

/// `server.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Bind address.
    pub host: String,
    /// Bind port; 0 picks a free one.
    pub port: u16,
    /// Worker threads; the number of cores when unset.
    pub workers: Option<usize>,
    /// Largest request body.
    pub body_limit_bytes: usize,
    /// Whether to send `Strict-Transport-Security`.
    pub hsts: bool,
    /// Origins allowed to call the API from a browser.
    pub cors_origins: Vec<String>,
    /// The URL browsers reach this server at (behind any proxy), e.g.
    /// `https://tasks.example.com`: its origin may call the API too (the
    /// `/docs` page). Unset, outside production the loopback origins of the
    /// bound port stand in; in production only `cors_origins` are allowed.
    pub public_url: Option<String>,
    /// Peer addresses whose `X-Forwarded-For`/`Forwarded` are believed.
    pub trusted_proxies: Vec<String>,
}

impl ServerSettings {
    /// `public_url`, unless unset or blank.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
    }

    /// The origin (`scheme://host[:port]`) of `public_url`, if it is set
    /// and an http(s) URL with a host.
    pub fn public_origin(&self) -> Option<String> {
        let url = url::Url::parse(self.public_url()?).ok()?;
        let web = matches!(url.scheme(), "http" | "https") && url.host().is_some();
        web.then(|| url.origin().ascii_serialization())
    }

    /// The origins that may call the API from a browser: `cors_origins`,
    /// and the server's own, from `public_url`, or outside `production`
    /// without one, `http://127.0.0.1:{port}` and `http://localhost:{port}`
    /// of the bound `port`.
    pub fn allowed_origins(&self, production: bool, port: u16) -> Vec<String> {
        let own = match self.public_origin() {
            Some(origin) => vec![origin],
            None if production => Vec::new(),
            None => vec![
                format!("http://127.0.0.1:{port}"),
                format!("http://localhost:{port}"),
            ],
        };
        self.cors_origins.iter().cloned().chain(own).collect()
    }

    /// Worker threads: `workers`, or the number of cores.
    pub fn worker_count(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            workers: None,
            body_limit_bytes: 64 * 1024,
            hsts: false,
            cors_origins: Vec::new(),
            public_url: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// `database.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`.
    pub url: Secret,
    /// Pool size.
    pub max_connections: u32,
    /// Connections kept open even when idle.
    pub min_connections: u32,
    /// Milliseconds a request waits for a pooled connection.
    pub acquire_timeout_ms: u64,
    /// Seconds before an idle connection above the minimum is closed.
    pub idle_timeout_secs: u64,
    /// Seconds before a connection is replaced.
    pub max_lifetime_secs: u64,
    /// `database.url` points at a pooler in transaction mode that does not
    /// track prepared statements (PgBouncer before 1.21): every statement
    /// runs in its own transaction, uncached.
    pub transaction_pooling: bool,
    /// Run migrations at start-up.
    pub auto_migrate: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("sqlite://taskpulse.db".into()),
            max_connections: 10,
            min_connections: 0,
            acquire_timeout_ms: 1000,
            idle_timeout_secs: 600,
            max_lifetime_secs: 1800,
            transaction_pooling: false,
            auto_migrate: true,
        }
    }
}

/// `auth.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// HS256 secret, at least 32 bytes.
    pub secret: Option<Secret>,
    /// The key TOTP secrets are sealed under, at least 32 bytes; unset,
    /// one derived from `secret`.
    pub sealing_key: Option<Secret>,
    /// Earlier sealing keys (or an earlier `secret`), at least 32 bytes
    /// each: secrets sealed under them still open, and are sealed again
    /// under the current key at start-up.
    pub previous_sealing_keys: Vec<Secret>,
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access token lifetime.
    pub access_token_ttl_secs: i64,
    /// Refresh token (and idle session) lifetime.
    pub refresh_token_ttl_secs: i64,
    /// The longest a session lasts from its login, however often it is
    /// refreshed.
    pub session_max_lifetime_secs: i64,
    /// bcrypt cost.
    pub bcrypt_cost: u32,
    /// Failed logins in a row that lock an account.
    pub max_failed_logins: u32,
    /// How long a lock lasts.
    pub lockout_secs: i64,
    /// Per-IP limit a minute on login, register, refresh and
    /// forgot-password, shared by every replica.
    pub rate_limit_per_minute: u32,
    /// Password-reset token lifetime.
    pub reset_token_ttl_secs: i64,
    /// Reset emails one account may be sent per hour.
    pub reset_mails_per_hour: u32,
    /// The longest lifetime accepted of an access token without a session
    /// (`sid`), such as the shared-secret frontends sign.
    pub max_external_token_ttl_secs: i64,
    /// Whether sign-in refuses an account whose email is not verified.
    pub require_verified_email: bool,
    /// Email-verification link lifetime.
    pub verification_token_ttl_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            secret: None,
            sealing_key: None,
            previous_sealing_keys: Vec::new(),
            issuer: "taskpulse".into(),
            audience: "taskpulse".into(),
            access_token_ttl_secs: 86_400,
            refresh_token_ttl_secs: 30 * 86_400,
            session_max_lifetime_secs: 90 * 86_400,
            bcrypt_cost: 12,
            max_failed_logins: 5,
            lockout_secs: 900,
            rate_limit_per_minute: 20,
            reset_token_ttl_secs: 3600,
            reset_mails_per_hour: 3,
            max_external_token_ttl_secs: 86_400,
            require_verified_email: false,
            verification_token_ttl_secs: 86_400,
        }
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `log.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    /// tracing filter (`RUST_LOG` wins when set).
    pub level: String,
    /// Line format.
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Pretty,
        }
    }
}

/// `metrics.*`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// `host:port` of a separate server for `/metrics`; unset or empty
    /// serves it on the main port.
    pub listen: Option<String>,
}

impl MetricsSettings {
    /// The separate `/metrics` address, if one is set.
    pub fn listen(&self) -> Option<&str> {
        self.listen
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// `mail.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MailSettings {
    /// `log` or `smtp`.
    pub transport: String,
    /// `smtps://…`, `smtp://…` (STARTTLS required) or `smtp://…?tls=none`
    /// (loopback only); may hold credentials.
    pub smtp_url: Option<Secret>,
    /// Sender.
    pub from: String,
    /// Link in the reset email; `{token}` is replaced.
    pub reset_url: String,
    /// Link in the verification email; `{token}` is replaced.
    pub verify_url: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: "log".into(),
            smtp_url: None,
            from: "TaskPulse <no-reply@localhost>".into(),
            reset_url: "http://localhost:3000/reset-password?token={token}".into(),
            verify_url: "http://localhost:3000/verify-email?token={token}".into(),
        }
    }
}

/// `tasks.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TasksSettings {
    /// Days a deleted task stays in the trash before the scheduled purge
    /// erases it (1–3650).
    pub trash_retention_days: u32,
}

impl Default for TasksSettings {
    fn default() -> Self {
        Self {
            trash_retention_days: 30,
        }
    }
}

/// `sync.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SyncSettings {
    /// Days the change log keeps a change; a sync cursor older than this
    /// is refused as expired (1–3650).
    pub retention_days: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self { retention_days: 30 }
    }
}
