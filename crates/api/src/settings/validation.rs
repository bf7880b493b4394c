//! The checks [`Settings::validated`] runs once, before the server binds.

use std::net::IpAddr;

use super::{AppEnv, Secret, Settings, SettingsError};

/// Fewer bytes than a secret or key must have.
fn short(secret: &Secret) -> bool {
    secret.expose().len() < 32
}

/// The lowest bcrypt cost production accepts.
const MIN_PRODUCTION_BCRYPT_COST: u32 = 10;

impl Settings {
    /// Checks every setting, filling in a random secret outside production.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad setting.
    pub fn validated(mut self, env: AppEnv) -> Result<Self, SettingsError> {
        self.production = env == AppEnv::Production;
        match &self.auth.secret {
            Some(secret) if short(secret) => {
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
                self.auth.secret = Some(Secret::random()?);
                self.secret_generated = true;
            }
        }
        if self.auth.sealing_key.as_ref().is_some_and(short)
            || self.auth.previous_sealing_keys.iter().any(short)
        {
            return Err(SettingsError(
                "auth.sealing_key and each of auth.previous_sealing_keys must be at least 32 bytes"
                    .into(),
            ));
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
        // ASVS 5.0 V11.4.2: a cost that tests use would make stored
        // hashes cheap to crack.
        if env == AppEnv::Production && self.auth.bcrypt_cost < MIN_PRODUCTION_BCRYPT_COST {
            return Err(SettingsError(format!(
                "auth.bcrypt_cost must be at least {MIN_PRODUCTION_BCRYPT_COST} in production"
            )));
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
            (
                "auth.session_max_lifetime_secs",
                self.auth.session_max_lifetime_secs,
            ),
            ("auth.lockout_secs", self.auth.lockout_secs),
            ("auth.reset_token_ttl_secs", self.auth.reset_token_ttl_secs),
            (
                "auth.verification_token_ttl_secs",
                self.auth.verification_token_ttl_secs,
            ),
            (
                "auth.max_external_token_ttl_secs",
                self.auth.max_external_token_ttl_secs,
            ),
        ] {
            if value <= 0 {
                return Err(SettingsError(format!("{name} must be positive")));
            }
        }
        for (name, days) in [
            (
                "tasks.trash_retention_days",
                self.tasks.trash_retention_days,
            ),
            ("sync.retention_days", self.sync.retention_days),
        ] {
            if !(1..=3650).contains(&days) {
                return Err(SettingsError(format!("{name} must be from 1 to 3650")));
            }
        }
        if self.auth.max_failed_logins == 0
            || self.auth.rate_limit_per_minute == 0
            || self.auth.reset_mails_per_hour == 0
        {
            return Err(SettingsError(
                "auth.max_failed_logins, auth.rate_limit_per_minute and auth.reset_mails_per_hour must be at least 1".into(),
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
        if let Some(url) = self.server.public_url() {
            let Some(origin) = self.server.public_origin() else {
                return Err(SettingsError(format!(
                    "server.public_url must be an http(s) URL with a host, not {url:?}"
                )));
            };
            if self.production && !origin.starts_with("https://") {
                return Err(SettingsError(
                    "server.public_url must be https in production".into(),
                ));
            }
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
}
