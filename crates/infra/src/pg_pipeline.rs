//! PostgreSQL connections that carry several statements at once.
//!
//! Each thread opens connections of its own (a socket answers on the
//! runtime that opened it) and sends a statement on the first of them that
//! carries fewer than its [`depth`] of statements; only when every
//! one is that busy does it open another, up to its share of
//! `max_connections`. Statements
//! sent on one connection are pipelined: the database reads several of them
//! in one go and answers them in order, so a busy server wakes its backends
//! and crosses the socket once for many statements instead of once for
//! each. Each connection keeps the statements it prepared.
//!
//! A connection whose statement was dropped half-way (its request gone) or
//! broke the connection takes no new statements: the ones already sent on
//! it finish, then it closes. Otherwise the next statements would wait
//! behind the abandoned one.
//!
//! Used when the connection needs no TLS (`sslmode=disable` or a Unix
//! socket); see [`PgPipelines::config`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use sea_orm::sea_query::Value;
use sea_orm::sqlx::error::{DatabaseError, ErrorKind};
use sea_orm::sqlx::{self};
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, Statement};
use thread_local::ThreadLocal;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::DbError;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, Config, NoTls, Row};

use crate::db::{GENERIC_PLANS, PoolSettings, PoolStatus, Work};
use crate::pg_pool::{MIN_TENDING_INTERVAL, TENDING_INTERVAL, ends_session, share};

/// How many statements a connection carries before a statement doing
/// `work` looks further.
///
/// - A lookup shares a connection with up to 3 others: the database answers
///   several in one wake-up.
/// - A scan keeps its backend longer and sends more; with 4 of them on one
///   connection the listing's p99 was 3 times its p99 with 2.
/// - A write ends by waiting for its commit to reach the disk, and a
///   backend commits one statement at a time: a write takes a connection
///   with nothing in flight while the thread's share allows, so that
///   concurrent commits on separate backends reach the disk together.
fn depth(work: Work) -> usize {
    match work {
        Work::Lookup => 4,
        Work::Scan => 2,
        Work::Write => 1,
    }
}

/// How many prepared statements a connection keeps; past that it forgets
/// them all and prepares again.
const PREPARED_CAPACITY: usize = 256;

/// Per-thread pipelining connections to PostgreSQL.
pub(crate) struct PgPipelines {
    config: Config,
    settings: PoolSettings,
    threads: ThreadLocal<Arc<Connections>>,
}

/// One thread's connections.
#[derive(Default)]
struct Connections {
    open: Mutex<Vec<Arc<Conn>>>,
    /// Held while a connection is being opened, so that statements
    /// arriving meanwhile wait for it instead of opening more.
    opening: tokio::sync::Mutex<()>,
}

/// One connection and what it is doing.
struct Conn {
    client: Client,
    prepared: Mutex<HashMap<String, tokio_postgres::Statement>>,
    in_flight: AtomicUsize,
    /// Takes no new statements (see the module docs).
    retired: AtomicBool,
    opened: Instant,
    /// Milliseconds after `opened` when its last statement ended.
    last_used_ms: AtomicU64,
}

impl PgPipelines {
    /// The connection settings of `url` when statements can run on
    /// pipelining connections: a PostgreSQL URL that tokio-postgres reads
    /// and that needs no TLS (`sslmode=disable`, or only Unix sockets).
    pub(crate) fn config(url: &str) -> Option<Config> {
        let config = url.parse::<Config>().ok()?;
        let plain = config.get_ssl_mode() == SslMode::Disable
            || config
                .get_hosts()
                .iter()
                .all(|host| matches!(host, Host::Unix(_)));
        plain.then_some(config)
    }

    /// Connections opened with `config`: each thread that runs a statement
    /// opens up to `max_connections / threads` (at least one) when needed.
    pub(crate) fn new(mut config: Config, settings: &PoolSettings) -> Self {
        config.connect_timeout(settings.connect_timeout());
        Self {
            config,
            settings: settings.clone(),
            threads: ThreadLocal::new(),
        }
    }

