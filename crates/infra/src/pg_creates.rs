//! Creates of concurrent requests stored together on PostgreSQL.
//!
//! Under a burst of creates, most of PostgreSQL's time goes into setting up
//! and committing each single-row statement, not into its row. So each
//! thread queues its creates: while fewer than [`MOST_IN_FLIGHT`] statements of
//! creates run for the thread, a create goes out at once; otherwise it
//! waits, and the next statement carries every create that waited (up to
//! [`MOST_ROWS`]). That statement ([`INSERT`]) checks each row's bearer as
//! the single-row create does, stores the rows of live bearers in one
//! transaction and returns them. Each create is answered after the commit.
//! When the database rejects the statement (so nothing of it was stored),
//! each of its creates runs again alone, so one create's failure stays its
//! own; any other failure (the connection lost while the answer was read)
//! is every create's, as it would be for one.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};
use thread_local::ThreadLocal;
use tokio::sync::oneshot;
use tokio_postgres::types::Type;
use uuid::Uuid;

use crate::db::{FromRow, Work};
use crate::entities::tasks;
use crate::pg_pipeline::{PgPipelines, lock};

/// How many statements of creates run for one thread at once.
const MOST_IN_FLIGHT: usize = 2;

/// The most creates one statement carries.
const MOST_ROWS: usize = 64;

/// Stores the rows whose bearer is live, as `create` in [`crate::tasks`]
/// does for one, and returns each with its place (`ord`) in the arrays.
/// The ids are drawn in the `live` CTE (materialized, so once per row) so
/// that each stored row can be matched to its place; `tasks_id_seq` is the
/// sequence of the migration's `tasks.id`.
const INSERT: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::int4[], $2::uuid[], $3::uuid[], $4::int8[], $5::text[], \
$6::text[], $7::bool[], $8::timestamptz[])
        AS i(ord, user_id, session_id, token_version, title, description, completed, at)
), live AS MATERIALIZED (
    SELECT nextval('tasks_id_seq') AS id, i.*
    FROM input i
    WHERE EXISTS (
        SELECT 1 FROM users u
        WHERE u.id = i.user_id AND u.is_active AND u.token_version = i.token_version
          AND (i.session_id IS NULL OR EXISTS (
              SELECT 1 FROM sessions s
              WHERE s.id = i.session_id AND s.user_id = u.id AND s.ended_at IS NULL)))
), stored AS (
    INSERT INTO tasks (id, user_id, title, description, completed, version, created_at, updated_at)
    SELECT id, user_id, title, description, completed, 1, at, at FROM live
    RETURNING *
)
SELECT stored.*, live.ord FROM stored JOIN live ON live.id = stored.id";

/// The types of [`INSERT`]'s parameters.
const TYPES: [Type; 8] = [
    Type::INT4_ARRAY,
    Type::UUID_ARRAY,
    Type::UUID_ARRAY,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::TEXT_ARRAY,
    Type::BOOL_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
];

/// A task to store for a bearer, while the bearer is live.
#[derive(Debug, Clone)]
pub(crate) struct NewRow {
    /// The bearer's user, the task's owner.
    pub(crate) user_id: Uuid,
    /// The bearer's session, if its token names one.
    pub(crate) session_id: Option<Uuid>,
    /// The bearer's token version.
    pub(crate) token_version: i64,
    /// The task's title, checked.
    pub(crate) title: String,
    /// The task's description, checked.
    pub(crate) description: Option<String>,
    /// Whether the task starts completed.
    pub(crate) completed: bool,
    /// When it was created (and last updated).
    pub(crate) at: DateTime<Utc>,
}

/// The stored task, or `None` when the bearer was not live.
type Stored = Result<Option<tasks::Model>, DbErr>;

/// A create waiting for its statement.
struct Waiting {
    row: NewRow,
    reply: oneshot::Sender<Stored>,
}

/// One thread's creates.
#[derive(Default)]
struct Queue {
    /// Creates no statement has taken yet.
    waiting: Vec<Waiting>,
    /// Tasks sending statements of creates ([`Creates::drain`]).
    in_flight: usize,
}

/// Counts a [`Creates::drain`] in its queue until it ends, returning or
/// not (dropped with its runtime, or panicking), so that the creates
/// queued after it still find a drain.
struct Draining {
    queue: Arc<Mutex<Queue>>,
    ended: bool,
}

