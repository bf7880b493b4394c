//! `spawn_app`: a fresh server on port 0 with a fresh database per test, and
//! typed helpers to talk to it like a client would.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use taskpulse_api::settings::{AppEnv, Secret, Settings};
use taskpulse_api::startup::Application;
use uuid::Uuid;

/// The secret test servers sign tokens with.
pub const SECRET: &str = "test-secret-of-at-least-thirty-two-bytes";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    /// PostgreSQL as the URL gives it (with TLS where the server offers it).
    Postgres,
    /// PostgreSQL over plain TCP (`sslmode=disable`).
    PostgresPlain,
    /// PostgreSQL reached through PgBouncer in transaction pooling mode,
    /// at `TASKPULSE_TEST_PGBOUNCER_URL` (`.ci/pgbouncer` starts one).
    PgBouncer,
}

/// A throwaway database: the URL the server uses, the URL tests use to look
/// inside, and what to remove afterwards.
pub struct ScratchDb {
    pub server_url: String,
    pub direct_url: String,
    pub scratch: Scratch,
}

/// Where the throwaway database lives, to remove it afterwards.
pub enum Scratch {
    SqliteFile(PathBuf),
    PostgresDb {
        admin_url: String,
        name: String,
    },
    /// Another server's database, removed with that server.
    Shared,
}