    /// Every row `stmt` returns, read by `read`.
    pub(crate) async fn query<T>(
        &self,
        stmt: &Statement,
        work: Work,
        read: impl Fn(&Row) -> Result<T, tokio_postgres::Error>,
    ) -> Result<Vec<T>, DbErr> {
        let params = params(stmt);
        let types = declared(&params).map_err(query_err)?;
        self.query_typed(&stmt.sql, &types, &as_dyn(&params), work, read)
            .await
    }

    /// Every row `sql` returns for `params` of the given `types`, read by
    /// `read`.
    pub(crate) async fn query_typed<T>(
        &self,
        sql: &str,
        types: &[Type],
        params: &[&(dyn ToSql + Sync)],
        work: Work,
        read: impl Fn(&Row) -> Result<T, tokio_postgres::Error>,
    ) -> Result<Vec<T>, DbErr> {
        let mut conn = self.checkout(work).await?;
        let prepared = conn.prepare(sql, types).await.map_err(query_err)?;
        let rows = conn.client.query(&prepared, params).await;
        conn.settle(&rows);
        let rows = rows.map_err(|e| query_err(to_sqlx(e)))?;
        rows.iter()
            .map(|row| read(row).map_err(|e| query_err(to_sqlx(e))))
            .collect()
    }

    /// Runs `stmt` for its effect: how many rows it touched.
    pub(crate) async fn execute(&self, stmt: &Statement) -> Result<u64, DbErr> {
        let mut conn = self.checkout(Work::Write).await?;
        let params = params(stmt);
        let types = declared(&params).map_err(exec_err)?;
        let prepared = conn.prepare(&stmt.sql, &types).await.map_err(exec_err)?;
        let done = conn.client.execute(&prepared, &as_dyn(&params)).await;
        conn.settle(&done);
        done.map_err(|e| exec_err(to_sqlx(e)))
    }

    /// Connections open and idle, summed over the threads, and the most
    /// all the threads may open.
    pub(crate) fn status(&self) -> PoolStatus {
        let threads = self.settings.threads.max(1);
        let most = share(self.settings.max_connections, threads) * threads as usize;
        self.threads.iter().fold(
            PoolStatus {
                open: 0,
                idle: 0,
                max: most,
            },
            |sum, connections| {
                let open = lock(&connections.open);
                PoolStatus {
                    open: sum.open + open.len(),
                    idle: sum.idle + open.iter().filter(|c| c.in_flight() == 0).count(),
                    max: sum.max,
                }
            },
        )
    }

    /// Lets go of every thread's connections; each closes once its
    /// statements have ended.
    pub(crate) fn close(&self) {
        for connections in &self.threads {
            lock(&connections.open).clear();
        }
    }

    /// A connection of the calling thread for one statement doing `work`,
    /// within the acquire timeout, opening one included.
    async fn checkout(&self, work: Work) -> Result<Busy, DbErr> {
        let connections = self.threads.get_or(|| self.thread_connections());
        let most = share(self.settings.max_connections, self.settings.threads.max(1));
        if let Some(conn) = connections.pick(most, depth(work)) {
            return Ok(Busy::new(conn));
        }
        let opened = tokio::time::timeout(self.settings.acquire_timeout, async {
            let _opening = connections.opening.lock().await;
            if let Some(conn) = connections.pick(most, depth(work)) {
                return Ok(conn);
            }
            match open(&self.config).await {
                Ok(conn) => {
                    lock(&connections.open).push(conn.clone());
                    Ok(conn)
                }
                // Past the server's own limit, share the connections there are.
                Err(err) => connections.least_busy().ok_or(err),
            }
        })
        .await
        .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?;
        opened.map(Busy::new)
    }

