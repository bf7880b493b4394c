//! The PostgreSQL executor: pools of sqlx connections (kept by deadpool)
//! that run every statement, over plain TCP, TLS or a transaction pooler
//! alike; what differs is in their options.
//!
//! Each worker thread has a pool of its own, opened by
//! [`PgPool::open_for_thread`] in actix's per-worker factory: a
//! connection's socket belongs to the runtime that opened it, so a
//! connection opened on one worker and used on another would get each
//! answer through the first worker's thread, two thread wake-ups instead
//! of one (it cost get one about a third of its rate on two cores).
//! Threads without a pool of their own (start-up, background tasks, tests
//! without a server) share one.
//!
//! sqlx's own pool is left out for one cost: it sends a `Sync` and waits
//! for its answer each time a connection comes back, an extra exchange
//! with the database per statement. Here a connection goes back as it is,
//! unless its statement was cut off half-way (the request was dropped) or
//! failed on the connection itself; such a connection is closed instead of
//! reused.

mod connections;
mod transaction;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use deadpool::managed::{self, PoolError};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgQueryResult, PgRow, Postgres};
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{self, ConnectOptions as _, Connection, Executor};
use sea_orm::{ConnAcquireErr, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use thread_local::ThreadLocal;

use connections::{Connector, Lease, pool};
pub(crate) use transaction::PgTransaction;

use super::{PoolSettings, PoolStatus};

/// Pools of PostgreSQL connections: one per worker thread, and one shared.
pub(crate) struct PgPool {
    shared: Pool,
    threads: ThreadLocal<Pool>,
    /// How many threads have opened a pool of their own.
    opened: AtomicU32,
    manager: Connector,
    settings: PoolSettings,
}

type Pool = managed::Pool<Connector>;

/// The shared pool's size beside worker pools: it serves only start-up,
/// background tasks and the separate metrics port.
const SHARED_WITH_WORKERS: u32 = 1;

impl PgPool {
    /// A shared pool opening connections to `url` as `settings` say, one
    /// at a time when first needed, and a task on the current runtime that
    /// keeps it (see [`pool`]).
    ///
    /// # Errors
    /// The driver's error when the URL is malformed.
    pub(crate) fn new(url: &str, settings: &PoolSettings) -> Result<Self, DbErr> {
        let mut options = url
            .parse::<PgConnectOptions>()
            .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?
            .disable_statement_logging();
        if settings.transaction_pooling {
            // A statement prepared on one server connection would be looked
            // for on whichever one the pooler hands out next.
            options = options.statement_cache_capacity(0);
        }
        let manager = Connector {
            options,
            max_lifetime: settings.max_lifetime,
            // A session setting would stay on a pooler's server connection
            // for other clients, or be lost.
            generic_plans: !settings.transaction_pooling,
        };
        let shared = if settings.workers == 0 {
            pool(
                &manager,
                settings,
                settings.max_connections,
                settings.min_connections,
            )?
        } else {
            pool(&manager, settings, SHARED_WITH_WORKERS, 0)?
        };
        Ok(Self {
            shared,
            threads: ThreadLocal::new(),
            opened: AtomicU32::new(0),
            manager,
            settings: settings.clone(),
        })
    }

    /// Gives the calling thread a pool of its own, of its share of the
    /// connections (those the shared pool leaves of `max_connections`, and
    /// `min_connections`, divided among `settings.workers`), kept by a task
    /// on the thread's runtime. A thread that has one keeps it.
    ///
    /// # Errors
    /// When deadpool refuses the settings.
    pub(crate) fn open_for_thread(&self) -> Result<(), DbErr> {
        self.threads.get_or_try(|| {
            let workers = u32::try_from(self.settings.workers.max(1)).unwrap_or(u32::MAX);
            // The first `total % workers` pools take one more, so that the
            // shares add up to the total.
            let index = self.opened.fetch_add(1, Ordering::Relaxed) % workers;
            let share = |total: u32| total / workers + u32::from(index < total % workers);
            let spare = self
                .settings
                .max_connections
                .saturating_sub(SHARED_WITH_WORKERS);
            pool(
                &self.manager,
                &self.settings,
                share(spare),
                share(self.settings.min_connections),
            )
        })?;
        Ok(())
    }

    /// Every row `stmt` returns.
    pub(crate) async fn query_all(&self, stmt: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        into_rows(self.run(stmt, Want::Rows).await?)
    }

    /// Runs `stmt` for its effect.
    pub(crate) async fn execute(&self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        into_effect(self.run(stmt, Want::Effect).await?)
    }

    /// Runs `stmt` on a pooled connection, in a transaction of its own
    /// behind a transaction pooler (so that its parse and execution meet
    /// one server connection): no connection (outer error), or the
    /// statement's answer.
    async fn run(
        &self,
        stmt: &Statement,
        want: Want,
    ) -> Result<Result<Answer, sqlx::Error>, DbErr> {
        let mut lease = self.checkout().await?;
        let pooled = !self.settings.transaction_pooling;
        let conn = lease.start();
        let answer = if pooled {
            run_on(conn, stmt, want, true).await
        } else {
            in_own_transaction(conn, stmt, want).await
        };
        lease.settle(&answer);
        Ok(answer)
    }

    /// Runs `sql`, which may hold several statements, without preparing it.
    pub(crate) async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut lease = self.checkout().await?;
        let done = lease
            .start()
            .execute(sqlx::AssertSqlSafe(sql.to_owned()))
            .await;
        lease.settle(&done);
        done.map(ExecResult::from).map_err(exec_err)
    }

    /// Connections open and idle, and the most that may be open, over
    /// all the pools.
    pub(crate) fn status(&self) -> PoolStatus {
        self.pools()
            .map(|pool| pool.status())
            .fold(PoolStatus::default(), |sum, status| PoolStatus {
                open: sum.open + status.size,
                idle: sum.idle + status.available,
                max: sum.max + status.max_size,
            })
    }

    /// Closes the idle connections and then the pools.
    pub(crate) async fn close(&self) {
        for pool in self.pools() {
            for slot in pool.retain(|_, _| false).removed {
                let _ = slot.conn.close().await;
            }
            pool.close();
        }
    }

    /// The shared pool and every thread's.
    fn pools(&self) -> impl Iterator<Item = &Pool> {
        std::iter::once(&self.shared).chain(self.threads.iter())
    }

    /// A connection of the calling thread's pool (or the shared one)
    /// within the acquire timeout, opening one included.
    async fn checkout(&self) -> Result<Lease, DbErr> {
        let pool = self.threads.get().unwrap_or(&self.shared);
        let slot = tokio::time::timeout(self.settings.acquire_timeout, pool.get())
            .await
            .unwrap_or(Err(PoolError::Timeout(managed::TimeoutType::Wait)));
        slot.map(|slot| Lease(Some(slot))).map_err(acquire_err)
    }
}

