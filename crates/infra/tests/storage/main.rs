//! Storage behaviour that HTTP cannot show: key expiry, the listing's
//! query plans on PostgreSQL, when a PostgreSQL connection is reused, that
//! completing a task is a HOT update, that migrations keep old tasks, and
//! that credential changes are atomic.

mod change_log;
mod credentials;

use std::io::Write;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use taskpulse_domain::Bearer;
use taskpulse_domain::changes::{ChangeSeq, FeedQuery};
use taskpulse_domain::idempotency::{Claim, IdempotencyStore};
use taskpulse_domain::idempotency::{IdempotencyKey, StoredResponse};
use taskpulse_domain::label::LabelName;
use taskpulse_domain::ports::{TaskRepository, UserRepository};
use taskpulse_domain::second_factor::{SecondFactorStore, TotpSecret};
use taskpulse_domain::task::{PageLimit, Priority, StoredKey, TaskId, TaskQuery, TrashQuery};
use taskpulse_domain::user::{Email, NewUser, PasswordHash, User, UserId, UserName};
use taskpulse_infra::repositories::changes::{feed_head_statement, feed_statements};
use taskpulse_infra::repositories::tasks::{list_statements, stored_statement, trash_statements};
use taskpulse_infra::{
    Database, MigrationCommand, PoolSettings, Resealed, SeaIdempotencyStore, SeaSecondFactorStore,
    SeaTaskRepository, SeaUserRepository, Sealer,
};
use uuid::Uuid;

async fn sqlite() -> (Database, std::path::PathBuf) {
    sqlite_with(&PoolSettings::default()).await
}

/// A fresh, migrated SQLite file reached with `pool`.
async fn sqlite_with(pool: &PoolSettings) -> (Database, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("taskpulse-infra-{}.db", Uuid::new_v4().simple()));
    let db = Database::connect(&format!("sqlite://{}", path.display()), pool)
        .await
        .expect("sqlite");
    db.migrate(MigrationCommand::Up).await.expect("migrated");
    (db, path)
}

#[tokio::test]
async fn a_new_sqlite_file_and_its_journal_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt as _;

    let (db, path) = sqlite().await;
    insert_user(&db).await;
    let wal = path.with_extension("db-wal");
    for file in [&path, &wal] {
        let mode = std::fs::metadata(file).expect("there").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    db.close().await.expect("closed");
    for file in [path.clone(), wal, path.with_extension("db-shm")] {
        let _ = std::fs::remove_file(file);
    }
}