impl Scratch {
    /// A fresh, empty database, or `None` when the test must be skipped
    /// (PostgreSQL unreachable and not required, or PgBouncer not set up
    /// and not required).
    pub async fn create(backend: Backend) -> Option<ScratchDb> {
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir()
                    .join(format!("taskpulse-test-{}.db", Uuid::new_v4().simple()));
                let url = format!("sqlite://{}", path.display());
                Some(ScratchDb {
                    server_url: url.clone(),
                    direct_url: url,
                    scratch: Scratch::SqliteFile(path),
                })
            }
            Backend::Postgres => Self::create_postgres().await,
            Backend::PostgresPlain => {
                let mut made = Self::create_postgres().await?;
                let mut url = reqwest::Url::parse(&made.server_url).expect("URL parses");
                url.query_pairs_mut().append_pair("sslmode", "disable");
                made.server_url = url.to_string();
                Some(made)
            }
            Backend::PgBouncer => {
                let Ok(bouncer) = std::env::var("TASKPULSE_TEST_PGBOUNCER_URL") else {
                    assert!(
                        !required("TASKPULSE_REQUIRE_PGBOUNCER"),
                        "PgBouncer is required (TASKPULSE_REQUIRE_PGBOUNCER=1) but \
                         TASKPULSE_TEST_PGBOUNCER_URL is not set"
                    );
                    let _ = writeln!(
                        std::io::stderr(),
                        "TASKPULSE_TEST_PGBOUNCER_URL not set: test skipped"
                    );
                    return None;
                };
                let mut made = Self::create_postgres().await?;
                let direct = reqwest::Url::parse(&made.direct_url).expect("URL parses");
                let mut url = reqwest::Url::parse(&bouncer).expect("PgBouncer URL parses");
                url.set_path(direct.path());
                made.server_url = url.to_string();
                Some(made)
            }
        }
    }

    async fn create_postgres() -> Option<ScratchDb> {
        if !postgres_reachable() {
            assert!(
                !required("TASKPULSE_REQUIRE_POSTGRES"),
                "PostgreSQL is required (TASKPULSE_REQUIRE_POSTGRES=1) but unreachable"
            );
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL unreachable at {}: test skipped",
                postgres_admin_url()
            );
            return None;
        }
        let admin_url = postgres_admin_url();
        let name = format!("taskpulse_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let mut url = reqwest::Url::parse(&admin_url).expect("admin URL parses");
        url.set_path(&name);
        Some(ScratchDb {
            server_url: url.to_string(),
            direct_url: url.to_string(),
            scratch: Scratch::PostgresDb { admin_url, name },
        })
    }

    /// Deletes the database.
    pub async fn remove(self) {
        match self {
            Scratch::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Scratch::Shared => {}
            Scratch::PostgresDb { admin_url, name } => {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the separate `/metrics` server, when
    /// `metrics.listen` is set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    /// The server's database (directly, not through a pooler), for checks
    /// a client cannot make.
    pub database_url: String,
    scratch: Scratch,
}

/// A registered user with a valid access token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

impl TestUser {
    /// `/api/v1/users/{id}/tasks`.
    pub fn tasks(&self) -> String {
        format!("/api/v1/users/{}/tasks", self.id)
    }

    /// `/api/v1/users/{id}/tasks/{task}`.
    pub fn task(&self, task: &Value) -> String {
        format!("{}/{}", self.tasks(), task["id"])
    }
}

fn postgres_admin_url() -> String {
    std::env::var("TASKPULSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether the environment variable `name` is `1`.
fn required(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Whether PostgreSQL answers on the admin URL's host and port (checked
/// once per test binary).
fn postgres_reachable() -> bool {
    static REACHABLE: OnceLock<bool> = OnceLock::new();
    *REACHABLE.get_or_init(|| {
        let Ok(url) = reqwest::Url::parse(&postgres_admin_url()) else {
            return false;
        };
        let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
        let port = url.port().unwrap_or(5432);
        (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok())
    })
}

/// Settings of a test server on `database_url`.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.server.workers = Some(2);
    settings.database.url = Secret::new(database_url.into());
    settings.database.max_connections = 5;
    settings.auth.secret = Some(Secret::new(SECRET.into()));
    settings.auth.bcrypt_cost = 4;
    settings.auth.rate_limit_per_minute = 100_000;
    settings
}

/// Starts a server on a fresh database with settings adjusted by
/// `configure`, or `None` when the test must be skipped (PostgreSQL
/// unreachable and not required).
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let ScratchDb {
        server_url,
        direct_url,
        scratch,
    } = Scratch::create(backend).await?;
    let mut settings = test_settings(&server_url)
        .validated(AppEnv::Test)
        .expect("valid test settings");
    settings.database.transaction_pooling = matches!(backend, Backend::PgBouncer);
    configure(&mut settings);
    let app = Application::build(settings).await.expect("server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(TestApp {
        address,
        metrics_address,
        client,
        database_url: direct_url,
        scratch,
    })
}

impl TestApp {
    /// Removes the test's database.
    pub async fn teardown(self) {
        self.scratch.remove().await;
    }

    /// Another server on this one's database, as a second replica would be.
    pub async fn replica(&self) -> TestApp {
        self.replica_with(|_| {}).await
    }

    /// Another server on this one's database with settings adjusted by
    /// `configure`, as a replica restarted with new settings would be.
    pub async fn replica_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = test_settings(&self.database_url)
            .validated(AppEnv::Test)
            .expect("valid test settings");
        configure(&mut settings);
        let app = Application::build(settings).await.expect("replica starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            metrics_address: None,
            client: self.client.clone(),
            database_url: self.database_url.clone(),
            scratch: Scratch::Shared,
        }
    }

    /// A request to `path` on this server.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// A request with `user`'s bearer token.
    pub fn authed(&self, method: Method, path: &str, user: &TestUser) -> RequestBuilder {
        self.request(method, path).bearer_auth(&user.token)
    }

    pub async fn get(&self, path: &str, user: &TestUser) -> Response {
        self.authed(Method::GET, path, user)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        user: &TestUser,
        body: &Value,
    ) -> Response {
        self.authed(method, path, user)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, name: &str, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({"name": name, "email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in with the OAuth2 password-flow form, as Swagger UI and
    /// generated clients do.
    pub async fn form_login(&self, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/v1/auth/login/access-token")
            .form(&[
                ("grant_type", "password"),
                ("username", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("request sent")
    }

    /// Signs `user` in again: a new session, with its tokens.
    pub async fn new_session(&self, user: &TestUser) -> TestUser {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(response.status(), StatusCode::OK, "login");
        let body: Value = response.json().await.expect("token body");
        TestUser {
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
            ..user.clone()
        }
    }

    /// The status of `GET /api/v1/auth/me` with `token`.
    pub async fn me_status(&self, token: &str) -> StatusCode {
        let response = self
            .request(Method::GET, "/api/v1/auth/me")
            .bearer_auth(token)
            .send()
            .await;
        response.expect("request sent").status()
    }

    /// `POST /api/v1/auth/refresh` with `refresh_token`.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
        )
        .await
    }

    /// Counts the rows of `table` in the server's database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let db = Database::connect(&self.database_url)
            .await
            .expect("connect");
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
        let row = db
            .query_one_raw(statement)
            .await
            .expect("counted")
            .expect("one row");
        let count = row.try_get::<i64>("", "n").expect("count");
        let _ = db.close().await;
        count
    }

    /// Registers a new user with a unique email.
    pub async fn signed_up(&self) -> TestUser {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        let password = "correct horse battery staple".to_owned();
        let response = self.register("Test User", &email, &password).await;
        assert_eq!(response.status(), StatusCode::CREATED, "registration");
        let body: Value = response.json().await.expect("token body");
        TestUser {
            id: body["user"]["id"].as_str().expect("user id").to_owned(),
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
            email,
            password,
        }
    }

    /// Creates a task for `user` and returns its body.
    pub async fn create_task(&self, user: &TestUser, body: Value) -> Value {
        let response = self
            .send_json(Method::POST, &user.tasks(), user, &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "task creation");
        response.json().await.expect("task body")
    }
}

/// The JSON body of an error answer, after checking the contract's shape:
/// `detail`, `code`, and `request_id` equal to the `X-Request-Id` header.
pub async fn error_body(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(body["request_id"], request_id.as_str(), "{body}");
    body
}

/// Runs each listed `async fn(&TestApp)` on SQLite, on PostgreSQL (with
/// TLS where offered, and over plain TCP) and on PostgreSQL through
/// PgBouncer in transaction mode, each on its own fresh database, removed
/// afterwards even when the test fails.
/// `backends!(with configure; …)` first adjusts the settings with
/// `fn configure(&mut Settings)`.
macro_rules! backends {
    (with $configure:ident; $($name:ident),* $(,)?) => {$(
        backends!(@one $name, |settings| super::$configure(settings));
    )*};
    ($($name:ident),* $(,)?) => {$(
        backends!(@one $name, |_| {});
    )*};
    (@one $name:ident, $configure:expr) => {
        mod $name {
            use $crate::helpers::{Backend, spawn_app_with};

            async fn run(backend: Backend) {
                use futures_util::FutureExt;
                let Some(app) = spawn_app_with(backend, $configure).await else { return };
                let outcome = std::panic::AssertUnwindSafe(super::$name(&app)).catch_unwind().await;
                app.teardown().await;
                if let Err(panic) = outcome {
                    std::panic::resume_unwind(panic);
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_plain() {
                run(Backend::PostgresPlain).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pgbouncer() {
                run(Backend::PgBouncer).await;
            }
        }
    };
}

/// Checks `response` is a 422 `VALIDATION_ERROR` naming `field` alone.
pub async fn assert_invalid(response: Response, field: &str) {
    assert_invalid_fields(response, &[field]).await;
}

/// Checks `response` is a 422 `VALIDATION_ERROR` naming `fields`, in order.
pub async fn assert_invalid_fields(response: Response, fields: &[&str]) {
    let body = error_body(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let named: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(named, fields, "{body}");
}