/// A failed checkout as SeaORM's error.
fn acquire_err(err: PoolError<sqlx::Error>) -> DbErr {
    match err {
        PoolError::Backend(e) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
        PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        _ => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
    }
}

/// The rows of a statement's answer.
fn into_rows(answer: Result<Answer, sqlx::Error>) -> Result<Vec<QueryResult>, DbErr> {
    match answer {
        Ok(Answer::Rows(rows)) => Ok(rows.into_iter().map(QueryResult::from).collect()),
        Ok(Answer::Effect(_)) => Ok(Vec::new()),
        Err(e) => Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))),
    }
}

/// The effect of a statement's answer.
fn into_effect(answer: Result<Answer, sqlx::Error>) -> Result<ExecResult, DbErr> {
    match answer {
        Ok(Answer::Effect(done)) => Ok(ExecResult::from(done)),
        Ok(Answer::Rows(_)) => Ok(ExecResult::from(PgQueryResult::default())),
        Err(e) => Err(exec_err(e)),
    }
}

/// A failed statement run for its effect, as SeaORM's error.
fn exec_err(err: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
}

/// What a statement is run for.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// The rows it returns.
    Rows,
    /// Its effect: how many rows it touched.
    Effect,
}

/// What a statement answered.
enum Answer {
    Rows(Vec<PgRow>),
    Effect(PgQueryResult),
}

/// Runs `stmt` on `conn`, as a statement the connection keeps prepared
/// when `persistent`.
async fn run_on(
    conn: &mut PgConnection,
    stmt: &Statement,
    want: Want,
    persistent: bool,
) -> Result<Answer, sqlx::Error> {
    let query = query(stmt).persistent(persistent);
    match want {
        Want::Rows => query.fetch_all(conn).await.map(Answer::Rows),
        Want::Effect => query.execute(conn).await.map(Answer::Effect),
    }
}

/// Runs `stmt` between `BEGIN` and `COMMIT` (or `ROLLBACK` when it fails),
/// unprepared: a pooler hands the next transaction another server
/// connection, which would not know the statement.
async fn in_own_transaction(
    conn: &mut PgConnection,
    stmt: &Statement,
    want: Want,
) -> Result<Answer, sqlx::Error> {
    let mut transaction = conn.begin().await?;
    match run_on(&mut transaction, stmt, want, false).await {
        Ok(answer) => {
            transaction.commit().await?;
            Ok(answer)
        }
        Err(err) => {
            warn_of_pooler_reuse(&err);
            let _ = transaction.rollback().await;
            Err(err)
        }
    }
}

/// Names the pooler setting to fix when a statement name from another
/// client's transaction is still on the server connection.
fn warn_of_pooler_reuse(err: &sqlx::Error) {
    let duplicate_statement = err
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "42P05");
    if duplicate_statement {
        tracing::error!(
            "the connection pooler kept another client's prepared statements: \
             set server_reset_query_always = 1 in PgBouncer"
        );
    }
}

/// `stmt` as an sqlx query with its values bound.
fn query(stmt: &Statement) -> Query<'_, Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}
