//! Connecting to SQLite or PostgreSQL, migrating, and mapping database
//! failures to domain errors.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use migration::{IntoSchemaManagerConnection, Migrator, MigratorTrait};
pub use sea_orm::DbErr;
use sea_orm::sqlx::{self, ConnectOptions as _};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    ExecResult, QueryResult, RuntimeErr, SqlErr, Statement, TransactionTrait,
};
use taskpulse_domain::Error;

use crate::pg_pipeline::PgPipelines;
use crate::pg_pool::{PgPool, share};

/// A row the repositories read from either driver: SeaORM's rows, or the
/// pipelining connections' tokio-postgres rows.
pub(crate) trait FromRow: Sized {
    /// The row SeaORM read.
    fn from_query_result(row: &QueryResult) -> Result<Self, DbErr>;
    /// The row tokio-postgres read.
    fn from_pg_row(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error>;
}

/// What a statement does, which decides how many others it may queue
/// behind on a pipelining connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// Reads a row by its key.
    Lookup,
    /// Reads a page of rows.
    Scan,
    /// Writes (and commits).
    Write,
}

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
    /// How many threads run statements (the server's workers). On
    /// PostgreSQL each thread opens connections of its own, up to its share
    /// of `max_connections` and of `min_connections` (at least one each).
    /// Another thread that runs a statement (a background job on the main
    /// thread) gets a share of its own, so the total can exceed
    /// `max_connections` by one share.
    pub threads: u32,
}

impl PoolSettings {
    /// How long opening one connection may take.
    pub(crate) fn connect_timeout(&self) -> Duration {
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
            threads: 1,
        }
    }
}

/// Run on every per-thread PostgreSQL connection as it opens: each prepared
/// statement keeps the plan made once, for any parameters. Otherwise,
/// when the estimates say a plan for the given values might be cheaper
/// (the listing with a `LIMIT` parameter, in a table of a million tasks),
/// PostgreSQL plans the statement again on every run, which there costs
/// more than running it. The task statements are index lookups whose
/// plan does not depend on the values.
pub(crate) const GENERIC_PLANS: &str = "SET plan_cache_mode = force_generic_plan";

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

/// A connection pool to the configured database. The repositories run
/// their statements on it through [`ConnectionTrait`].
#[derive(Debug, Clone)]
pub struct Database {
    conn: DatabaseConnection,
    statements: Statements,
    /// Whether the database can hash rows into stamps (PostgreSQL 14+).
    stamps: bool,
}

/// Where single statements run.
#[derive(Debug, Clone)]
enum Statements {
    /// On SeaORM's pool (SQLite).
    Shared,
    /// On SeaORM's pool, each in a transaction of its own (PostgreSQL
    /// through a transaction pooler).
    OwnTransaction,
    /// On per-thread PostgreSQL connections; SeaORM's pool then serves
    /// only migrations. Without TLS, the statements of [`Database::rows`]
    /// and [`Database::execute_counted`] (the tasks') run on pipelining
    /// connections, with three quarters of `max_connections` (see
    /// [`split_for_tasks`]).
    PerThread(Arc<PgPool>, Option<Arc<PgPipelines>>),
}

