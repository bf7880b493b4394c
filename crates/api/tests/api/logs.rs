//! The `taskpulse` binary's log: each request's lines carry its request id,
//! security events (stored or not) are written with theirs, and no password, password hash, token or secret is ever written, in
//! either format (JSON as in production, pretty as in development). And a
//! bare production binary, started away from `config/`, is hardened.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

const SECRET: &str = "log-test-secret-that-is-long-enough-0123456789";
const PASSWORD: &str = "correct horse battery staple";
const WRONG_PASSWORD: &str = "incorrect donkey battery stable";

/// The binary, running on a fresh SQLite file in its own directory.
struct Server {
    child: Child,
    address: String,
    reader: JoinHandle<Vec<String>>,
    dir: PathBuf,
}

impl Server {
    /// Starts it with `APP_ENV=app_env` and the variables `env` on top of
    /// the ones every test needs.
    fn start(app_env: &str, env: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("taskpulse-logs-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_taskpulse"))
            .current_dir(&dir)
            .env_clear()
            .env("APP_ENV", app_env)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.join("logs.db").display()),
            )
            .env("SECRET_KEY", SECRET)
            .env("TASKPULSE__SERVER__PORT", "0")
            .env("TASKPULSE__SERVER__WORKERS", "1")
            // The lowest cost each environment accepts.
            .env(
                "TASKPULSE__AUTH__BCRYPT_COST",
                if app_env == "production" { "10" } else { "4" },
            )
            .env("TASKPULSE__LOG__LEVEL", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the taskpulse binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (port_tx, port_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = listening_port(&line) {
                    let _ = port_tx.send(port);
                }
                lines.push(line);
            }
            lines
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs its port");
        Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            reader,
            dir,
        }
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let lines = self.reader.join().expect("reader thread");
        let _ = std::fs::remove_dir_all(&self.dir);
        lines
    }
}

/// The port of the `listening on http://host:port` line.
fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let after_colon = &rest[rest.find(':')? + 1..];
    let digits: String = after_colon
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

async fn post(address: &str, path: &str, request_id: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{address}{path}"))
        .header("x-request-id", request_id)
        .json(body)
        .send()
        .await
        .expect("sent")
}

async fn password_hash(dir: &Path) -> String {
    let db = Database::connect(format!("sqlite://{}", dir.join("logs.db").display()))
        .await
        .expect("connect");
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT password_hash FROM users".to_owned(),
    );
    let row = db
        .query_one_raw(statement)
        .await
        .expect("queried")
        .expect("one user");
    let hash = row
        .try_get::<String>("", "password_hash")
        .expect("password_hash");
    let _ = db.close().await;
    hash
}

