//! Layered configuration: built-in defaults → `config/default.toml` →
//! `config/<APP_ENV>.toml` → `TASKPULSE__SECTION__KEY` → the plain variable
//! names of the original backends. Checked once, before the server binds.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use config::{Config, Environment, File};
use serde::Deserialize;

/// Where the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// Local development (the default).
    Development,
    /// Automated tests.
    Test,
    /// Production.
    Production,
}

impl AppEnv {
    /// Reads `APP_ENV` (`development` when unset).
    ///
    /// # Errors
    /// [`SettingsError`] for an unknown value.
    pub fn from_env() -> Result<Self, SettingsError> {
        match std::env::var("APP_ENV").as_deref() {
            Err(_) | Ok("development") => Ok(Self::Development),
            Ok("test") => Ok(Self::Test),
            Ok("production") => Ok(Self::Production),
            Ok(other) => Err(SettingsError(format!(
                "APP_ENV must be development, test or production, not {other:?}"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

/// A configuration problem, as one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct SettingsError(String);

/// A secret that never shows in logs or debug output.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Every setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Authentication.
    pub auth: AuthSettings,
    /// Logging.
    pub log: LogSettings,
    /// Metrics.
    pub metrics: MetricsSettings,
    /// Outgoing mail.
    pub mail: MailSettings,
    /// Whether `APP_ENV` is `production` (set by validation).
    #[serde(skip)]
    pub production: bool,
    /// Set when no secret was configured and a random one was generated
    /// (so tokens do not survive a restart).
    #[serde(skip)]
    pub secret_generated: bool,
}

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
    /// Peer addresses whose `X-Forwarded-For`/`Forwarded` are believed.
    pub trusted_proxies: Vec<String>,
}

impl ServerSettings {
    /// Worker threads: `workers`, or the number of cores.
    pub fn worker_count(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
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

/// `auth.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// HS256 secret, at least 32 bytes.
    pub secret: Option<Secret>,
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access token lifetime.
    pub access_token_ttl_secs: i64,
    /// Refresh token (and idle session) lifetime.
    pub refresh_token_ttl_secs: i64,
    /// bcrypt cost.
    pub bcrypt_cost: u32,
    /// Failed logins in a row that lock an account.
    pub max_failed_logins: u32,
    /// How long a lock lasts.
    pub lockout_secs: i64,
    /// Per-IP limit on login, register, refresh and forgot-password.
    pub rate_limit_per_minute: u32,
    /// Password-reset token lifetime.
    pub reset_token_ttl_secs: i64,
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

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            workers: None,
            body_limit_bytes: 64 * 1024,
            hsts: false,
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
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

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            secret: None,
            issuer: "taskpulse".into(),
            audience: "taskpulse".into(),
            access_token_ttl_secs: 86_400,
            refresh_token_ttl_secs: 30 * 86_400,
            bcrypt_cost: 12,
            max_failed_logins: 5,
            lockout_secs: 900,
            rate_limit_per_minute: 20,
            reset_token_ttl_secs: 3600,
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
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: "log".into(),
            smtp_url: None,
            from: "TaskPulse <no-reply@localhost>".into(),
            reset_url: "http://localhost:3000/reset-password?token={token}".into(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Pretty,
        }
    }
}

/// The plain variable names of the original backends, by setting.
const PLAIN_NAMES: &[(&str, &[&str])] = &[
    ("database.url", &["DATABASE_URL"]),
    (
        "auth.secret",
        &["SECRET_KEY", "JWT_SECRET", "BETTER_AUTH_SECRET"],
    ),
    ("server.host", &["HOST"]),
    ("server.port", &["PORT"]),
];

impl Settings {
    /// Loads the layers for `env` from `config_dir` and the process
    /// environment, then checks them. In development and test a missing
    /// secret is replaced by a random one (with a warning from the caller).
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad setting.
    pub fn load(env: AppEnv, config_dir: &Path) -> Result<Self, SettingsError> {
        let mut builder = Config::builder()
            .add_source(File::from(config_dir.join("default.toml")).required(false))
            .add_source(
                File::from(config_dir.join(format!("{}.toml", env.as_str()))).required(false),
            )
            .add_source(
                Environment::with_prefix("TASKPULSE")
                    .prefix_separator("__")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("server.cors_origins")
                    .with_list_parse_key("server.trusted_proxies")
                    .try_parsing(true),
            );
        for (key, names) in PLAIN_NAMES {
            for name in names.iter().rev() {
                if let Ok(value) = std::env::var(name) {
                    builder = builder
                        .set_override(*key, value)
                        .map_err(|e| SettingsError(e.to_string()))?;
                    break;
                }
            }
        }
        for name in ["CORS_ORIGINS", "ALLOWED_ORIGINS"] {
            if let Ok(value) = std::env::var(name) {
                builder = builder
                    .set_override("server.cors_origins", origin_list(&value))
                    .map_err(|e| SettingsError(e.to_string()))?;
                break;
            }
        }
        let settings: Self = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validated(env)
    }

    /// Checks every setting, filling in a random secret outside production.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad setting.
    pub fn validated(mut self, env: AppEnv) -> Result<Self, SettingsError> {
        self.production = env == AppEnv::Production;
        match &self.auth.secret {
            Some(secret) if secret.expose().len() < 32 => {
                return Err(SettingsError(
                    "auth.secret must be at least 32 bytes".into(),
                ));
            }
            Some(_) => {}
            None if env == AppEnv::Production => {
                return Err(SettingsError(
                    "auth.secret is required in production".into(),
                ));
            }
            None => {
                self.auth.secret = Some(random_secret()?);
                self.secret_generated = true;
            }
        }
        let url = self.database.url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(SettingsError(
                "database.url must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        if self.database.transaction_pooling && url.starts_with("sqlite:") {
            return Err(SettingsError(
                "database.transaction_pooling applies to PostgreSQL URLs only".into(),
            ));
        }
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            return Err(SettingsError(
                "auth.bcrypt_cost must be from 4 to 31".into(),
            ));
        }
        for (name, value) in [
            (
                "auth.access_token_ttl_secs",
                self.auth.access_token_ttl_secs,
            ),
            (
                "auth.refresh_token_ttl_secs",
                self.auth.refresh_token_ttl_secs,
            ),
            ("auth.lockout_secs", self.auth.lockout_secs),
            ("auth.reset_token_ttl_secs", self.auth.reset_token_ttl_secs),
        ] {
            if value <= 0 {
                return Err(SettingsError(format!("{name} must be positive")));
            }
        }
        if self.auth.max_failed_logins == 0 || self.auth.rate_limit_per_minute == 0 {
            return Err(SettingsError(
                "auth.max_failed_logins and auth.rate_limit_per_minute must be at least 1".into(),
            ));
        }
        if let Some(bad) = self
            .server
            .trusted_proxies
            .iter()
            .find(|p| p.parse::<IpAddr>().is_err())
        {
            return Err(SettingsError(format!(
                "server.trusted_proxies: {bad:?} is not an IP address"
            )));
        }
        if self.database.min_connections > self.database.max_connections {
            return Err(SettingsError(
                "database.min_connections must not exceed database.max_connections".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError(
                "database.max_connections must be at least 1".into(),
            ));
        }
        if self.server.body_limit_bytes == 0 {
            return Err(SettingsError(
                "server.body_limit_bytes must be positive".into(),
            ));
        }
        if let Some(listen) = self.metrics.listen()
            && !listen
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        {
            return Err(SettingsError(format!(
                "metrics.listen must be host:port, not {listen:?}"
            )));
        }
        Ok(self)
    }

    /// The token secret (always set once validated).
    pub fn secret(&self) -> &str {
        self.auth.secret.as_ref().map_or("", Secret::expose)
    }
}

/// `["a", "b"]` (JSON, as the original backends wrote it) or `a,b`.
fn origin_list(value: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(value).unwrap_or_else(|_| {
        value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

impl Settings {
    /// The trusted proxies, parsed (validation checked them).
    pub fn trusted_proxies(&self) -> Vec<IpAddr> {
        self.server
            .trusted_proxies
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

fn random_secret() -> Result<Secret, SettingsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| SettingsError(format!("cannot generate auth.secret: {e}")))?;
    Ok(Secret(bytes.iter().map(|b| format!("{b:02x}")).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(secret: &str) -> Settings {
        let mut settings = Settings::default();
        settings.auth.secret = Some(Secret::new(secret.into()));
        settings
    }

    fn message(result: Result<Settings, SettingsError>) -> String {
        result.map(|_| ()).expect_err("refused").to_string()
    }

    #[test]
    fn a_short_secret_is_refused_naming_the_setting() {
        assert!(
            message(with_secret("too short").validated(AppEnv::Development))
                .contains("auth.secret")
        );
    }

    #[test]
    fn production_requires_a_secret() {
        assert!(message(Settings::default().validated(AppEnv::Production)).contains("auth.secret"));
    }

    #[test]
    fn development_generates_a_random_secret() {
        let first = Settings::default()
            .validated(AppEnv::Development)
            .expect("valid");
        let second = Settings::default()
            .validated(AppEnv::Development)
            .expect("valid");

        assert!(first.secret_generated);
        assert_eq!(first.secret().len(), 64);
        assert_ne!(first.secret(), second.secret());
    }

    #[test]
    fn transaction_pooling_is_refused_on_sqlite() {
        let mut settings = with_secret(&"k".repeat(32));
        settings.database.transaction_pooling = true;
        assert!(message(settings.validated(AppEnv::Test)).contains("database.transaction_pooling"));
    }

    #[test]
    fn a_malformed_database_url_is_refused_naming_the_setting() {
        let mut settings = with_secret(&"k".repeat(32));
        settings.database.url = Secret::new("mysql://localhost/db".into());

        assert!(message(settings.validated(AppEnv::Test)).contains("database.url"));
    }

    #[test]
    fn a_bcrypt_cost_outside_4_to_31_is_refused() {
        let mut settings = with_secret(&"k".repeat(32));
        settings.auth.bcrypt_cost = 3;

        assert!(message(settings.validated(AppEnv::Test)).contains("auth.bcrypt_cost"));
    }

    #[test]
    fn files_layer_over_the_defaults() {
        let dir = std::env::temp_dir().join(format!(
            "taskpulse-config-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(
            dir.join("default.toml"),
            "[server]\nport = 9000\n[auth]\nbcrypt_cost = 10\n",
        )
        .expect("write");
        std::fs::write(
            dir.join("test.toml"),
            "[auth]\nbcrypt_cost = 5\nsecret = \"0123456789abcdef0123456789abcdef\"\n",
        )
        .expect("write");

        let settings = Settings::load(AppEnv::Test, &dir).expect("valid");
        let _ = std::fs::remove_dir_all(&dir);

        assert_eq!(settings.server.port, 9000);
        assert_eq!(settings.auth.bcrypt_cost, 5);
        assert_eq!(settings.server.host, "127.0.0.1");
        assert!(!settings.secret_generated);
    }

    #[test]
    fn origins_are_read_as_json_or_comma_separated() {
        assert_eq!(
            origin_list(r#"["https://a.example", "https://b.example"]"#),
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(
            origin_list("https://a.example, https://b.example"),
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn a_trusted_proxy_must_be_an_ip_address() {
        let mut settings = with_secret(&"k".repeat(32));
        settings.server.trusted_proxies = vec!["proxy.internal".into()];

        assert!(message(settings.validated(AppEnv::Test)).contains("server.trusted_proxies"));
    }

    #[test]
    fn metrics_listen_must_be_host_and_port() {
        let mut settings = with_secret(&"k".repeat(32));
        settings.metrics.listen = Some("localhost".into());

        assert!(message(settings.validated(AppEnv::Test)).contains("metrics.listen"));
    }

    #[test]
    fn an_empty_metrics_listen_means_the_main_port() {
        let settings = MetricsSettings {
            listen: Some("  ".into()),
        };

        assert_eq!(settings.listen(), None);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings = with_secret("a-very-secret-value-of-32-bytes!!");

        assert!(!format!("{settings:?}").contains("a-very-secret"));
    }
}