    /// The calling thread's connections, with a task on the thread's
    /// runtime that tends them (see [`tend`]).
    fn thread_connections(&self) -> Arc<Connections> {
        let connections = Arc::new(Connections::default());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let keep = if self.settings.min_connections == 0 {
                0
            } else {
                share(self.settings.min_connections, self.settings.threads.max(1))
            };
            runtime.spawn(tend(
                Arc::downgrade(&connections),
                Tending {
                    config: self.config.clone(),
                    keep,
                    idle_timeout: self.settings.idle_timeout,
                    max_lifetime: self.settings.max_lifetime,
                },
            ));
        }
        connections
    }
}

/// Opens a connection, its messages handled by a task on the calling
/// thread's runtime.
async fn open(config: &Config) -> Result<Arc<Conn>, DbErr> {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(to_sqlx(e)))))?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(error = %err, "a PostgreSQL connection ended");
        }
    });
    client
        .batch_execute(GENERIC_PLANS)
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(to_sqlx(e)))))?;
    Ok(Arc::new(Conn {
        client,
        prepared: Mutex::new(HashMap::new()),
        in_flight: AtomicUsize::new(0),
        retired: AtomicBool::new(false),
        opened: Instant::now(),
        last_used_ms: AtomicU64::new(0),
    }))
}

/// What [`tend`] needs to know.
struct Tending {
    config: Config,
    keep: usize,
    idle_timeout: Duration,
    max_lifetime: Duration,
}

/// Every so often, until the thread's connections are gone: lets go of
/// connections that have closed, are past their lifetime, or have idled
/// past their idle time while `keep` others stay; then opens connections
/// up to `keep`.
async fn tend(connections: Weak<Connections>, tending: Tending) {
    loop {
        tokio::time::sleep(
            TENDING_INTERVAL
                .min(tending.idle_timeout)
                .max(MIN_TENDING_INTERVAL),
        )
        .await;
        let Some(connections) = connections.upgrade() else {
            return;
        };
        {
            let mut kept = 0;
            lock(&connections.open).retain(|conn| {
                let fresh = conn.usable() && conn.opened.elapsed() < tending.max_lifetime;
                let busy = conn.in_flight() > 0 || conn.idle_for() < tending.idle_timeout;
                let keep_it = fresh && (busy || kept < tending.keep);
                kept += usize::from(keep_it);
                keep_it
            });
        }
        while lock(&connections.open).len() < tending.keep {
            let _opening = connections.opening.lock().await;
            match open(&tending.config).await {
                Ok(conn) => lock(&connections.open).push(conn),
                Err(_) => break,
            }
        }
    }
}

impl Connections {
    /// The first open connection carrying fewer than `depth` statements;
    /// failing that, when `most` are open, the least busy one. `None` means
    /// another connection should be opened.
    fn pick(&self, most: usize, depth: usize) -> Option<Arc<Conn>> {
        let mut open = lock(&self.open);
        open.retain(|conn| conn.usable());
        if let Some(conn) = open.iter().find(|conn| conn.in_flight() < depth) {
            return Some(conn.clone());
        }
        if open.len() < most {
            return None;
        }
        open.iter().min_by_key(|conn| conn.in_flight()).cloned()
    }

    /// The open connection carrying the fewest statements.
    fn least_busy(&self) -> Option<Arc<Conn>> {
        let open = lock(&self.open);
        open.iter().min_by_key(|conn| conn.in_flight()).cloned()
    }
}

