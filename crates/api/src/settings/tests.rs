//! Unit tests of loading and validating the settings.

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
        message(with_secret("too short").validated(AppEnv::Development)).contains("auth.secret")
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
fn a_bcrypt_cost_below_10_is_refused_in_production_only() {
    let mut settings = with_secret(&"k".repeat(32));
    settings.auth.bcrypt_cost = 9;
    assert!(message(settings.validated(AppEnv::Production)).contains("at least 10"));

    let mut settings = with_secret(&"k".repeat(32));
    settings.auth.bcrypt_cost = 9;
    assert!(settings.validated(AppEnv::Test).is_ok());
    let mut settings = with_secret(&"k".repeat(32));
    settings.auth.bcrypt_cost = 10;
    assert!(settings.validated(AppEnv::Production).is_ok());
}

#[test]
fn files_layer_over_the_defaults() {
    let dir = config_dir(&[
        (
            "default.toml",
            "[server]\nport = 9000\n[auth]\nbcrypt_cost = 10\n",
        ),
        (
            "test.toml",
            "[auth]\nbcrypt_cost = 5\nsecret = \"0123456789abcdef0123456789abcdef\"\n",
        ),
    ]);

    let settings = Settings::load(AppEnv::Test, &dir).expect("valid");
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(settings.server.port, 9000);
    assert_eq!(settings.auth.bcrypt_cost, 5);
    assert_eq!(settings.server.host, "127.0.0.1");
    assert!(!settings.secret_generated);
}

/// A fresh directory holding `files` (name, contents).
fn config_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "taskpulse-config-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, contents) in files {
        std::fs::write(dir.join(name), contents).expect("write");
    }
    dir
}

const PRODUCTION_SECRET: &str = "[auth]\nsecret = \"0123456789abcdef0123456789abcdef\"\n";

#[test]
fn production_is_hardened_without_any_file_of_its_own() {
    let weak_default =
        "[server]\nhsts = false\n[log]\nformat = \"pretty\"\n[metrics]\nlisten = \"\"\n";
    let dir = config_dir(&[
        ("default.toml", weak_default),
        ("production.toml", PRODUCTION_SECRET),
    ]);

    let settings = Settings::load(AppEnv::Production, &dir).expect("valid");
    let _ = std::fs::remove_dir_all(&dir);

    assert!(settings.server.hsts);
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(settings.metrics.listen(), Some("127.0.0.1:9100"));
    assert_eq!(settings.server.host, "0.0.0.0");
}

#[test]
fn production_toml_may_override_the_built_in_production_defaults() {
    let overrides = format!(
        "{PRODUCTION_SECRET}[server]\nhsts = false\n[metrics]\nlisten = \"127.0.0.1:9200\"\n"
    );
    let dir = config_dir(&[("production.toml", &overrides)]);

    let settings = Settings::load(AppEnv::Production, &dir).expect("valid");
    let _ = std::fs::remove_dir_all(&dir);

    assert!(!settings.server.hsts);
    assert_eq!(settings.metrics.listen(), Some("127.0.0.1:9200"));
    assert_eq!(settings.log.format, LogFormat::Json);
}

