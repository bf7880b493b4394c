//! The change log's numbering on PostgreSQL (migration 20): statements
//! that write two owners' rows, in turn or mixed within one statement and
//! one transaction, still number each owner's changes 1, 2, 3… with no gap
//! and no repeat, and every row carries the number of its latest change.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use taskpulse_infra::PoolSettings;

use super::{drop_postgres, insert_user, postgres};

#[tokio::test]
async fn owners_written_in_turn_in_one_transaction_keep_numbering_apart() {
    let Some((db, name)) = postgres(&PoolSettings::default()).await else {
        return;
    };
    let ada = insert_user(&db).await.as_uuid();
    let bob = insert_user(&db).await.as_uuid();
    db.execute_unprepared(&format!(
        "BEGIN;
         INSERT INTO tasks (user_id, title, created_at, updated_at) VALUES ('{ada}', 'a1', now(), now());
         INSERT INTO tasks (user_id, title, created_at, updated_at) VALUES ('{bob}', 'b1', now(), now());
         INSERT INTO tasks (user_id, title, created_at, updated_at)
             SELECT CASE WHEN g % 2 = 0 THEN '{ada}'::uuid ELSE '{bob}'::uuid END, 'x' || g, now(), now()
             FROM generate_series(1, 6) AS g;
         UPDATE tasks SET title = title || '!', version = version + 1 WHERE title IN ('a1', 'b1');
         UPDATE tasks SET title = 'unchanged' WHERE title = 'x3';
         DELETE FROM tasks WHERE title IN ('x1', 'x2');
         COMMIT;"
    ))
    .await
    .expect("written");

    let logs = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT string_agg(seq || ' ' || action, ', ' ORDER BY seq) FROM changes \
                 WHERE user_id IN ('{ada}', '{bob}') GROUP BY user_id \
                 ORDER BY user_id = '{ada}' DESC"
            ),
        ))
        .await
        .expect("read");
    let logs: Vec<String> = logs
        .iter()
        .map(|row| row.try_get_by_index(0).expect("a log"))
        .collect();
    let expected = "1 created, 2 created, 3 created, 4 created, 5 updated, 6 purged";
    assert_eq!(logs, [expected, expected]);

    let strays = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) FROM tasks AS t WHERE NOT EXISTS (SELECT 1 FROM changes AS c \
             WHERE c.user_id = t.user_id AND c.seq = t.change_seq AND c.entity_id = t.id)",
        ))
        .await
        .expect("read")
        .expect("a row");
    assert_eq!(
        strays.try_get_by_index::<i64>(0).expect("a count"),
        0,
        "every row carries its latest change"
    );
    db.close().await.expect("closed");
    drop_postgres(&name).await;
}