impl Conn {
    /// Whether the connection takes new statements.
    fn usable(&self) -> bool {
        !self.retired.load(Ordering::Relaxed) && !self.client.is_closed()
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    /// `sql` prepared on this connection for parameters of `types`: from
    /// the connection's cache, or prepared now and kept.
    async fn prepare(
        &self,
        sql: &str,
        types: &[Type],
    ) -> Result<tokio_postgres::Statement, sqlx::Error> {
        let cached = lock(&self.prepared).get(sql).cloned();
        if let Some(statement) = cached.filter(|statement| statement.params() == types) {
            return Ok(statement);
        }
        let statement = self.client.prepare_typed(sql, types).await;
        if let Err(err) = &statement
            && breaks_connection(err)
        {
            self.retired.store(true, Ordering::Relaxed);
        }
        let statement = statement.map_err(to_sqlx)?;
        let mut prepared = lock(&self.prepared);
        if prepared.len() >= PREPARED_CAPACITY {
            prepared.clear();
        }
        prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// Counts a statement on its connection for as long as it runs, and
/// retires the connection if the statement is dropped before it settles.
struct Busy {
    conn: Arc<Conn>,
    settled: bool,
}

impl Busy {
    fn new(conn: Arc<Conn>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::Relaxed);
        Self {
            conn,
            settled: false,
        }
    }

    /// Records how the statement ended: an error that broke the
    /// connection retires it.
    fn settle<T>(&mut self, result: &Result<T, tokio_postgres::Error>) {
        self.settled = true;
        if let Err(err) = result
            && breaks_connection(err)
        {
            self.conn.retired.store(true, Ordering::Relaxed);
        }
    }
}

impl std::ops::Deref for Busy {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if !self.settled {
            self.conn.retired.store(true, Ordering::Relaxed);
        }
        let since_open = u64::try_from(self.conn.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.conn.last_used_ms.store(since_open, Ordering::Relaxed);
        self.conn.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether `err` means the connection itself is gone or going: closed, an
/// I/O failure, or the server ending the session ([`ends_session`]).
fn breaks_connection(err: &tokio_postgres::Error) -> bool {
    match err.as_db_error() {
        Some(db) => ends_session(db.code().code()),
        None => err.is_closed() || is_io(err),
    }
}

fn is_io(err: &tokio_postgres::Error) -> bool {
    std::error::Error::source(err).is_some_and(|source| source.is::<std::io::Error>())
}

/// `mutex`'s value, also after a panic while it was held.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The values bound to `stmt`.
fn params(stmt: &Statement) -> Vec<Param<'_>> {
    stmt.values
        .iter()
        .flat_map(|values| values.0.iter())
        .map(Param)
        .collect()
}

/// The types `params` are declared with.
fn declared(params: &[Param<'_>]) -> Result<Vec<Type>, sqlx::Error> {
    params
        .iter()
        .map(|param| {
            param.declared().ok_or_else(|| {
                sqlx::Error::Encode(format!("no PostgreSQL type for {:?}", param.0).into())
            })
        })
        .collect()
}

fn as_dyn<'a>(params: &'a [Param<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// A SeaQuery value bound as a statement parameter.
#[derive(Debug)]
struct Param<'a>(&'a Value);

impl Param<'_> {
    /// The type the parameter is declared with: the one sqlx declares for
    /// the same value, so a statement means the same on both drivers.
    /// `None` for values this module does not bind.
    fn declared(&self) -> Option<Type> {
        Some(match self.0 {
            Value::Bool(_) => Type::BOOL,
            Value::SmallInt(_) => Type::INT2,
            Value::Int(_) => Type::INT4,
            Value::BigInt(_) | Value::BigUnsigned(_) => Type::INT8,
            Value::Float(_) => Type::FLOAT4,
            Value::Double(_) => Type::FLOAT8,
            Value::String(_) => Type::TEXT,
            Value::Bytes(_) => Type::BYTEA,
            Value::Uuid(_) => Type::UUID,
            Value::ChronoDate(_) => Type::DATE,
            Value::ChronoTime(_) => Type::TIME,
            Value::ChronoDateTime(_) => Type::TIMESTAMP,
            Value::ChronoDateTimeUtc(_) | Value::ChronoDateTimeWithTimeZone(_) => Type::TIMESTAMPTZ,
            _ => return None,
        })
    }
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Bool(v) => v.to_sql(ty, out),
            Value::SmallInt(v) => v.to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::BigInt(v) => v.to_sql(ty, out),
            Value::BigUnsigned(v) => v.map(i64::try_from).transpose()?.to_sql(ty, out),
            Value::Float(v) => v.to_sql(ty, out),
            Value::Double(v) => v.to_sql(ty, out),
            Value::String(v) => v.as_deref().to_sql(ty, out),
            Value::Bytes(v) => v.as_deref().to_sql(ty, out),
            Value::Uuid(v) => v.to_sql(ty, out),
            Value::ChronoDate(v) => v.to_sql(ty, out),
            Value::ChronoTime(v) => v.to_sql(ty, out),
            Value::ChronoDateTime(v) => v.to_sql(ty, out),
            Value::ChronoDateTimeUtc(v) => v.to_sql(ty, out),
            Value::ChronoDateTimeWithTimeZone(v) => v.to_sql(ty, out),
            other => Err(format!("no PostgreSQL type for {other:?}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn query_err(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
}

fn exec_err(err: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
}

/// A tokio-postgres error as the sqlx error of the same meaning, so that
/// the rest of the adapters classify both drivers' errors alike: the
/// server's errors keep their SQLSTATE, a broken or closed connection is an
/// I/O error, anything else is the driver's own.
fn to_sqlx(err: tokio_postgres::Error) -> sqlx::Error {
    if let Some(db) = err.as_db_error() {
        return sqlx::Error::Database(Box::new(ServerError(db.clone())));
    }
    if err.is_closed() || is_io(&err) {
        return sqlx::Error::Io(std::io::Error::other(err));
    }
    sqlx::Error::AnyDriverError(Box::new(err))
}

/// An error the PostgreSQL server sent.
#[derive(Debug)]
struct ServerError(DbError);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ServerError {}

impl DatabaseError for ServerError {
    fn message(&self) -> &str {
        self.0.message()
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.0.code().code()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.0.code().code() {
            "23505" => ErrorKind::UniqueViolation,
            "23503" => ErrorKind::ForeignKeyViolation,
            "23502" => ErrorKind::NotNullViolation,
            "23514" => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }

    fn constraint(&self) -> Option<&str> {
        self.0.constraint()
    }
}

impl std::fmt::Debug for PgPipelines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPipelines")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use sea_orm::DbBackend;
    use tokio::task::JoinSet;

    use super::*;

    /// Pipelines to the test PostgreSQL without TLS, at most `max`
    /// connections; `None` (skip) when it is unreachable and
    /// `TASKPULSE_REQUIRE_POSTGRES` is not `1`.
    async fn pipelines(max: u32) -> Option<Arc<PgPipelines>> {
        let url = std::env::var("TASKPULSE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let separator = if url.contains('?') { '&' } else { '?' };
        let config = PgPipelines::config(&format!("{url}{separator}sslmode=disable"))
            .expect("a URL without TLS");
        let settings = PoolSettings {
            max_connections: max,
            ..PoolSettings::default()
        };
        let pipelines = Arc::new(PgPipelines::new(config, &settings));
        if let Err(err) = backend_pid(&pipelines, "SELECT 1").await {
            let required = std::env::var("TASKPULSE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(!required, "PostgreSQL is required but unreachable: {err}");
            let _ = writeln!(std::io::stderr(), "PostgreSQL unreachable: test skipped");
            return None;
        }
        Some(pipelines)
    }

    /// The one integer `sql` returns.
    async fn backend_pid(pipelines: &PgPipelines, sql: &str) -> Result<i32, DbErr> {
        let stmt = Statement::from_string(DbBackend::Postgres, sql);
        let rows = pipelines
            .query(&stmt, Work::Lookup, |row| row.try_get(0))
            .await?;
        Ok(rows.into_iter().next().expect("a row"))
    }

    /// The backends that answered `n` statements doing `work` sent at
    /// once, each taking 200 ms.
    async fn pids_of_concurrent(pipelines: &Arc<PgPipelines>, n: usize, work: Work) -> Vec<i32> {
        let mut statements = JoinSet::new();
        for _ in 0..n {
            let pipelines = pipelines.clone();
            statements.spawn(async move {
                let sql = "SELECT pg_backend_pid() FROM pg_sleep(0.2)";
                let stmt = Statement::from_string(DbBackend::Postgres, sql);
                let rows = pipelines.query(&stmt, work, |row| row.try_get(0)).await;
                rows.expect("pid").into_iter().next().expect("a row")
            });
        }
        let mut pids = statements.join_all().await;
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    #[tokio::test]
    async fn concurrent_statements_share_a_connection_until_it_carries_depth() {
        let Some(pipelines) = pipelines(4).await else {
            return;
        };

        let lookups = depth(Work::Lookup);
        let shared = pids_of_concurrent(&pipelines, lookups, Work::Lookup).await;
        let open_after_depth = pipelines.status().open;
        let spread = pids_of_concurrent(&pipelines, lookups + 1, Work::Lookup).await;
        let open_after_more = pipelines.status().open;

        assert_eq!(shared.len(), 1, "{lookups} statements on one connection");
        assert_eq!(open_after_depth, 1);
        assert_eq!(spread.len(), 2, "one more opens a second connection");
        assert_eq!(open_after_more, 2);
    }

    #[tokio::test]
    async fn concurrent_writes_take_a_connection_each_while_the_share_allows() {
        let Some(pipelines) = pipelines(3).await else {
            return;
        };

        let spread = pids_of_concurrent(&pipelines, 3, Work::Write).await;
        let shared = pids_of_concurrent(&pipelines, 6, Work::Write).await;

        assert_eq!(spread.len(), 3, "three writes on three connections");
        assert_eq!(shared.len(), 3, "no more than the share: {shared:?}");
    }

    #[tokio::test]
    async fn prepared_statements_run_on_their_generic_plan_from_the_first_run() {
        let Some(pipelines) = pipelines(1).await else {
            return;
        };
        let sql = "SELECT $1 + 1";
        let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [7_i64.into()]);
        for _ in 0..3 {
            let sum = pipelines
                .query(&stmt, Work::Lookup, |row| row.try_get::<_, i64>(0))
                .await;
            assert_eq!(sum.expect("ran"), vec![8]);
        }

        let plans = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            [sql.into()],
        );
        let counts = pipelines
            .query(&plans, Work::Lookup, |row| {
                Ok((row.try_get::<_, i64>(0)?, row.try_get::<_, i64>(1)?))
            })
            .await
            .expect("plan counts");

        assert_eq!(counts, vec![(3, 0)], "(generic, custom) plans");
    }

    #[tokio::test]
    async fn a_pipelined_connection_survives_a_failed_statement_but_not_one_cut_off_or_ended() {
        let Some(pipelines) = pipelines(1).await else {
            return;
        };
        let pid = "SELECT pg_backend_pid()";

        let first = backend_pid(&pipelines, pid).await.expect("pid");
        let failed = backend_pid(&pipelines, "SELECT 1/0").await;
        let after_failure = backend_pid(&pipelines, pid).await.expect("pid");
        let sleeping = backend_pid(&pipelines, "SELECT 1 FROM pg_sleep(30)");
        let cut_off = tokio::time::timeout(Duration::from_millis(300), sleeping).await;
        let started = Instant::now();
        let after_cut_off = backend_pid(&pipelines, pid).await.expect("pid");
        let waited = started.elapsed();
        let terminate = "SELECT pg_terminate_backend(pg_backend_pid())::int";
        let ended = backend_pid(&pipelines, terminate).await;
        let after_end = backend_pid(&pipelines, pid).await.expect("pid");

        assert!(failed.is_err(), "division by zero fails");
        assert_eq!(after_failure, first, "a statement's error leaves it usable");
        assert!(cut_off.is_err(), "the sleep was still running when dropped");
        assert_ne!(after_cut_off, first, "a cut-off connection is not reused");
        assert!(
            waited < Duration::from_secs(5),
            "nothing waits behind the abandoned statement: {waited:?}"
        );
        assert!(ended.is_err(), "the server ended the session");
        assert_ne!(after_end, after_cut_off, "an ended connection is replaced");
    }
}