fn postgres_admin_url() -> String {
    std::env::var("TASKPULSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The URL of the scratch database `name`.
fn postgres_url(name: &str) -> String {
    let admin_url = postgres_admin_url();
    let server = admin_url.rsplit_once('/').expect("URL with a database").0;
    format!("{server}/{name}")
}

/// A fresh PostgreSQL database reached with `pool`, or `None` (skip) when
/// PostgreSQL is unreachable and `TASKPULSE_REQUIRE_POSTGRES` is not `1`.
async fn postgres(pool: &PoolSettings) -> Option<(Database, String)> {
    let admin_url = postgres_admin_url();
    let admin = match Database::connect(&admin_url, &PoolSettings::default()).await {
        Ok(admin) => admin,
        Err(err) => {
            let required = std::env::var("TASKPULSE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(!required, "PostgreSQL is required but unreachable: {err}");
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL unreachable at {admin_url}: test skipped"
            );
            return None;
        }
    };
    let name = format!("taskpulse_infra_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let db = Database::connect(&postgres_url(&name), pool)
        .await
        .expect("connect");
    db.migrate(MigrationCommand::Up).await.expect("migrated");
    Some((db, name))
}

async fn drop_postgres(name: &str) {
    let admin = Database::connect(&postgres_admin_url(), &PoolSettings::default())
        .await
        .expect("admin");
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    admin.execute_unprepared(&sql).await.expect("drop database");
}

async fn insert_user(db: &Database) -> UserId {
    let id = UserId::new_random();
    let user = User {
        id,
        email: Email::parse(&format!("{id}@example.com")).expect("valid"),
        name: UserName::parse("U").expect("valid"),
        is_active: true,
        email_verified: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let new = NewUser {
        user,
        password_hash: PasswordHash::new("x".into()),
    };
    SeaUserRepository::new(db.clone())
        .create(new)
        .await
        .expect("user inserted");
    id
}

#[tokio::test]
async fn expired_idempotency_keys_are_purged_and_can_be_claimed_again() {
    let (db, path) = sqlite().await;
    let store = SeaIdempotencyStore::new(db.clone());
    let owner = insert_user(&db).await;
    let key = IdempotencyKey::parse("k").expect("valid");
    let long_ago = Utc::now() - Duration::hours(25);
    let response = StoredResponse {
        status: 201,
        headers: vec![],
        body: b"{}".to_vec(),
    };

    let first = store
        .claim(
            owner,
            &key,
            "a",
            long_ago,
            long_ago - Duration::hours(24),
            long_ago,
        )
        .await;
    store
        .complete(owner, &key, &response)
        .await
        .expect("completed");
    let now = Utc::now();
    let reclaimed = store
        .claim(owner, &key, "b", now, now - Duration::hours(24), now)
        .await;
    let purged_fresh = store.purge_expired(now - Duration::hours(24)).await;
    let purged_all = store.purge_expired(now + Duration::seconds(1)).await;

    assert_eq!(first.expect("claimed"), Claim::Started);
    assert_eq!(
        reclaimed.expect("claimed"),
        Claim::Started,
        "an expired key is free again"
    );
    assert_eq!(purged_fresh.expect("purged"), 0);
    assert_eq!(purged_all.expect("purged"), 1);
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn the_listing_uses_an_index_among_a_million_tasks_of_other_users() {
    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    let conn = &db;
    // Loaded in bulk with the change log's triggers off; the log is
    // written in one statement at the end, as the triggers would have.
    for table in ["tasks", "labels"] {
        conn.execute_unprepared(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .await
            .expect("triggers off");
    }
    let others = "INSERT INTO users (id, email, name, password_hash, is_active, created_at, updated_at) \
         SELECT gen_random_uuid(), 'u' || n || '@example.com', 'U', 'x', true, now(), now() \
         FROM generate_series(1, 1000) AS n";
    conn.execute_unprepared(others).await.expect("users");
    let tasks = "INSERT INTO tasks (user_id, title, completed, priority, due_at, due_key, version, created_at, updated_at, change_seq) \
         SELECT u.id, 'task ' || n, n % 2 = 0, n % 5, now() + n * interval '1 hour', now() + n * interval '1 hour', 1, now() - n * interval '1 second', now(), n \
         FROM users u CROSS JOIN generate_series(1, 1000) AS n";
    conn.execute_unprepared(tasks)
        .await
        .expect("1 000 000 tasks");
    let me = insert_user(&db).await;
    let mine = format!(
        "INSERT INTO tasks (user_id, title, completed, version, created_at, updated_at, change_seq) \
         SELECT '{me}', 'mine ' || n, false, 1, now(), now(), n FROM generate_series(1, 50) AS n"
    );
    conn.execute_unprepared(&mine).await.expect("my tasks");
    let parent: i64 = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT min(id) AS id FROM tasks WHERE user_id = '{me}'"),
        ))
        .await
        .expect("my first task")
        .expect("a row")
        .try_get("", "id")
        .expect("an id");
    let subtasks = format!(
        "INSERT INTO tasks (user_id, title, completed, version, created_at, updated_at, parent_id, position, change_seq) \
         SELECT '{me}', 'sub ' || n, false, 1, now(), now(), {parent}, n * 65536, 50 + n FROM generate_series(1, 10) AS n"
    );
    conn.execute_unprepared(&subtasks)
        .await
        .expect("my subtasks");
    let labels = "INSERT INTO labels (user_id, name, name_key, created_at, updated_at, change_seq) \
         SELECT u.id, 'Label ' || n, 'label ' || n, now(), now(), 1000 + n \
         FROM users u CROSS JOIN generate_series(1, 3) AS n";
    conn.execute_unprepared(labels).await.expect("labels");
    let carried = "INSERT INTO task_labels (task_id, label_id) \
         SELECT t.id, l.id FROM tasks t JOIN labels l ON l.user_id = t.user_id \
         WHERE t.id % 3 = l.id % 3";
    conn.execute_unprepared(carried)
        .await
        .expect("labels on tasks");
    // A tenth of everyone's tasks, and two of mine, in the trash.
    let trashed = format!(
        "UPDATE tasks SET deleted_at = now() - (id % 1000) * interval '1 minute', trashed_with = id \
         WHERE id % 10 = 0 OR (user_id = '{me}' AND id IN (SELECT id FROM tasks WHERE user_id = '{me}' AND parent_id IS NULL ORDER BY id DESC LIMIT 2))"
    );
    conn.execute_unprepared(&trashed).await.expect("trashed");
    let log = "INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, at) \
         SELECT user_id, change_seq, 'task', id, 'created', '', created_at FROM tasks \
         UNION ALL SELECT user_id, change_seq, 'label', id, 'created', '', created_at FROM labels";
    conn.execute_unprepared(log).await.expect("the change log");
    let purged = "INSERT INTO changes (user_id, seq, kind, entity_id, action, fields, at) \
         SELECT id, 2000, 'task', 1, 'purged', '', now() FROM users";
    conn.execute_unprepared(purged).await.expect("tombstones");
    for table in ["tasks", "labels", "task_labels", "changes"] {
        conn.execute_unprepared(&format!("ANALYZE {table}"))
            .await
            .expect("analyzed");
    }

    let mut plans = Vec::new();
    for query in [
        TaskQuery::default(),
        TaskQuery {
            completed: Some(false),
            ..TaskQuery::default()
        },
        TaskQuery {
            sort: "title".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            sort: "-priority".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            priority_min: "3".parse().ok(),
            sort: "priority".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            sort: "-due".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            due_after: Some(Utc::now()),
            due_before: Some(Utc::now() + Duration::days(7)),
            sort: "due".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            sort: "-position".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            top_level: Some(true),
            sort: "position".parse().expect("sort"),
            ..TaskQuery::default()
        },
        TaskQuery {
            top_level: Some(false),
            ..TaskQuery::default()
        },
        TaskQuery {
            overdue: Some(true),
            now: Utc::now(),
            ..TaskQuery::default()
        },
        TaskQuery {
            labels: vec![
                LabelName::parse("label 1").expect("a name"),
                LabelName::parse("LABEL 2").expect("a name"),
            ],
            ..TaskQuery::default()
        },
        TaskQuery {
            parent: TaskId::new(parent).ok(),
            sort: "position".parse().expect("sort"),
            ..TaskQuery::default()
        },
    ] {
        let bearer = Bearer {
            user_id: me,
            credential: None,
            token_version: 0,
        };
        let trash = trash_statements(DbBackend::Postgres, &bearer, &TrashQuery::default());
        let export = StoredKey {
            created_at: chrono::Utc::now(),
            id: TaskId::new(parent).expect("an id"),
        };
        let export = stored_statement(
            DbBackend::Postgres,
            &bearer,
            Some(export),
            PageLimit::largest(),
        );
        let since = FeedQuery {
            since: ChangeSeq::new(40),
            snapshot: false,
            limit: 100,
        };
        let snapshot = FeedQuery {
            snapshot: true,
            ..since
        };
        let feed = [since, snapshot].into_iter().flat_map(|query| {
            feed_statements(DbBackend::Postgres, &bearer, query, ChangeSeq::new(3000))
        });
        for statement in list_statements(DbBackend::Postgres, &bearer, &query)
            .into_iter()
            .chain(trash)
            .chain(feed)
            .chain([export, feed_head_statement(DbBackend::Postgres, &bearer)])
        {
            let explain = Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("EXPLAIN {}", statement.sql),
                statement.values.map(|v| v.0).unwrap_or_default(),
            );
            let rows = conn.query_all_raw(explain).await.expect("explained");
            let plan: Vec<String> = rows
                .iter()
                .map(|row| row.try_get::<String>("", "QUERY PLAN").expect("plan line"))
                .collect();
            plans.push(plan.join("\n"));
        }
    }
    drop_postgres(&name).await;

    for plan in plans {
        assert!(!plan.contains("Seq Scan"), "{plan}");
        assert!(plan.contains("Index"), "{plan}");
    }
}

/// The server process behind the statement this thread runs next.
async fn backend_pid(db: &Database) -> i32 {
    let sql = "SELECT pg_backend_pid() AS pid";
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("pid")
        .expect("a row");
    row.try_get::<i32>("", "pid").expect("an integer")
}

#[tokio::test]
async fn a_postgres_connection_survives_a_failed_statement_but_not_one_cut_off_or_ended() {
    let one = PoolSettings {
        max_connections: 1,
        ..PoolSettings::default()
    };
    let Some((db, name)) = postgres(&one).await else {
        return;
    };

    let first = backend_pid(&db).await;
    let again = backend_pid(&db).await;
    let failed = db.execute_unprepared("SELECT 1/0").await;
    let after_failure = backend_pid(&db).await;
    let sleeping = db.execute_unprepared("SELECT pg_sleep(30)");
    let cut_off = tokio::time::timeout(std::time::Duration::from_millis(300), sleeping).await;
    let open_after_cut_off = db.pool_status().open;
    let after_cut_off = backend_pid(&db).await;
    let ended = db
        .execute_unprepared("SELECT pg_terminate_backend(pg_backend_pid())")
        .await;
    let after_end = backend_pid(&db).await;
    let status = db.pool_status();

    assert_eq!(again, first, "one connection, reused");
    assert!(failed.is_err(), "division by zero fails");
    assert_eq!(after_failure, first, "a statement's error leaves it usable");
    assert!(cut_off.is_err(), "the sleep was still running when dropped");
    assert_eq!(
        open_after_cut_off, 0,
        "a connection cut off is closed at once"
    );
    assert_ne!(
        after_cut_off, first,
        "a connection cut off mid-statement is replaced"
    );
    assert!(ended.is_err(), "the server ended the session");
    assert_ne!(
        after_end, after_cut_off,
        "a connection the server ended is replaced"
    );
    assert_eq!(status.max, 1, "the pool's one connection");
    assert!(status.open <= status.max, "{status:?}");
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}

#[tokio::test]
async fn a_postgres_worker_thread_runs_its_statements_on_a_pool_of_its_own() {
    let settings = PoolSettings {
        max_connections: 5,
        workers: 2,
        ..PoolSettings::default()
    };
    let Some((db, name)) = postgres(&settings).await else {
        return;
    };

    let shared_max = db.pool_status().max;
    let shared = backend_pid(&db).await;
    db.open_worker_pool().expect("the worker's pool");
    db.open_worker_pool().expect("the same pool again");
    let with_worker_max = db.pool_status().max;
    let worker = backend_pid(&db).await;
    let worker_again = backend_pid(&db).await;

    assert_eq!(shared_max, 1, "beside workers the shared pool holds one");
    assert_eq!(
        with_worker_max, 3,
        "one shared, and one worker's share of the other four"
    );
    assert_ne!(worker, shared, "the worker has connections of its own");
    assert_eq!(worker_again, worker, "and reuses them");
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}

#[tokio::test]
async fn postgres_statements_run_on_their_generic_plan_from_the_first_run() {
    let one = PoolSettings {
        max_connections: 1,
        ..PoolSettings::default()
    };
    let Some((db, name)) = postgres(&one).await else {
        return;
    };
    let sql = "SELECT $1 + 1 AS n";
    let mut sums = Vec::new();
    for _ in 0..3 {
        let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, [7_i64.into()]);
        let row = db.query_one_raw(stmt).await.expect("ran").expect("a row");
        sums.push(row.try_get::<i64>("", "n").expect("a number"));
    }
    let plans = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT generic_plans AS generic, custom_plans AS custom \
         FROM pg_prepared_statements WHERE statement = $1",
        [sql.into()],
    );
    let row = db
        .query_one_raw(plans)
        .await
        .expect("plans")
        .expect("a row");
    let counts: (i64, i64) = (
        row.try_get("", "generic").expect("generic"),
        row.try_get("", "custom").expect("custom"),
    );
    db.close().await.expect("closed");
    drop_postgres(&name).await;

    assert_eq!(sums, [8, 8, 8]);
    assert_eq!(counts, (3, 0), "(generic, custom) plans");
}

/// How many updates, and of them HOT ones (no new index entries), completing
/// `task` makes, read from the statistics the updating transaction keeps
/// before they are reported (which are not flushed inside a transaction).
async fn completing(name: &str, task: i64) -> (i64, i64) {
    let conn = sea_orm::Database::connect(postgres_url(name))
        .await
        .expect("connected");
    let txn = conn.begin().await.expect("begin");
    let stats = || async {
        let sql = "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables \
             WHERE relname = 'tasks'";
        let row = txn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("statistics")
            .expect("a row for tasks");
        let updated: i64 = row.try_get("", "n_tup_upd").expect("updates");
        let hot: i64 = row.try_get("", "n_tup_hot_upd").expect("HOT updates");
        (updated, hot)
    };
    let before = stats().await;
    let complete = format!(
        "UPDATE tasks SET completed = NOT completed, version = version + 1, updated_at = now() \
         WHERE id = {task}"
    );
    txn.execute_unprepared(&complete).await.expect("completed");
    let after = stats().await;
    txn.rollback().await.expect("rolled back");
    conn.close().await.expect("closed");
    (after.0 - before.0, after.1 - before.1)
}

/// Rolls `db` back to the schema before the planning fields, stores an
/// open and a completed task there, migrates up again and reads both back
/// through the repository: priority 0, and the completed one completed at
/// its last change.
async fn the_planning_migration_keeps_old_tasks(db: &Database) {
    // Stored through today's schema, before the steps down.
    let me = insert_user(db).await;
    migrate_down_to(db, "m20261122_000006_tasks_hot_updates").await;
    let (created, changed) = (
        Utc::now() - Duration::hours(2),
        Utc::now() - Duration::hours(1),
    );
    for (title, completed) in [("open", false), ("done", true)] {
        let columns = [
            "user_id",
            "title",
            "completed",
            "version",
            "created_at",
            "updated_at",
        ];
        let insert = Query::insert()
            .into_table(Alias::new("tasks"))
            .columns(columns.map(Alias::new))
            .values_panic([
                me.as_uuid().into(),
                title.into(),
                completed.into(),
                1_i64.into(),
                created.into(),
                changed.into(),
            ])
            .to_owned();
        db.execute_raw(db.backend().build(&insert))
            .await
            .expect("an old task");
    }
    db.migrate(MigrationCommand::Up).await.expect("up");
    let subject = SeaUserRepository::new(db.clone())
        .find_token_subject(me, None)
        .await
        .expect("read")
        .expect("the user");
    let bearer = Bearer {
        user_id: me,
        credential: None,
        token_version: subject.token_version,
    };
    let query = TaskQuery {
        sort: "id".parse().expect("sort"),
        ..TaskQuery::default()
    };
    let page = SeaTaskRepository::new(db.clone())
        .list(&bearer, &query)
        .await
        .expect("listed");

    let read: Vec<_> = page
        .tasks
        .iter()
        .map(|t| {
            (
                t.title.as_str(),
                t.priority,
                t.completed_at.map(|at| at.timestamp()),
                t.parent,
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("open", Priority::default(), None, None),
            ("done", Priority::default(), Some(changed.timestamp()), None),
        ]
    );
    let (open, done) = (&page.tasks[0], &page.tasks[1]);
    assert!(
        open.position < done.position,
        "old tasks keep the order of their ids: {open:?} / {done:?}"
    );
    assert!(
        done.position.get() - open.position.get() >= 2,
        "with room between them"
    );

    // A task due before the deadline column existed gets its deadline.
    migrate_down_to(db, "m20261206_000010_labels").await;
    let due = Query::update()
        .table(Alias::new("tasks"))
        .value(
            Alias::new("due_date"),
            NaiveDate::from_ymd_opt(2026, 12, 24),
        )
        .value(Alias::new("time_zone"), "Pacific/Kiritimati")
        .and_where(Expr::col(Alias::new("id")).eq(open.id.get()))
        .to_owned();
    db.execute_raw(db.backend().build(&due))
        .await
        .expect("an old due date");
    db.migrate(MigrationCommand::Up).await.expect("up");
    let overdue_at = |hour: u32| TaskQuery {
        overdue: Some(true),
        now: Utc
            .with_ymd_and_hms(2026, 12, 24, hour, 0, 0)
            .single()
            .expect("a time"),
        ..TaskQuery::default()
    };
    let repository = SeaTaskRepository::new(db.clone());
    let before = repository
        .list(&bearer, &overdue_at(9))
        .await
        .expect("listed");
    let after = repository
        .list(&bearer, &overdue_at(11))
        .await
        .expect("listed");
    assert_eq!(
        (before.total, after.total),
        (0, 1),
        "the 24th ends at 10:00 UTC there"
    );
}

#[tokio::test]
async fn the_planning_migration_keeps_old_tasks_on_sqlite_and_postgres() {
    // One connection: a schema change seen by every statement after it
    // (under load, a pooled SQLite connection once still saw a column that
    // the step down had dropped).
    let one = PoolSettings {
        max_connections: 1,
        min_connections: 1,
        ..PoolSettings::default()
    };
    let (lite, path) = sqlite_with(&one).await;
    the_planning_migration_keeps_old_tasks(&lite).await;
    drop(lite);
    let _ = std::fs::remove_file(path);
    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    the_planning_migration_keeps_old_tasks(&db).await;
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}

/// Rolls `db` back until `name` is the last migration applied.
async fn migrate_down_to(db: &Database, name: &str) {
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|m| m.name() == name)
        .expect("a migration of that name");
    for _ in position + 1..migrations.len() {
        db.migrate(MigrationCommand::Down).await.expect("down");
    }
}

/// The storage options of `tasks` (`fillfactor=80`), empty for none.
async fn task_options(db: &Database) -> String {
    let sql = "SELECT COALESCE(array_to_string(reloptions, ','), '') AS options \
         FROM pg_class WHERE relname = 'tasks'";
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("options")
        .expect("a row for tasks")
        .try_get("", "options")
        .expect("text")
}

#[tokio::test]
async fn completing_a_task_is_a_hot_update_and_the_migration_that_allows_it_goes_down_and_up() {
    let (lite, path) = sqlite().await;
    lite.migrate(MigrationCommand::Down).await.expect("down");
    lite.migrate(MigrationCommand::Up).await.expect("up again");
    drop(lite);
    let _ = std::fs::remove_file(path);

    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    let me = insert_user(&db).await;
    let insert = format!(
        "INSERT INTO tasks (user_id, title, completed, version, created_at, updated_at) \
         VALUES ('{me}', 'task', false, 1, now(), now()) RETURNING id"
    );
    let task: i64 = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, insert))
        .await
        .expect("inserted")
        .expect("a row")
        .try_get("", "id")
        .expect("id");

    let up = (completing(&name, task).await, task_options(&db).await);
    migrate_down_to(&db, "m20261122_000005_create_password_reset_tokens").await;
    let down = (completing(&name, task).await, task_options(&db).await);
    db.migrate(MigrationCommand::Up).await.expect("up again");
    let up_again = (completing(&name, task).await, task_options(&db).await);
    drop_postgres(&name).await;

    assert_eq!(up, ((1, 1), "fillfactor=80".to_owned()));
    assert_eq!(
        down,
        ((1, 0), String::new()),
        "an index on completed rules HOT out"
    );
    assert_eq!(up_again, up);
}