/// Registers, reads `/me`, refreshes, signs in, and fails to sign in;
/// returns the log and every secret those requests carried.
async fn sign_up_and_in(app_env: &str, format: &str) -> (Vec<String>, Vec<String>) {
    let server = Server::start(
        app_env,
        &[
            ("TASKPULSE__LOG__FORMAT", format),
            ("TASKPULSE__METRICS__LISTEN", ""),
        ],
    );
    let address = server.address.clone();
    let email = format!("log-{}@example.com", uuid::Uuid::new_v4().simple());

    let registered = post(
        &address,
        "/api/v1/auth/register",
        "logtest-register",
        &json!({"name": "Log Test", "email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let tokens: Value = registered.json().await.expect("tokens");
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let me = reqwest::Client::new()
        .get(format!("{address}/api/v1/auth/me"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent");
    assert_eq!(me.status(), StatusCode::OK);
    let refreshed: Value = post(
        &address,
        "/api/v1/auth/refresh",
        "logtest-refresh",
        &json!({"refresh_token": refresh}),
    )
    .await
    .json()
    .await
    .expect("tokens");
    let login = post(
        &address,
        "/api/v1/auth/login",
        "logtest-login",
        &json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    let logged_in: Value = login.json().await.expect("tokens");
    let failed = post(
        &address,
        "/api/v1/auth/login",
        "logtest-failed-login",
        &json!({"email": email, "password": WRONG_PASSWORD}),
    )
    .await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    let client = reqwest::Client::new();
    let forged = client
        .get(format!("{address}/api/v1/auth/me"))
        .header("x-request-id", "logtest-forged-token")
        .bearer_auth("forged.token.value")
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let someone_else = uuid::Uuid::new_v4();
    let cross_user = client
        .get(format!("{address}/api/v1/users/{someone_else}/tasks"))
        .header("x-request-id", "logtest-cross-user")
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent");
    assert_eq!(cross_user.status(), StatusCode::NOT_FOUND);

    let hash = password_hash(&server.dir).await;
    let mut secrets = vec![
        SECRET.to_owned(),
        PASSWORD.to_owned(),
        WRONG_PASSWORD.to_owned(),
        hash,
        access,
        refresh,
    ];
    for tokens in [&refreshed, &logged_in] {
        for field in ["access_token", "refresh_token"] {
            secrets.push(tokens[field].as_str().expect("token").to_owned());
        }
    }
    (server.stop(), secrets)
}

fn check(lines: &[String], secrets: &[String]) {
    assert!(!lines.is_empty(), "the server logged nothing");
    for secret in secrets {
        let leaked: Vec<&String> = lines.iter().filter(|l| l.contains(secret)).collect();
        assert!(leaked.is_empty(), "a secret was logged: {leaked:#?}");
    }
    for id in [
        "logtest-register",
        "logtest-refresh",
        "logtest-login",
        "logtest-failed-login",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(id) && l.contains("request finished")),
            "no line of request {id}: {lines:#?}"
        );
    }
    for (id, event) in [
        ("logtest-register", "registered"),
        ("logtest-login", "login_succeeded"),
        ("logtest-failed-login", "login_failed"),
        ("logtest-forged-token", "token_refused"),
        ("logtest-cross-user", "cross_user_attempt"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(id) && l.contains("security event") && l.contains(event)),
            "no security event {event} of request {id}: {lines:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_no_secrets() {
    let (lines, secrets) = sign_up_and_in("production", "json").await;

    check(&lines, &secrets);
    for line in &lines {
        let event: Value = serde_json::from_str(line).expect("every line is one JSON object");
        assert!(event["level"].is_string(), "{line}");
    }
    let finished: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("request finished"))
        .collect();
    assert!(
        finished
            .iter()
            .any(|l| l.contains(r#""request_id":"logtest-login""#)),
        "{finished:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pretty_logs_carry_request_ids_and_no_secrets() {
    let (lines, secrets) = sign_up_and_in("development", "pretty").await;

    check(&lines, &secrets);
    assert!(
        lines
            .iter()
            .all(|l| serde_json::from_str::<Value>(l).is_err()),
        "pretty lines are not JSON"
    );
}

#[tokio::test]
async fn a_bare_production_binary_sends_hsts_logs_json_and_keeps_metrics_off_its_port() {
    // No config/ directory where it starts; only the metrics port is moved
    // to a free one, so that tests can run side by side.
    let server = Server::start(
        "production",
        &[("TASKPULSE__METRICS__LISTEN", "127.0.0.1:0")],
    );
    let client = reqwest::Client::new();

    let health = client
        .get(format!("{}/health", server.address))
        .send()
        .await
        .expect("sent");
    let metrics = client
        .get(format!("{}/metrics", server.address))
        .send()
        .await
        .expect("sent");
    let hsts = health.headers().get("strict-transport-security").cloned();
    let lines = server.stop();

    assert_eq!(health.status(), StatusCode::OK);
    assert!(hsts.is_some(), "HSTS is on");
    assert_eq!(
        metrics.status(),
        StatusCode::NOT_FOUND,
        "/metrics is not public"
    );
    let first = lines.first().expect("a log line");
    assert!(
        serde_json::from_str::<Value>(first).is_ok(),
        "JSON logs: {first}"
    );
}