/// How many connections a pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open now.
    pub open: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// The most that may be open.
    pub max: usize,
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). A SQLite file is
    /// created when missing and runs in WAL mode with foreign keys on. On
    /// PostgreSQL (unless through a transaction pooler) statements run on
    /// connections each thread opens for itself; see [`PoolSettings::threads`].
    /// Without TLS (`sslmode=disable`, or a Unix socket) those connections
    /// pipeline the statements of concurrent requests.
    ///
    /// # Errors
    /// The driver's error when the URL is malformed or the database cannot be reached.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, DbErr> {
        let per_thread = url.starts_with("postgres") && !pool.transaction_pooling;
        let mut options = ConnectOptions::new(url);
        if per_thread {
            options.max_connections(1).min_connections(0);
        } else {
            options
                .max_connections(pool.max_connections)
                .min_connections(pool.min_connections);
        }
        options
            .acquire_timeout(pool.acquire_timeout)
            .idle_timeout(pool.idle_timeout)
            .max_lifetime(pool.max_lifetime)
            .connect_timeout(pool.connect_timeout())
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
        if pool.transaction_pooling {
            // A cached statement would be looked up on whichever server
            // connection the pooler hands out next.
            options.map_sqlx_postgres_opts(|opts| opts.statement_cache_capacity(0));
        }
        let conn = sea_orm::Database::connect(options).await?;
        let statements = if per_thread {
            warn_if_few_per_worker(pool);
            let options = url
                .parse::<sqlx::postgres::PgConnectOptions>()
                .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?
                .disable_statement_logging();
            match PgPipelines::config(url) {
                Some(config) => {
                    let (others, tasks) = split_for_tasks(pool);
                    Statements::PerThread(
                        Arc::new(PgPool::new(options, &others)),
                        Some(Arc::new(PgPipelines::new(config, &tasks))),
                    )
                }
                None => Statements::PerThread(Arc::new(PgPool::new(options, pool)), None),
            }
        } else if pool.transaction_pooling {
            Statements::OwnTransaction
        } else {
            Statements::Shared
        };
        let mut db = Self {
            conn,
            statements,
            stamps: false,
        };
        if db.backend() == DbBackend::Postgres {
            // On SeaORM's own connection (kept for migrations), or in a
            // transaction of its own behind a transaction pooler.
            let version = Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('server_version_num')::int >= 140000 AS stamps",
            );
            let row = match db.statements {
                Statements::OwnTransaction => db.query_one_raw(version).await?,
                _ => db.conn.query_one_raw(version).await?,
            };
            db.stamps = row
                .map(|row| row.try_get::<bool>("", "stamps"))
                .transpose()?
                .unwrap_or(false);
        }
        Ok(db)
    }

    /// Closes every connection.
    ///
    /// # Errors
    /// The driver's error when a connection does not close cleanly.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Statements::PerThread(pool, pipelines) = &self.statements {
            if let Some(pipelines) = pipelines {
                pipelines.close();
            }
            pool.close().await;
        }
        self.conn.close().await
    }

    /// How many connections the pool holds now.
    pub fn pool_status(&self) -> PoolStatus {
        let (open, idle, max) = match self.backend() {
            DbBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            _ => {
                let pool = self.conn.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
        };
        let seaorm = PoolStatus {
            open: open as usize,
            idle,
            max: max as usize,
        };
        let Statements::PerThread(pool, pipelines) = &self.statements else {
            return seaorm;
        };
        let pipelined = pipelines.as_ref().map(|p| p.status());
        [pool.status()]
            .into_iter()
            .chain(pipelined)
            .fold(seaorm, |sum, status| PoolStatus {
                open: sum.open + status.open,
                idle: sum.idle + status.idle,
                max: sum.max + status.max,
            })
    }

    /// The SeaORM connection pool itself.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Whether the database can take stamps of an owner's tasks
    /// (PostgreSQL 14 or later: `hash_record_extended`, `BIT_XOR`).
    pub(crate) fn keeps_stamps(&self) -> bool {
        self.stamps
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

    /// Every row `stmt`, which does `work`, returns, read as `T`;
    /// pipelined where the connections allow.
    ///
    /// # Errors
    /// The driver's error.
    pub(crate) async fn rows<T: FromRow>(
        &self,
        stmt: Statement,
        work: Work,
    ) -> Result<Vec<T>, DbErr> {
        if let Statements::PerThread(_, Some(pipelines)) = &self.statements {
            return pipelines.query(&stmt, work, T::from_pg_row).await;
        }
        let rows = self.query_all_raw(stmt).await?;
        rows.iter().map(T::from_query_result).collect()
    }

    /// The pipelining connections, if statements run on them.
    pub(crate) fn pipelines(&self) -> Option<Arc<PgPipelines>> {
        match &self.statements {
            Statements::PerThread(_, pipelines) => pipelines.clone(),
            _ => None,
        }
    }

    /// Runs `stmt` for its effect: how many rows it touched; pipelined
    /// where the connections allow.
    ///
    /// # Errors
    /// The driver's error.
    pub(crate) async fn execute_counted(&self, stmt: Statement) -> Result<u64, DbErr> {
        if let Statements::PerThread(_, Some(pipelines)) = &self.statements {
            return pipelines.execute(&stmt).await;
        }
        Ok(self.execute_raw(stmt).await?.rows_affected())
    }

    /// Whether the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        match &self.statements {
            Statements::PerThread(pool, _) => pool.execute_unprepared("SELECT 1").await.is_ok(),
            Statements::Shared | Statements::OwnTransaction => self.conn.ping().await.is_ok(),
        }
    }
}

/// Warns when each worker thread would get fewer than two connections of
/// its own.
fn warn_if_few_per_worker(pool: &PoolSettings) {
    let threads = pool.threads.max(1);
    let per_thread = share(pool.max_connections, threads);
    if per_thread < 2 {
        tracing::warn!(
            "database.max_connections = {} gives each of the {threads} workers {per_thread} \
             connection(s) of its own: raise it to at least twice server.workers",
            pool.max_connections,
        );
    }
}