/// The raw `totp_factors.secret` of `user`.
async fn stored_secret(db: &Database, user: UserId) -> String {
    let select = Query::select()
        .column(Alias::new("secret"))
        .from(Alias::new("totp_factors"))
        .and_where(Expr::col(Alias::new("user_id")).eq(user.as_uuid()))
        .to_owned();
    let row = db
        .query_one_raw(db.backend().build(&select))
        .await
        .expect("read")
        .expect("a row");
    row.try_get::<String>("", "secret").expect("secret")
}

async fn totp_secrets_are_sealed(db: &Database) {
    let sealer = Sealer::new(b"storage test secret", "totp");
    let store = SeaSecondFactorStore::new(db.clone(), sealer.clone());
    let (new, old) = (insert_user(db).await, insert_user(db).await);
    let secret = TotpSecret::from_bytes(&[7; 20]);
    assert!(
        store
            .begin_totp(new, &secret, Utc::now())
            .await
            .expect("begun")
    );
    let legacy = Query::insert()
        .into_table(Alias::new("totp_factors"))
        .columns(["user_id", "secret", "created_at"].map(Alias::new))
        .values_panic([
            old.as_uuid().into(),
            secret.expose().into(),
            Utc::now().into(),
        ])
        .to_owned();
    db.execute_raw(db.backend().build(&legacy))
        .await
        .expect("a secret stored before sealing");

    let new_raw = stored_secret(db, new).await;
    let resealed = store.reseal_secrets().await.expect("sealed");
    let again = store.reseal_secrets().await.expect("sealed");
    let old_raw = stored_secret(db, old).await;
    let read = store.totp(old).await.expect("read").expect("a factor");
    let rotated = SeaSecondFactorStore::new(db.clone(), Sealer::new(b"rotated", "totp"));
    let pending_after_rotation = rotated.totp(new).await;
    let enabled = store
        .enable_totp(new, &secret, 1, &[], Utc::now())
        .await
        .expect("answered");
    let on_after_rotation = rotated.totp(new).await;

    assert!(Sealer::is_sealed(&new_raw), "{new_raw}");
    assert!(!new_raw.contains(secret.expose()));
    assert_eq!(
        (resealed.resealed, again),
        (1, Resealed::default()),
        "old secrets are sealed once"
    );
    assert!(Sealer::is_sealed(&old_raw) && !old_raw.contains(secret.expose()));
    assert_eq!(read.secret, secret);
    assert!(enabled, "a sealed pending secret is matched by its value");
    assert_eq!(
        pending_after_rotation.expect("answered"),
        None,
        "a pending secret that does not open is as good as none"
    );
    assert!(on_after_rotation.is_err(), "one that is on fails closed");
}

