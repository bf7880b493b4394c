//! Layered configuration: built-in defaults → `config/default.toml` →
//! (in production) production's built-in defaults → `config/<APP_ENV>.toml`
//! → `TASKPULSE__SECTION__KEY` → the plain variable names of the original
//! backends. Checked once, before the server binds.
//!
//! Loading lives here; the sections, their checks and [`Secret`] have
//! modules of their own.

mod secret;
mod sections;
mod validation;

use std::net::IpAddr;
use std::path::Path;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

pub use secret::Secret;
pub use sections::{
    AuthSettings, DatabaseSettings, LogFormat, LogSettings, MailSettings, MetricsSettings,
    ServerSettings, SyncSettings, TasksSettings,
};

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
    /// Tasks.
    pub tasks: TasksSettings,
    /// The change log and its feed.
    pub sync: SyncSettings,
    /// Whether `APP_ENV` is `production` (set by validation).
    #[serde(skip)]
    pub production: bool,
    /// Set when no secret was configured and a random one was generated
    /// (so tokens do not survive a restart).
    #[serde(skip)]
    pub secret_generated: bool,
}

/// Production's hardening (HSTS, `/metrics` on loopback only, JSON logs),
/// built in so that it does not depend on the working directory: after
/// `config/default.toml`, before `config/production.toml`.
const PRODUCTION_DEFAULTS: &str = include_str!("production.toml");

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
            .add_source(File::from(config_dir.join("default.toml")).required(false));
        if env == AppEnv::Production {
            builder = builder.add_source(File::from_str(PRODUCTION_DEFAULTS, FileFormat::Toml));
        }
        builder = builder
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
                    .with_list_parse_key("auth.previous_sealing_keys")
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

    /// The token secret (always set once validated).
    pub fn secret(&self) -> &str {
        self.auth.secret.as_ref().map_or("", Secret::expose)
    }

    /// The trusted proxies, parsed (validation checked them).
    pub fn trusted_proxies(&self) -> Vec<IpAddr> {
        self.server
            .trusted_proxies
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect()
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

#[cfg(test)]
mod tests;
