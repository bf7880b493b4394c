//! A transaction: the statements of one domain step that must all happen
//! or none. On SQLite it takes the database's write lock when it begins,
//! so that no other writer comes between its reads and its writes; on
//! PostgreSQL a step that needs that locks the rows it depends on
//! (`SELECT … FOR UPDATE`, which SQLite has no need of).

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use super::postgres::PgTransaction;
use super::{Database, Pool};

/// An open transaction; dropped without [`Transaction::commit`], it is
/// rolled back.
pub(crate) enum Transaction {
    /// SeaORM's own, begun `IMMEDIATE`.
    Sqlite(DatabaseTransaction),
    /// See [`PgTransaction`].
    Postgres(PgTransaction),
}

impl Database {
    /// Begins a transaction.
    ///
    /// # Errors
    /// No connection, or the database refused to begin (SQLite: the write
    /// lock stayed taken past the busy timeout).
    pub(crate) async fn begin(&self) -> Result<Transaction, DbErr> {
        match &self.pool {
            Pool::Sqlite(conn) => {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                };
                Ok(Transaction::Sqlite(conn.begin_with_options(options).await?))
            }
            Pool::Postgres(pool) => Ok(Transaction::Postgres(pool.begin().await?)),
        }
    }
}

impl Transaction {
    /// Commits.
    ///
    /// # Errors
    /// The commit failed: nothing was written.
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        match self {
            Self::Sqlite(txn) => txn.commit().await,
            Self::Postgres(txn) => txn.commit().await,
        }
    }

    /// Commits after a step that worked (`result` is `Ok`), rolls back
    /// after one that did not; the step's result, unless the commit fails.
    ///
    /// # Errors
    /// `result`'s error, or the commit's as the domain's.
    pub(crate) async fn finish<T>(
        self,
        result: taskpulse_domain::Result<T>,
    ) -> taskpulse_domain::Result<T> {
        match result {
            Ok(value) => {
                self.commit().await.map_err(super::to_domain)?;
                Ok(value)
            }
            Err(err) => {
                // A failed rollback ends with the connection, which the
                // server rolls back as well.
                let _ = self.rollback().await;
                Err(err)
            }
        }
    }

    /// Rolls back.
    ///
    /// # Errors
    /// The rollback failed (the server rolls back when the connection
    /// closes).
    pub(crate) async fn rollback(self) -> Result<(), DbErr> {
        match self {
            Self::Sqlite(txn) => txn.rollback().await,
            Self::Postgres(txn) => txn.rollback().await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Transaction {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Self::Sqlite(_) => DbBackend::Sqlite,
            Self::Postgres(_) => DbBackend::Postgres,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Self::Sqlite(txn) => txn.execute_raw(stmt).await,
            Self::Postgres(txn) => txn.execute(&stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Sqlite(txn) => txn.execute_unprepared(sql).await,
            Self::Postgres(txn) => txn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.query_all_raw(stmt).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Sqlite(txn) => txn.query_all_raw(stmt).await,
            Self::Postgres(txn) => txn.query_all(&stmt).await,
        }
    }
}
