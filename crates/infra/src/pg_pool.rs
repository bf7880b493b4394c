//! PostgreSQL connections for single statements, pooled per thread.
//!
//! Two costs of sqlx's own pool are left out here:
//!
//! - sqlx sends a `Sync` and waits for its answer each time a connection
//!   comes back, an extra exchange with the database per statement. Here a
//!   connection goes back as it is, unless its statement was cut off half
//!   way (the request was dropped) or failed on the connection itself; such
//!   a connection is closed instead of reused.
//! - A connection's socket belongs to the runtime that opened it. actix
//!   runs one runtime per worker thread, so a connection opened by one
//!   worker and used by another gets each answer through the first
//!   worker's thread: two thread wake-ups instead of one. Here every thread
//!   opens and uses connections of its own.

use std::sync::Arc;
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{self, Manager, Metrics, PoolError, RecycleError, RecycleResult};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, Postgres};
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{self, Connection, Executor};
use sea_orm::{ConnAcquireErr, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use thread_local::ThreadLocal;

use crate::db::{GENERIC_PLANS, PoolSettings, PoolStatus};

/// Per-thread pools of PostgreSQL connections.
pub(crate) struct PgPool {
    options: PgConnectOptions,
    settings: PoolSettings,
    pools: ThreadLocal<ThreadPool>,
}

type ThreadPool = managed::Pool<Connector>;

impl PgPool {
    /// A pool opening connections with `options`. Each thread that runs a
    /// statement gets `max_connections / threads` connections of its own
    /// (at least one), opened when first needed.
    pub(crate) fn new(options: PgConnectOptions, settings: &PoolSettings) -> Self {
        Self {
            options,
            settings: settings.clone(),
            pools: ThreadLocal::new(),
        }
    }

    /// The first row `stmt` returns, if any.
    pub(crate) async fn query_one(&self, stmt: &Statement) -> Result<Option<QueryResult>, DbErr> {
        let mut slot = self.checkout().await?;
        let row = query(stmt).fetch_optional(slot.start()).await;
        slot.settle(&row);
        row.map(|row| row.map(QueryResult::from))
            .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
    }

    /// Every row `stmt` returns.
    pub(crate) async fn query_all(&self, stmt: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut slot = self.checkout().await?;
        let rows = query(stmt).fetch_all(slot.start()).await;
        slot.settle(&rows);
        rows.map(|rows| rows.into_iter().map(QueryResult::from).collect())
            .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
    }

    /// Runs `stmt` for its effect.
    pub(crate) async fn execute(&self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        let mut slot = self.checkout().await?;
        let done = query(stmt).execute(slot.start()).await;
        slot.settle(&done);
        done.map(ExecResult::from)
            .map_err(|e| DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))
    }

    /// Runs `sql`, which may hold several statements, without preparing it.
    pub(crate) async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut slot = self.checkout().await?;
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = slot.start().execute(sql).await;
        slot.settle(&done);
        done.map(ExecResult::from)
            .map_err(|e| DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))
    }

    /// Connections open and idle, summed over the threads, and the most
    /// all the threads may open.
    pub(crate) fn status(&self) -> PoolStatus {
        let threads = self.settings.threads.max(1);
        let most = share(self.settings.max_connections, threads) * threads as usize;
        let pools = self.pools.iter().map(managed::Pool::status);
        pools.fold(
            PoolStatus {
                open: 0,
                idle: 0,
                max: most,
            },
            |sum, status| PoolStatus {
                open: sum.open + status.size,
                idle: sum.idle + status.available,
                max: sum.max,
            },
        )
    }

    /// Closes the idle connections of every thread and then the pools.
    pub(crate) async fn close(&self) {
        for pool in &self.pools {
            for slot in pool.retain(|_, _| false).removed {
                let _ = slot.conn.close().await;
            }
            pool.close();
        }
    }

    /// A connection of the calling thread's pool, within the acquire
    /// timeout, opening one included.
    async fn checkout(&self) -> Result<managed::Object<Connector>, DbErr> {
        let pool = self.pools.get_or_try(|| self.thread_pool())?;
        let slot = tokio::time::timeout(self.settings.acquire_timeout, pool.get())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?;
        slot.map_err(|err| match err {
            PoolError::Backend(e) => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
            PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            _ => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        })
    }

    /// The calling thread's pool, with a task on the thread's runtime that
    /// closes connections idle or older than the settings allow, keeping
    /// the thread's share of `min_connections`.
    fn thread_pool(&self) -> Result<ThreadPool, DbErr> {
        let threads = self.settings.threads.max(1);
        let manager = Connector {
            options: self.options.clone(),
            idle_timeout: self.settings.idle_timeout,
            max_lifetime: self.settings.max_lifetime,
        };
        let pool = managed::Pool::builder(manager)
            .max_size(share(self.settings.max_connections, threads))
            .wait_timeout(Some(self.settings.acquire_timeout))
            .create_timeout(Some(self.settings.connect_timeout()))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| DbErr::Custom(format!("connection pool: {e}")))?;
        let keep = if self.settings.min_connections == 0 {
            0
        } else {
            share(self.settings.min_connections, threads)
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(tend(pool.weak(), keep));
        }
        Ok(pool)
    }
}

