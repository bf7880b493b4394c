//! A transaction on one pooled connection, for a step of several
//! statements that must all happen or none.

use sea_orm::sqlx::{self, Executor};
use sea_orm::{DbErr, ExecResult, QueryResult, Statement};
use tokio::sync::Mutex;

use super::connections::Lease;
use super::{PgPool, Want, exec_err, into_effect, into_rows, run_on};

/// An open transaction. Its connection counts as not ready until `COMMIT`
/// or `ROLLBACK` ends it, so a transaction dropped half-way closes the
/// connection (and the server rolls it back).
pub(crate) struct PgTransaction {
    lease: Mutex<Lease>,
    /// Whether statements stay prepared on the connection (not behind a
    /// transaction pooler, whose next transaction may be on another server
    /// connection).
    persistent: bool,
}

impl PgPool {
    /// Starts a transaction on a connection of the calling thread's pool.
    ///
    /// # Errors
    /// No connection, or the `BEGIN` failed.
    pub(crate) async fn begin(&self) -> Result<PgTransaction, DbErr> {
        let mut lease = self.checkout().await?;
        run_plain(&mut lease, "BEGIN").await.map_err(exec_err)?;
        Ok(PgTransaction {
            lease: Mutex::new(lease),
            persistent: !self.settings.transaction_pooling,
        })
    }
}

impl PgTransaction {
    /// Every row `stmt` returns.
    pub(crate) async fn query_all(&self, stmt: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut lease = self.lease.lock().await;
        into_rows(run_on(lease.start(), stmt, Want::Rows, self.persistent).await)
    }

    /// Runs `stmt` for its effect.
    pub(crate) async fn execute(&self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        let mut lease = self.lease.lock().await;
        into_effect(run_on(lease.start(), stmt, Want::Effect, self.persistent).await)
    }

    /// Runs `sql` without preparing it.
    pub(crate) async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut lease = self.lease.lock().await;
        let done = lease
            .start()
            .execute(sqlx::AssertSqlSafe(sql.to_owned()))
            .await;
        done.map(ExecResult::from).map_err(exec_err)
    }

    /// Commits, and gives the connection back to its pool.
    ///
    /// # Errors
    /// The `COMMIT` failed: nothing was written.
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        end(self.lease, "COMMIT").await
    }

    /// Rolls back, and gives the connection back to its pool.
    ///
    /// # Errors
    /// The `ROLLBACK` failed (the connection is closed instead).
    pub(crate) async fn rollback(self) -> Result<(), DbErr> {
        end(self.lease, "ROLLBACK").await
    }
}

/// Runs `sql`, which returns nothing, on the lease's connection.
async fn run_plain(lease: &mut Lease, sql: &'static str) -> Result<(), sqlx::Error> {
    lease
        .start()
        .execute(sqlx::AssertSqlSafe(sql))
        .await
        .map(|_| ())
}

/// Ends a transaction with `sql` (`COMMIT` or `ROLLBACK`): the connection
/// is ready again if that worked.
async fn end(lease: Mutex<Lease>, sql: &'static str) -> Result<(), DbErr> {
    let mut lease = lease.into_inner();
    let done = run_plain(&mut lease, sql).await;
    lease.settle(&done);
    done.map_err(exec_err)
}
