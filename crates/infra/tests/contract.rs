//! The domain's port contract suite on the SeaORM adapters: every check on
//! a fresh SQLite file and on a fresh PostgreSQL database (created for the
//! check and dropped after it; skipped with a line on stderr when
//! PostgreSQL is unreachable, unless `TASKPULSE_REQUIRE_POSTGRES=1`).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use taskpulse_domain::testing::{Check, Storage};
use taskpulse_infra::{
    Database, MigrationCommand, PoolSettings, SeaAccessTokenStore, SeaChangeFeed,
    SeaEmailVerificationStore, SeaIdempotencyStore, SeaJobLeases, SeaLabelRepository,
    SeaPasswordResetStore, SeaRateLimitStore, SeaSecondFactorStore, SeaSecurityLog,
    SeaSessionRepository, SeaTaskRepository, SeaUserRepository, Sealer,
};
use uuid::Uuid;

fn storage(db: &Database) -> Storage {
    let conn = db.clone();
    Storage {
        users: Arc::new(SeaUserRepository::new(conn.clone())),
        tasks: Arc::new(SeaTaskRepository::new(conn.clone())),
        labels: Arc::new(SeaLabelRepository::new(conn.clone())),
        sessions: Arc::new(SeaSessionRepository::new(conn.clone())),
        idempotency: Arc::new(SeaIdempotencyStore::new(conn.clone())),
        password_resets: Arc::new(SeaPasswordResetStore::new(conn.clone())),
        rate_limits: Arc::new(SeaRateLimitStore::new(conn.clone())),
        second_factors: Arc::new(SeaSecondFactorStore::new(
            conn.clone(),
            Sealer::new(b"contract suite secret", "totp"),
        )),
        security_log: Arc::new(SeaSecurityLog::new(conn.clone())),
        email_verifications: Arc::new(SeaEmailVerificationStore::new(conn.clone())),
        job_leases: Arc::new(SeaJobLeases::new(conn.clone())),
        changes: Arc::new(SeaChangeFeed::new(conn.clone())),
        access_tokens: Arc::new(SeaAccessTokenStore::new(conn)),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs `check` on a task of its own, so that a failed assertion comes
/// back as an outcome and the caller can still clean up.
async fn run_to_the_end(check: Check, storage: Storage) -> Result<(), tokio::task::JoinError> {
    tokio::spawn(check(storage)).await
}

/// Fails the test as its check did, once the clean-up is done.
fn fail_with(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("the check did not finish: {err}"),
        }
    }
}

/// A SQLite file removed when the check is over, whatever its outcome.
struct SqliteFile(PathBuf);

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

fn on_sqlite(check: Check) {
    let file = SqliteFile(
        std::env::temp_dir().join(format!("taskpulse-contract-{}.db", Uuid::new_v4().simple())),
    );
    let outcome = runtime().block_on(async {
        let url = format!("sqlite://{}", file.0.display());
        let db = Database::connect(&url, &PoolSettings::default())
            .await
            .expect("sqlite");
        db.migrate(MigrationCommand::Up).await.expect("migrated");
        let outcome = run_to_the_end(check, storage(&db)).await;
        db.close().await.expect("closed");
        outcome
    });
    fail_with(outcome);
}

fn postgres_admin_url() -> String {
    std::env::var("TASKPULSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn on_postgres(check: Check) {
    let outcome = runtime().block_on(async {
        let admin_url = postgres_admin_url();
        let admin = match Database::connect(&admin_url, &PoolSettings::default()).await {
            Ok(admin) => admin,
            Err(err) => {
                let required = std::env::var("TASKPULSE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
                assert!(!required, "PostgreSQL is required but unreachable: {err}");
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL unreachable at {admin_url}: test skipped"
                );
                return Ok(());
            }
        };
        let name = format!("taskpulse_contract_{}", Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let url = format!(
            "{}/{name}",
            admin_url.rsplit_once('/').expect("URL with a database").0
        );
        let db = Database::connect(&url, &PoolSettings::default())
            .await
            .expect("connect");
        db.migrate(MigrationCommand::Up).await.expect("migrated");
        let outcome = run_to_the_end(check, storage(&db)).await;
        db.close().await.expect("closed");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop database");
        outcome
    });
    fail_with(outcome);
}

mod sqlite {
    taskpulse_domain::port_contract_tests!(super::on_sqlite);
}

mod postgres {
    taskpulse_domain::port_contract_tests!(super::on_postgres);
}
