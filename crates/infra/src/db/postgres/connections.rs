//! The connections behind [`PgPool`](super::PgPool): how one is opened
//! and judged reusable ([`Connector`]), lent for one statement ([`Lease`])
//! and tended in its pool ([`tend`]).

use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{self, Manager, Metrics, RecycleError, RecycleResult};
use sea_orm::DbErr;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, Connection, Executor};

use super::super::PoolSettings;
use super::super::errors::ends_session;
use super::Pool;

/// A pool of at most `max` connections that `manager` opens, keeping `keep`
/// open, with a task on the current runtime (if any) that tends it.
pub(super) fn pool(
    manager: &Connector,
    settings: &PoolSettings,
    max: u32,
    keep: u32,
) -> Result<Pool, DbErr> {
    let pool = managed::Pool::builder(manager.clone())
        .max_size(max.max(1) as usize)
        .wait_timeout(Some(settings.acquire_timeout))
        .create_timeout(Some(settings.connect_timeout()))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| DbErr::Custom(format!("connection pool: {e}")))?;
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(tend(pool.weak(), keep as usize, settings.idle_timeout));
    }
    Ok(pool)
}

/// A connection checked out for one statement. From the statement's start
/// until it settles, the connection counts as not ready: a lease dropped
/// then (its request gone half-way) or settled on a broken connection
/// closes the connection at once instead of pooling it again, so that no
/// statement or transaction of it stays open on the server or a pooler.
pub(super) struct Lease(pub(super) Option<managed::Object<Connector>>);

impl Lease {
    /// The connection, for a statement.
    pub(super) fn start(&mut self) -> &mut PgConnection {
        let slot = self
            .0
            .as_mut()
            .expect("a lease holds its connection until dropped");
        slot.ready = false;
        &mut slot.conn
    }

    /// Marks the connection ready again once a statement has ended, unless
    /// the connection itself failed.
    pub(super) fn settle<T>(&mut self, result: &Result<T, sqlx::Error>) {
        if let Some(slot) = self.0.as_mut() {
            slot.ready = match result {
                Ok(_) => true,
                Err(err) => !breaks_connection(err),
            };
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take()
            && !slot.ready
        {
            // Out of the pool, and closed as it drops.
            drop(managed::Object::take(slot));
        }
    }
}

/// Every so often, until the pool is gone: closes connections past their
/// lifetime, and idle ones past `idle_timeout` as long as `keep` others
/// stay open; then opens connections up to `keep`.
async fn tend(pool: managed::WeakPool<Connector>, keep: usize, idle_timeout: Duration) {
    loop {
        let Some(pool) = pool.upgrade() else { return };
        let max_lifetime = pool.manager().max_lifetime;
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

/// How often idle and old connections are looked for: every 30 s, or
/// every idle timeout if shorter, but not more than once a second.
const TENDING_INTERVAL: Duration = Duration::from_secs(30);
const MIN_TENDING_INTERVAL: Duration = Duration::from_secs(1);

/// How long a retired connection may take to say goodbye.
const CLOSING_TIME: Duration = Duration::from_secs(5);

/// Opens connections, and decides whether one can be used again.
#[derive(Clone)]
pub(super) struct Connector {
    pub(super) options: PgConnectOptions,
    pub(super) max_lifetime: Duration,
    /// Whether each connection runs [`GENERIC_PLANS`] as it opens.
    pub(super) generic_plans: bool,
}

/// Each prepared statement keeps the plan made once, for any parameters:
/// otherwise, when the estimates say a plan for the given values might be
/// cheaper (the listing's `LIMIT`, in a table of a million tasks),
/// PostgreSQL plans again on every run, which costs more than running it.
/// The task statements are index lookups whose plan does not depend on the
/// values.
const GENERIC_PLANS: &str = "SET plan_cache_mode = force_generic_plan";

/// A pooled connection, and whether its last statement left it ready for
/// the next one.
pub(super) struct Slot {
    pub(super) conn: PgConnection,
    ready: bool,
}

/// Whether `err` left the connection unusable: a broken socket or
/// protocol, or the server ending the session (SQLSTATE classes 08 and
/// 57P: shutdown, idle session timeout, lost connection).
fn breaks_connection(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => e.code().is_some_and(|code| ends_session(&code)),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

impl Manager for Connector {
    type Type = Slot;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<Slot, sqlx::Error> {
        let mut conn = PgConnection::connect_with(&self.options).await?;
        if self.generic_plans {
            conn.execute(GENERIC_PLANS).await?;
        }
        Ok(Slot { conn, ready: true })
    }

    async fn recycle(&self, _: &mut Slot, metrics: &Metrics) -> RecycleResult<sqlx::Error> {
        if metrics.age() >= self.max_lifetime {
            Err(RecycleError::message("past its lifetime"))
        } else {
            Ok(())
        }
    }
}