/// Every so often, until the pool is gone: closes connections past their
/// lifetime, and idle ones past their idle time as long as `keep` others
/// stay open; then opens connections up to `keep`.
async fn tend(pool: managed::WeakPool<Connector>, keep: usize) {
    loop {
        let Some(pool) = pool.upgrade() else { return };
        let (idle_timeout, max_lifetime) = {
            let manager = pool.manager();
            (manager.idle_timeout, manager.max_lifetime)
        };
        let mut kept = 0;
        let retired = pool.retain(|_, metrics| {
            let fresh = metrics.age() < max_lifetime;
            let busy = metrics.last_used() < idle_timeout;
            let keep_it = fresh && (busy || kept < keep);
            kept += usize::from(keep_it);
            keep_it
        });
        let mut opened = Vec::with_capacity(keep);
        while pool.status().size < keep && opened.len() < keep {
            match pool.get().await {
                Ok(slot) => opened.push(slot),
                Err(_) => break,
            }
        }
        drop(opened);
        drop(pool);
        for slot in retired.removed {
            let _ = tokio::time::timeout(CLOSING_TIME, slot.conn.close()).await;
        }
        tokio::time::sleep(TENDING_INTERVAL.min(idle_timeout).max(MIN_TENDING_INTERVAL)).await;
    }
}

/// Whether SQLSTATE `code` means the server ended the session or lost the
/// connection (classes 08 and 57P: shutdown, idle session timeout, lost
/// connection), so the connection cannot be used again.
pub(crate) fn ends_session(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57P")
}

/// One thread's share of `n` connections: at least one.
pub(crate) fn share(n: u32, threads: u32) -> usize {
    (n / threads).max(1) as usize
}

/// How often idle and old connections are looked for: every 30 s, or
/// every idle timeout if shorter, but not more than once a second.
pub(crate) const TENDING_INTERVAL: Duration = Duration::from_secs(30);
pub(crate) const MIN_TENDING_INTERVAL: Duration = Duration::from_secs(1);

/// How long a retired connection may take to say goodbye.
const CLOSING_TIME: Duration = Duration::from_secs(5);

/// Opens connections, and decides whether one can be used again. Idle
/// connections are left to [`tend`], which keeps the thread's share of
/// `min_connections` however long they idle.
struct Connector {
    options: PgConnectOptions,
    idle_timeout: Duration,
    max_lifetime: Duration,
}

/// A pooled connection, and whether its last statement left it ready for
/// the next one.
struct Slot {
    conn: PgConnection,
    ready: bool,
}

impl Slot {
    /// The connection, for a statement. Until [`Slot::settle`] the slot
    /// counts as not ready: if the statement is dropped half-way, the slot
    /// is closed instead of reused.
    fn start(&mut self) -> &mut PgConnection {
        self.ready = false;
        &mut self.conn
    }

    /// Marks the connection ready again once a statement has ended, unless
    /// the connection itself failed: a broken socket or protocol, or the
    /// server ending the session (SQLSTATE classes 08 and 57P: shutdown,
    /// idle session timeout, lost connection).
    fn settle<T>(&mut self, result: &Result<T, sqlx::Error>) {
        self.ready = match result {
            Ok(_) => true,
            Err(sqlx::Error::Database(e)) => !e.code().is_some_and(|code| ends_session(&code)),
            Err(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed,
            ) => false,
            Err(_) => true,
        };
    }
}

impl Manager for Connector {
    type Type = Slot;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Slot, sqlx::Error> {
        let mut conn = PgConnection::connect_with(&self.options).await?;
        conn.execute(GENERIC_PLANS).await?;
        Ok(Slot { conn, ready: true })
    }

    async fn recycle(&self, slot: &mut Slot, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if !slot.ready {
            Err(RecycleError::message("its last statement did not finish"))
        } else if metrics.age() >= self.max_lifetime {
            Err(RecycleError::message("past its lifetime"))
        } else {
            Ok(())
        }
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
