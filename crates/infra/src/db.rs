//! Connecting to SQLite or PostgreSQL, migrating, and mapping database
//! failures to domain errors.

use std::time::Duration;

use migration::{IntoSchemaManagerConnection, Migrator, MigratorTrait};
pub use sea_orm::DbErr;
use sea_orm::sqlx;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, RuntimeErr, SqlErr,
    TransactionTrait,
};
use taskpulse_domain::Error;

/// Pool tunables.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// Connections kept open even when idle.
    pub min_connections: u32,
    /// How long a request waits for a free connection before the database
    /// counts as unavailable.
    pub acquire_timeout: Duration,
    /// Idle connections above the minimum are closed after this long.
    pub idle_timeout: Duration,
    /// Connections are replaced after this long (servers and poolers in
    /// between may drop old ones).
    pub max_lifetime: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(1800),
        }
    }
}

/// The key of the PostgreSQL advisory lock that serialises migrations of
/// replicas starting at once ("taskpulse" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x7461_736b_7075_6c73;

/// What `taskpulse migrate` can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationCommand {
    /// Apply every pending migration.
    Up,
    /// Roll back the last applied migration.
    Down,
    /// Print which migrations are applied.
    Status,
    /// Drop every table and migrate from scratch.
    Fresh,
}

/// A connection pool to the configured database.
#[derive(Debug, Clone)]
pub struct Database {
    conn: DatabaseConnection,
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). A SQLite file is
    /// created when missing and runs in WAL mode with foreign keys on.
    ///
    /// # Errors
    /// The driver's error when the URL is malformed or the database cannot be reached.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(pool.max_connections)
            .min_connections(pool.min_connections)
            .acquire_timeout(pool.acquire_timeout)
            .idle_timeout(pool.idle_timeout)
            .max_lifetime(pool.max_lifetime)
            .connect_timeout(pool.acquire_timeout.max(Duration::from_secs(3)))
            .sqlx_logging(false)
            // A ping before every checkout would double the round trips of
            // the hot path; a broken connection fails its query instead
            // (answered 503) and the pool replaces it.
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        let conn = sea_orm::Database::connect(options).await?;
        Ok(Self { conn })
    }

    /// The SeaORM connection, for the repositories.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Runs a migration command. On PostgreSQL it runs in one transaction
    /// holding an advisory lock, so replicas that start at the same moment
    /// migrate one after the other: the first applies, the others find
    /// nothing left to do.
    ///
    /// # Errors
    /// The migration's error.
    pub async fn migrate(&self, command: MigrationCommand) -> Result<(), DbErr> {
        if self.backend() != DbBackend::Postgres {
            return run_migration(&self.conn, command).await;
        }
        let txn = self.conn.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
        run_migration(&txn, command).await?;
        txn.commit().await
    }

    /// Whether the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

/// Whether `err` means the database could not be reached (as opposed to a
/// bad query or data).
pub(crate) fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            &**e,
            sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_)
        ),
        _ => false,
    }
}

/// Maps a database failure to the domain's error: unreachable →
/// `Unavailable`, anything else → `Internal`.
pub(crate) fn to_domain(err: DbErr) -> Error {
    if is_unavailable(&err) {
        Error::Unavailable
    } else {
        Error::internal(err)
    }
}

/// Whether `err` is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

async fn run_migration<'c, C>(db: &'c C, command: MigrationCommand) -> Result<(), DbErr>
where
    C: ConnectionTrait,
    &'c C: IntoSchemaManagerConnection<'c>,
{
    match command {
        MigrationCommand::Up => Migrator::up(db, None).await,
        MigrationCommand::Down => Migrator::down(db, Some(1)).await,
        MigrationCommand::Status => Migrator::status(db).await,
        MigrationCommand::Fresh => Migrator::fresh(db).await,
    }
}