/// `pool` split between the statements of users, sessions and keys (a
/// quarter of each thread's share, at least one) and the pipelined task
/// statements (the rest, at least one): the tasks' are the hot path, and
/// their writes want a backend each. Split per thread, so that the two
/// together open no more than `max_connections` unless a thread's share
/// is a single connection.
fn split_for_tasks(pool: &PoolSettings) -> (PoolSettings, PoolSettings) {
    let threads = pool.threads.max(1);
    let per_thread = (pool.max_connections / threads).max(1);
    let others_per_thread = (per_thread / 4).max(1);
    let tasks_per_thread = per_thread.saturating_sub(others_per_thread).max(1);
    let others_max = others_per_thread * threads;
    let tasks_max = tasks_per_thread * threads;
    let others_min = (pool.min_connections / 4).min(others_max);
    let others = PoolSettings {
        max_connections: others_max,
        min_connections: others_min,
        ..pool.clone()
    };
    let tasks = PoolSettings {
        max_connections: tasks_max,
        min_connections: (pool.min_connections - others_min).min(tasks_max),
        ..pool.clone()
    };
    (others, tasks)
}

/// Under transaction pooling: runs one statement in a transaction of its
/// own, so that its parse, bind and execution meet one server connection.
///
/// The transaction runs on a task of its own, to its end: a request dropped
/// half-way (its client gone, or another extractor failing first) would
/// otherwise leave it open, and sqlx does not roll back a `BEGIN` cancelled
/// before its answer, so the pooler's server connection would stay taken.
async fn in_own_transaction<T: Send + 'static>(
    conn: &DatabaseConnection,
    run: impl for<'t> FnOnce(
        &'t DatabaseTransaction,
    ) -> Pin<Box<dyn Future<Output = Result<T, DbErr>> + Send + 't>>
    + Send
    + 'static,
) -> Result<T, DbErr> {
    let conn = conn.clone();
    let transaction = tokio::spawn(async move {
        let txn = conn.begin().await?;
        match run(&txn).await {
            Ok(value) => {
                txn.commit().await?;
                Ok(value)
            }
            Err(err) => {
                warn_of_pooler_reuse(&err);
                let _ = txn.rollback().await;
                Err(err)
            }
        }
    });
    transaction
        .await
        .map_err(|e| DbErr::Custom(format!("statement task failed: {e}")))?
}

/// Names the pooler setting to fix when a statement name from another
/// client's transaction is still on the server connection.
fn warn_of_pooler_reuse(err: &DbErr) {
    let duplicate_statement = matches!(
        err,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))
            if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P05")
    );
    if duplicate_statement {
        tracing::error!(
            "the connection pooler kept another client's prepared statements: \
             set server_reset_query_always = 1 in PgBouncer"
        );
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Database {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.statements {
            Statements::Shared => self.conn.execute_raw(stmt).await,
            Statements::OwnTransaction => {
                in_own_transaction(&self.conn, |txn| txn.execute_raw(stmt)).await
            }
            Statements::PerThread(pool, _) => pool.execute(&stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.statements {
            Statements::PerThread(pool, _) => pool.execute_unprepared(sql).await,
            Statements::Shared | Statements::OwnTransaction => {
                self.conn.execute_unprepared(sql).await
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.statements {
            Statements::Shared => self.conn.query_one_raw(stmt).await,
            Statements::OwnTransaction => {
                in_own_transaction(&self.conn, |txn| txn.query_one_raw(stmt)).await
            }
            Statements::PerThread(pool, _) => pool.query_one(&stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.statements {
            Statements::Shared => self.conn.query_all_raw(stmt).await,
            Statements::OwnTransaction => {
                in_own_transaction(&self.conn, |txn| txn.query_all_raw(stmt)).await
            }
            Statements::PerThread(pool, _) => pool.query_all(&stmt).await,
        }
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

/// Whether `err` is a unique-constraint violation (SeaORM knows sqlx's
/// own errors; the pipelining connections' carry their SQLSTATE).
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    let database_error = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            e.as_database_error()
        }
        _ => None,
    };
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
        || database_error.is_some_and(|e| e.is_unique_violation())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_statements_get_three_quarters_of_each_threads_share_within_the_pool() {
        let split = |max_connections, threads| {
            let (others, tasks) = split_for_tasks(&PoolSettings {
                max_connections,
                threads,
                ..PoolSettings::default()
            });
            (others.max_connections, tasks.max_connections)
        };

        assert_eq!(split(10, 2), (2, 8));
        assert_eq!(split(16, 2), (4, 12));
        assert_eq!(split(5, 2), (2, 2), "no more than the pool");
        assert_eq!(split(8, 4), (4, 4), "at least one each per thread");
        for max in 4..64 {
            let (others, tasks) = split(max, 2);
            assert!(others + tasks <= max, "{max}: {others} + {tasks}");
        }
    }
}