async fn totp_secrets_move_to_a_new_sealing_key(db: &Database) {
    let old_key: &[u8] = b"the old sealing key of the storage test";
    let before = SeaSecondFactorStore::new(db.clone(), Sealer::new(old_key, "totp"));
    let user = insert_user(db).await;
    let secret = TotpSecret::from_bytes(&[9; 20]);
    let now = Utc::now();
    assert!(before.begin_totp(user, &secret, now).await.expect("begun"));
    assert!(
        before
            .enable_totp(user, &secret, 1, &[], now)
            .await
            .expect("on")
    );
    let rotating = Sealer::rotating(
        b"the new sealing key of the storage test",
        &[old_key],
        "totp",
    );
    let prefix = rotating.current_prefix();
    let after = SeaSecondFactorStore::new(db.clone(), rotating);
    let unknown = Sealer::rotating(b"a key that sealed nothing in this database", &[], "totp");
    let stranger = SeaSecondFactorStore::new(db.clone(), unknown);

    let by_stranger = stranger.reseal_secrets().await.expect("answered");
    let resealed = after.reseal_secrets().await.expect("resealed");
    let again = after.reseal_secrets().await.expect("resealed");
    let raw = stored_secret(db, user).await;
    let read = after.totp(user).await.expect("read").expect("a factor");

    assert_eq!(
        by_stranger,
        Resealed {
            resealed: 0,
            unopened: 1
        },
        "a secret no configured key opens is left as it is"
    );
    assert_eq!(resealed.resealed, 1);
    assert_eq!(again, Resealed::default());
    assert!(raw.starts_with(&prefix), "{raw}");
    assert_eq!((read.secret, read.enabled), (secret, true));
    assert!(
        before.totp(user).await.is_err(),
        "the old key alone no longer opens it"
    );
}

#[tokio::test]
async fn totp_secrets_move_to_a_new_sealing_key_on_sqlite_and_postgres() {
    let (lite, path) = sqlite().await;
    totp_secrets_move_to_a_new_sealing_key(&lite).await;
    drop(lite);
    let _ = std::fs::remove_file(path);
    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    totp_secrets_move_to_a_new_sealing_key(&db).await;
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}

#[tokio::test]
async fn totp_secrets_are_stored_sealed_on_sqlite_and_postgres() {
    let (lite, path) = sqlite().await;
    totp_secrets_are_sealed(&lite).await;
    drop(lite);
    let _ = std::fs::remove_file(path);
    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    totp_secrets_are_sealed(&db).await;
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}