impl Drop for Draining {
    fn drop(&mut self) {
        if !self.ended {
            lock(&self.queue).in_flight -= 1;
        }
    }
}

/// Per-thread queues of creates on pipelining connections.
pub(crate) struct Creates {
    pipelines: Arc<PgPipelines>,
    queues: ThreadLocal<Arc<Mutex<Queue>>>,
}

impl Creates {
    /// Creates stored through `pipelines`.
    pub(crate) fn new(pipelines: Arc<PgPipelines>) -> Self {
        Self {
            pipelines,
            queues: ThreadLocal::new(),
        }
    }

    /// Stores `row`, alone or with the creates of other requests on this
    /// thread; `None` when its bearer is not live.
    ///
    /// # Errors
    /// The driver's error.
    pub(crate) async fn create(self: &Arc<Self>, row: NewRow) -> Stored {
        let queue = self.queues.get_or(Arc::default).clone();
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = lock(&queue);
            queue.waiting.push(Waiting { row, reply });
            let start = queue.in_flight < MOST_IN_FLIGHT;
            queue.in_flight += usize::from(start);
            start
        };
        if start {
            tokio::spawn(self.clone().drain(queue));
        }
        answer.await.unwrap_or_else(|_| {
            Err(DbErr::Custom(
                "the statement storing the task was dropped".into(),
            ))
        })
    }

    /// Sends statements while creates wait in `queue`.
    async fn drain(self: Arc<Self>, queue: Arc<Mutex<Queue>>) {
        let mut draining = Draining {
            queue,
            ended: false,
        };
        loop {
            let batch: Vec<Waiting> = {
                let mut queue = lock(&draining.queue);
                if queue.waiting.is_empty() {
                    queue.in_flight -= 1;
                    draining.ended = true;
                    return;
                }
                let n = queue.waiting.len().min(MOST_ROWS);
                queue.waiting.drain(..n).collect()
            };
            self.send(batch).await;
        }
    }

    /// Stores `batch` in one statement and answers each create. If the
    /// database rejects the statement of several, each create runs again
    /// alone, one after the other (within this drain's share).
    async fn send(&self, batch: Vec<Waiting>) {
        let rows: Vec<&NewRow> = batch.iter().map(|waiting| &waiting.row).collect();
        match self.store(&rows).await {
            Ok(mut stored) => {
                for (waiting, task) in batch.into_iter().zip(stored.iter_mut()) {
                    let _ = waiting.reply.send(Ok(task.take()));
                }
            }
            Err(err) if batch.len() > 1 && rejected(&err) => {
                for waiting in batch {
                    let stored = self.store(&[&waiting.row]).await;
                    let task = stored.map(|mut tasks| tasks.pop().flatten());
                    let _ = waiting.reply.send(task);
                }
            }
            Err(err) => {
                let message = err.to_string();
                let mut batch = batch.into_iter();
                if let Some(first) = batch.next() {
                    let _ = first.reply.send(Err(err));
                }
                for waiting in batch {
                    let _ = waiting.reply.send(Err(DbErr::Custom(message.clone())));
                }
            }
        }
    }

    /// Runs [`INSERT`] for `rows`: each row's stored task, in order, or
    /// `None` where the bearer was not live.
    async fn store(&self, rows: &[&NewRow]) -> Result<Vec<Option<tasks::Model>>, DbErr> {
        let n = i32::try_from(rows.len()).map_err(|e| DbErr::Custom(e.to_string()))?;
        let ords: Vec<i32> = (0..n).collect();
        let users: Vec<Uuid> = rows.iter().map(|row| row.user_id).collect();
        let sessions: Vec<Option<Uuid>> = rows.iter().map(|row| row.session_id).collect();
        let versions: Vec<i64> = rows.iter().map(|row| row.token_version).collect();
        let titles: Vec<&str> = rows.iter().map(|row| row.title.as_str()).collect();
        let descriptions: Vec<Option<&str>> =
            rows.iter().map(|row| row.description.as_deref()).collect();
        let completed: Vec<bool> = rows.iter().map(|row| row.completed).collect();
        let at: Vec<DateTime<Utc>> = rows.iter().map(|row| row.at).collect();
        let returned = self
            .pipelines
            .query_typed(
                INSERT,
                &TYPES,
                &[
                    &ords,
                    &users,
                    &sessions,
                    &versions,
                    &titles,
                    &descriptions,
                    &completed,
                    &at,
                ],
                Work::Write,
                |row| {
                    Ok((
                        row.try_get::<_, i32>("ord")?,
                        tasks::Model::from_pg_row(row)?,
                    ))
                },
            )
            .await?;
        let mut stored: Vec<Option<tasks::Model>> = vec![None; rows.len()];
        for (ord, task) in returned {
            let slot = usize::try_from(ord)
                .ok()
                .and_then(|ord| stored.get_mut(ord))
                .ok_or_else(|| DbErr::Query(RuntimeErr::Internal(format!("no row {ord}"))))?;
            *slot = Some(task);
        }
        Ok(stored)
    }
}

