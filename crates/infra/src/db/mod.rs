//! Connecting to SQLite or PostgreSQL and migrating. [`Database`] is the
//! one executor the repositories run their SeaORM statements on.

mod errors;
mod postgres;
mod transaction;

use std::time::Duration;

use migration::{IntoSchemaManagerConnection, Migrator, MigratorTrait};
pub use sea_orm::DbErr;
use sea_orm::sqlx;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, ExecResult, QueryResult,
    Statement, TransactionTrait,
};

pub(crate) use errors::{is_unique_violation, to_domain};
use postgres::PgPool;
pub(crate) use transaction::Transaction;

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
    /// The PostgreSQL URL reaches the server through a pooler in
    /// transaction mode that does not track prepared statements (PgBouncer
    /// before 1.21, or without `max_prepared_statements`). Every statement
    /// then runs in a transaction of its own with the statement cache off,
    /// so the pooler keeps one server connection for its parse and its
    /// execution. The pooler must clear statements between transactions
    /// (PgBouncer: `server_reset_query_always = 1`).
    pub transaction_pooling: bool,
    /// How many worker threads serve requests, each with a PostgreSQL pool
    /// of its own (see [`Database::open_worker_pool`]) holding its share of
    /// `max_connections` (at least one) and `min_connections`; the pool
    /// that other threads share then holds one. With 0, the shared pool
    /// holds them all.
    pub workers: usize,
}

impl PoolSettings {
    /// How long opening one connection may take.
    fn connect_timeout(&self) -> Duration {
        self.acquire_timeout.max(Duration::from_secs(3))
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(1800),
            transaction_pooling: false,
            workers: 0,
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

/// How many connections a pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    /// Connections open now.
    pub open: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// The most that may be open.
    pub max: usize,
}

/// A connection pool to the configured database. The repositories run
/// their statements on it through [`ConnectionTrait`].
#[derive(Debug, Clone)]
pub struct Database {
    url: String,
    pool: Pool,
}

/// The pool of each database.
#[derive(Debug, Clone)]
enum Pool {
    /// SeaORM's own.
    Sqlite(DatabaseConnection),
    /// See [`PgPool`].
    Postgres(std::sync::Arc<PgPool>),
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). A SQLite file is
    /// created when missing and runs in WAL mode with foreign keys on.
    /// On PostgreSQL one connection is opened to see that the database
    /// answers; more open when needed.
    ///
    /// # Errors
    /// The driver's error when the URL is malformed or the database cannot
    /// be reached.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, DbErr> {
        let pool = if url.starts_with("postgres") {
            let pool = PgPool::new(url, pool)?;
            pool.execute_unprepared("SELECT 1").await?;
            Pool::Postgres(std::sync::Arc::new(pool))
        } else {
            create_private_file(url)?;
            Pool::Sqlite(sea_orm::Database::connect(sqlite_options(url, pool)).await?)
        };
        Ok(Self {
            url: url.to_owned(),
            pool,
        })
    }

    /// Gives the calling worker thread a PostgreSQL pool of its own (see
    /// [`PoolSettings::workers`]); call it in the server's per-worker
    /// factory. Nothing to do on SQLite.
    ///
    /// # Errors
    /// When the pool cannot be built.
    pub fn open_worker_pool(&self) -> Result<(), DbErr> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(()),
            Pool::Postgres(pool) => pool.open_for_thread(),
        }
    }

    /// Closes every connection.
    ///
    /// # Errors
    /// The driver's error when a connection does not close cleanly.
    pub async fn close(self) -> Result<(), DbErr> {
        match self.pool {
            Pool::Sqlite(conn) => conn.close().await,
            Pool::Postgres(pool) => {
                pool.close().await;
                Ok(())
            }
        }
    }

    /// How many connections the pool holds now.
    pub fn pool_status(&self) -> PoolStatus {
        match &self.pool {
            Pool::Sqlite(conn) => {
                let pool = conn.get_sqlite_connection_pool();
                PoolStatus {
                    open: pool.size() as usize,
                    idle: pool.num_idle(),
                    max: pool.options().get_max_connections() as usize,
                }
            }
            Pool::Postgres(pool) => pool.status(),
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        match self.pool {
            Pool::Sqlite(_) => DbBackend::Sqlite,
            Pool::Postgres(_) => DbBackend::Postgres,
        }
    }

    /// Runs a migration command. On PostgreSQL it runs on a connection of
    /// its own, in one transaction holding an advisory lock, so replicas
    /// that start at the same moment migrate one after the other: the
    /// first applies, the others find nothing left to do.
    ///
    /// # Errors
    /// The migration's error.
    pub async fn migrate(&self, command: MigrationCommand) -> Result<(), DbErr> {
        if let Pool::Sqlite(conn) = &self.pool {
            return run_migration(conn, command).await;
        }
        let mut options = ConnectOptions::new(&self.url);
        options.max_connections(1).sqlx_logging(false);
        let conn = sea_orm::Database::connect(options).await?;
        let txn = conn.begin().await?;
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
        run_migration(&txn, command).await?;
        txn.commit().await?;
        conn.close().await
    }

    /// Whether the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        self.execute_unprepared("SELECT 1").await.is_ok()
    }
}

/// Creates the SQLite file of `url`, when there is none yet, readable and
/// writable by its owner only (0600; SQLite gives its `-wal` and `-shm`
/// files the same mode). An existing file keeps the mode it has.
fn create_private_file(url: &str) -> Result<(), DbErr> {
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::str::FromStr as _;

    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e))))?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() || path == std::path::Path::new(":memory:") {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => Err(DbErr::Conn(
            sea_orm::RuntimeErr::Internal(format!("creating {}: {err}", path.display())),
        )),
        _ => Ok(()),
    }
}

/// SeaORM's options for a SQLite file.
fn sqlite_options(url: &str, pool: &PoolSettings) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(pool.max_connections)
        .min_connections(pool.min_connections)
        .acquire_timeout(pool.acquire_timeout)
        .idle_timeout(pool.idle_timeout)
        .max_lifetime(pool.max_lifetime)
        .connect_timeout(pool.connect_timeout())
        .sqlx_logging(false)
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    options
}

#[async_trait::async_trait]
impl ConnectionTrait for Database {
    fn get_database_backend(&self) -> DbBackend {
        self.backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.pool {
            Pool::Sqlite(conn) => conn.execute_raw(stmt).await,
            Pool::Postgres(pool) => pool.execute(&stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.pool {
            Pool::Sqlite(conn) => conn.execute_unprepared(sql).await,
            Pool::Postgres(pool) => pool.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.query_all_raw(stmt).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.pool {
            Pool::Sqlite(conn) => conn.query_all_raw(stmt).await,
            Pool::Postgres(pool) => pool.query_all(&stmt).await,
        }
    }
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