#[test]
fn development_does_not_take_the_production_defaults() {
    let dir = config_dir(&[]);

    let settings = Settings::load(AppEnv::Development, &dir).expect("valid");
    let _ = std::fs::remove_dir_all(&dir);

    assert!(!settings.server.hsts);
    assert_eq!(settings.log.format, LogFormat::Pretty);
    assert_eq!(settings.metrics.listen(), None);
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

#[test]
fn the_own_origin_comes_from_public_url_or_outside_production_from_loopback() {
    let mut settings = with_secret("0123456789abcdef0123456789abcdef");
    settings.server.cors_origins = vec!["https://app.example".into()];

    let development = settings.server.allowed_origins(false, 8123);
    let production = settings.server.allowed_origins(true, 8123);
    settings.server.public_url = Some("https://Tasks.Example:443/api/".into());
    let configured = settings.server.allowed_origins(true, 8123);

    assert_eq!(
        development,
        [
            "https://app.example",
            "http://127.0.0.1:8123",
            "http://localhost:8123"
        ]
    );
    assert_eq!(production, ["https://app.example"]);
    assert_eq!(configured, ["https://app.example", "https://tasks.example"]);
}

#[test]
fn a_public_url_must_be_http_with_a_host_and_https_in_production() {
    let public = |url: &str| {
        let mut settings = with_secret("0123456789abcdef0123456789abcdef");
        settings.server.public_url = Some(url.into());
        settings
    };

    assert!(message(public("tasks.example").validated(AppEnv::Test)).contains("server.public_url"));
    assert!(
        message(public("ftp://tasks.example").validated(AppEnv::Test))
            .contains("server.public_url")
    );
    assert!(
        public("http://127.0.0.1:8000")
            .validated(AppEnv::Test)
            .is_ok()
    );
    assert!(
        public("  ").validated(AppEnv::Test).is_ok(),
        "blank is unset"
    );
    assert!(
        message(public("http://tasks.example").validated(AppEnv::Production)).contains("https")
    );
    assert!(
        public("https://tasks.example")
            .validated(AppEnv::Production)
            .is_ok()
    );
}

#[test]
fn retentions_outside_1_to_3650_days_are_refused() {
    for days in [0, 3651] {
        let mut settings = with_secret(&"k".repeat(32));
        settings.tasks.trash_retention_days = days;
        assert!(
            message(settings.validated(AppEnv::Test)).contains("tasks.trash_retention_days"),
            "{days}"
        );
    }
    for days in [0, 3651] {
        let mut settings = with_secret(&"k".repeat(32));
        settings.sync.retention_days = days;
        assert!(
            message(settings.validated(AppEnv::Test)).contains("sync.retention_days"),
            "{days} days"
        );
    }
    let mut settings = with_secret(&"k".repeat(32));
    settings.tasks.trash_retention_days = 3650;
    settings.sync.retention_days = 3650;
    assert!(settings.validated(AppEnv::Test).is_ok());
}

#[test]
fn sealing_keys_shorter_than_32_bytes_are_refused_naming_the_setting() {
    let mut current = with_secret(&"k".repeat(32));
    current.auth.sealing_key = Some(Secret::new("short".into()));
    let mut previous = with_secret(&"k".repeat(32));
    previous.auth.previous_sealing_keys =
        vec![Secret::new("s".repeat(32)), Secret::new("short".into())];
    let mut both = with_secret(&"k".repeat(32));
    both.auth.sealing_key = Some(Secret::new("s".repeat(32)));
    both.auth.previous_sealing_keys = vec![Secret::new("p".repeat(32))];

    assert!(message(current.validated(AppEnv::Test)).contains("auth.sealing_key"));
    assert!(message(previous.validated(AppEnv::Test)).contains("auth.previous_sealing_keys"));
    assert!(both.validated(AppEnv::Test).is_ok());
}

#[test]
fn sealing_keys_come_from_the_files_and_stay_out_of_debug_output() {
    let dir = config_dir(&[(
        "test.toml",
        "[auth]\nsealing_key = \"the-current-sealing-key-of-32-bytes\"\n\
         previous_sealing_keys = [\"an-earlier-sealing-key-of-32-bytes\", \"the-first-sealing-key-of-32-bytes!\"]\n",
    )]);

    let settings = Settings::load(AppEnv::Test, &dir).expect("valid");
    let _ = std::fs::remove_dir_all(&dir);

    let current = settings.auth.sealing_key.as_ref().map(Secret::expose);
    assert_eq!(current, Some("the-current-sealing-key-of-32-bytes"));
    let previous: Vec<&str> = settings
        .auth
        .previous_sealing_keys
        .iter()
        .map(Secret::expose)
        .collect();
    assert_eq!(
        previous,
        [
            "an-earlier-sealing-key-of-32-bytes",
            "the-first-sealing-key-of-32-bytes!"
        ]
    );
    assert!(!format!("{settings:?}").contains("sealing-key-of"));
}