/// Whether the database answered `err` to the statement, which it then
/// rolled back: nothing of it was stored.
fn rejected(err: &DbErr) -> bool {
    matches!(
        err,
        DbErr::Query(RuntimeErr::SqlxError(e)) if matches!(e.as_ref(), sqlx::Error::Database(_))
    )
}

impl std::fmt::Debug for Creates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Creates").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use taskpulse_domain::ports::UserRepository;
    use taskpulse_domain::user::{Email, NewUser, PasswordHash, User, UserId, UserName};
    use tokio::task::JoinSet;

    use super::*;
    use crate::db::{Database, MigrationCommand, PoolSettings};
    use crate::users::SeaUserRepository;

    fn admin_url() -> String {
        std::env::var("TASKPULSE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    /// A fresh migrated database reached without TLS (so on pipelining
    /// connections), its name, and creates stored through it; `None`
    /// (skip) when PostgreSQL is unreachable and `TASKPULSE_REQUIRE_POSTGRES`
    /// is not `1`.
    async fn fresh() -> Option<(Database, String, Arc<Creates>)> {
        let admin_url = admin_url();
        let admin = match Database::connect(&admin_url, &PoolSettings::default()).await {
            Ok(admin) => admin,
            Err(err) => {
                let required = std::env::var("TASKPULSE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
                assert!(!required, "PostgreSQL is required but unreachable: {err}");
                let _ = writeln!(std::io::stderr(), "PostgreSQL unreachable: test skipped");
                return None;
            }
        };
        let name = format!("taskpulse_creates_{}", Uuid::new_v4().simple());
        let sql = format!("CREATE DATABASE {name}");
        admin
            .connection()
            .execute_unprepared(&sql)
            .await
            .expect("create database");
        let base = admin_url.rsplit_once('/').expect("URL with a database").0;
        let url = format!("{base}/{name}?sslmode=disable");
        let db = Database::connect(&url, &PoolSettings::default())
            .await
            .expect("connect");
        db.migrate(MigrationCommand::Up).await.expect("migrated");
        let creates = Arc::new(Creates::new(db.pipelines().expect("pipelined")));
        Some((db, name, creates))
    }

    /// Closes `db` and drops the database `name`.
    async fn drop_database(db: Database, name: &str) {
        db.close().await.expect("closed");
        let admin = Database::connect(&admin_url(), &PoolSettings::default())
            .await
            .expect("admin");
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        admin
            .connection()
            .execute_unprepared(&sql)
            .await
            .expect("dropped");
    }

    /// A stored user and their token version.
    async fn user(db: &Database) -> (Uuid, i64) {
        let id = UserId::new_random();
        let users = SeaUserRepository::new(db.clone());
        let new = NewUser {
            user: User {
                id,
                email: Email::parse(&format!("{id}@example.com")).expect("valid"),
                name: UserName::parse("U").expect("valid"),
                is_active: true,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            password_hash: PasswordHash::new("x".into()),
        };
        users.create(new).await.expect("stored");
        let subject = users.find_token_subject(id, None).await.expect("read");
        (id.as_uuid(), subject.expect("stored").token_version)
    }

    /// A task titled `title` for the bearer at `token_version`, described
    /// as "about {title}".
    fn row(user_id: Uuid, token_version: i64, title: &str) -> NewRow {
        NewRow {
            user_id,
            session_id: None,
            token_version,
            title: title.to_owned(),
            description: Some(format!("about {title}")),
            completed: false,
            at: Utc::now(),
        }
    }

    /// Sends `rows` at once; each one's outcome, in order.
    async fn create_at_once(creates: &Arc<Creates>, rows: Vec<NewRow>) -> Vec<Stored> {
        let mut sent = JoinSet::new();
        for (n, row) in rows.into_iter().enumerate() {
            let creates = creates.clone();
            sent.spawn(async move { (n, creates.create(row).await) });
        }
        let mut outcomes = sent.join_all().await;
        outcomes.sort_by_key(|(n, _)| *n);
        outcomes.into_iter().map(|(_, stored)| stored).collect()
    }

    /// How many transactions stored the rows of `tasks`, and how many rows.
    async fn transactions_and_rows(db: &Database) -> (i64, i64) {
        let sql = "SELECT count(DISTINCT xmin::text) AS transactions, count(*) AS rows FROM tasks";
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("counted")
            .expect("a row");
        (
            row.try_get("", "transactions").expect("a count"),
            row.try_get("", "rows").expect("a count"),
        )
    }

    #[tokio::test]
    async fn creates_sent_at_once_share_a_transaction_and_keep_their_own_outcomes() {
        let Some((db, name, creates)) = fresh().await else {
            return;
        };
        let (alice, version) = user(&db).await;
        let (bob, bobs_version) = user(&db).await;
        let rows = (0..12)
            .map(|n| match n % 3 {
                0 => row(alice, version, &format!("alice {n}")),
                1 => row(bob, bobs_version, &format!("bob {n}")),
                _ => row(bob, bobs_version + 1, &format!("revoked {n}")),
            })
            .collect();

        let outcomes = create_at_once(&creates, rows).await;
        let counts = transactions_and_rows(&db).await;
        drop_database(db, &name).await;

        for (n, outcome) in outcomes.into_iter().enumerate() {
            let stored = outcome.expect("no error");
            match n % 3 {
                0 | 1 => {
                    let task = stored.expect("a live bearer's task is stored");
                    let owner = if n % 3 == 0 { alice } else { bob };
                    assert_eq!(task.user_id, owner, "task {n}");
                    assert!(task.title.ends_with(&format!(" {n}")), "{}", task.title);
                    assert_eq!(task.description, Some(format!("about {}", task.title)));
                    assert_eq!(task.version, 1);
                }
                _ => assert!(stored.is_none(), "a revoked token stores nothing: {n}"),
            }
        }
        assert_eq!(counts.1, 8, "the live bearers' rows only");
        assert_eq!(counts.0, 1, "one transaction for the 8 rows");
    }

    #[tokio::test]
    async fn when_a_shared_statement_fails_each_create_runs_alone() {
        let Some((db, name, creates)) = fresh().await else {
            return;
        };
        let (alice, version) = user(&db).await;
        let too_long = "x".repeat(201);
        let rows = vec![
            row(alice, version, "first"),
            row(alice, version, "second"),
            row(alice, version, &too_long),
            row(alice, version, "fourth"),
        ];

        let outcomes = create_at_once(&creates, rows).await;
        let counts = transactions_and_rows(&db).await;
        drop_database(db, &name).await;

        let stored: Vec<Result<(i64, String), String>> = outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Ok(task) => {
                    let task = task.expect("a live bearer's task is stored");
                    Ok((task.id, task.title))
                }
                Err(err) => Err(err.to_string()),
            })
            .collect();
        let titles: Vec<Result<&str, &str>> = stored
            .iter()
            .map(|s| s.as_ref().map(|(_, t)| t.as_str()).map_err(String::as_str))
            .collect();
        assert_eq!(titles[..2], [Ok("first"), Ok("second")]);
        assert!(
            titles[2].is_err_and(|e| e.contains("too long")),
            "{titles:?}"
        );
        assert_eq!(titles[3], Ok("fourth"));
        assert_eq!(counts, (3, 3), "each stored alone");
        let first_id = stored[0].as_ref().map(|(id, _)| *id);
        assert!(
            first_id.is_ok_and(|id| id > 1),
            "the shared statement ran first and drew ids: {first_id:?}"
        );
    }
}
