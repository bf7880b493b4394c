//! The per-user change log (issue #22). `users.change_seq` numbers the
//! rows that existed before the log (and, on SQLite, follows the log);
//! `tasks.change_seq` and `labels.change_seq` the
//! number of each row's latest change (the feed finds a task's through
//! the log, so that the column needs no index and updates stay HOT; a
//! label's through an index per owner); `changes` the log itself (the activity, and the
//! tombstones of what is gone for good); `changed_by` on tasks and labels
//! the session of the row's latest write. Triggers record every write
//! (`sql/change_log.*.sql`), so that no write path can forget one. Rows
//! that exist already get numbers of their own, tasks first, in id order.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};
use crate::m20261122_000001_create_users::Users;
use crate::m20261122_000002_create_tasks::Tasks;
use crate::m20261206_000010_labels::Labels;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Changes {
    Table,
    UserId,
    Seq,
    Kind,
    EntityId,
    Action,
    Fields,
    SessionId,
    At,
}

#[derive(DeriveIden)]
enum Tracked {
    ChangeSeq,
    ChangedBy,
}

/// Numbers the rows that exist already, per owner: tasks, then labels.
const NUMBER_EXISTING: &str = "
UPDATE tasks SET change_seq = ranked.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id) AS n FROM tasks) AS ranked
WHERE tasks.id = ranked.id;
UPDATE labels SET change_seq = ranked.n
    + (SELECT COUNT(*) FROM tasks WHERE tasks.user_id = labels.user_id)
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id) AS n FROM labels) AS ranked
WHERE labels.id = ranked.id;
UPDATE users SET change_seq = (SELECT COUNT(*) FROM tasks WHERE tasks.user_id = users.id)
    + (SELECT COUNT(*) FROM labels WHERE labels.user_id = users.id);
";

const TRIGGERS: [&str; 6] = [
    "tasks_created",
    "tasks_changed",
    "tasks_purged",
    "labels_created",
    "labels_changed",
    "labels_deleted",
];

const FUNCTIONS: [&str; 5] = [
    "record_task_change",
    "record_task_purge",
    "record_label_change",
    "record_label_deletion",
    "record_change",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Users::Table,
            [big_integer(Tracked::ChangeSeq).default(0).to_owned()],
        )
        .await?;
        for table in [Tasks::Table.into_iden(), Labels::Table.into_iden()] {
            add_columns(
                manager,
                table,
                [
                    big_integer(Tracked::ChangeSeq).default(0).to_owned(),
                    uuid_null(Tracked::ChangedBy),
                ],
            )
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Changes::Table)
                    .col(uuid(Changes::UserId))
                    .col(big_integer(Changes::Seq))
                    .col(string_len(Changes::Kind, 5))
                    .col(big_integer(Changes::EntityId))
                    .col(string_len(Changes::Action, 8))
                    .col(string_len(Changes::Fields, 200))
                    .col(uuid_null(Changes::SessionId))
                    .col(timestamp_with_time_zone(Changes::At))
                    .primary_key(Index::create().col(Changes::UserId).col(Changes::Seq))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Changes::Table, Changes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in [
            "CREATE INDEX idx_changes_erased ON changes (user_id, seq) \
             WHERE action = 'purged' OR (kind = 'label' AND action = 'deleted')",
            "CREATE INDEX idx_changes_at ON changes (at)",
            "CREATE INDEX idx_labels_user_change ON labels (user_id, change_seq)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        db.execute_unprepared(NUMBER_EXISTING).await?;
        db.execute_unprepared(match manager.get_database_backend() {
            DbBackend::Postgres => include_str!("sql/change_log.postgres.sql"),
            _ => include_str!("sql/change_log.sqlite.sql"),
        })
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for trigger in TRIGGERS {
            let table = trigger.split('_').next().unwrap_or_default();
            db.execute_unprepared(&if postgres {
                format!("DROP TRIGGER {trigger} ON {table}")
            } else {
                format!("DROP TRIGGER {trigger}")
            })
            .await?;
        }
        if postgres {
            for function in FUNCTIONS {
                db.execute_unprepared(&format!("DROP FUNCTION {function}"))
                    .await?;
            }
        }
        for index in ["idx_labels_user_change"] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Changes::Table).to_owned())
            .await?;
        for table in [Tasks::Table.into_iden(), Labels::Table.into_iden()] {
            drop_columns(manager, table, [Tracked::ChangedBy, Tracked::ChangeSeq]).await?;
        }
        drop_columns(manager, Users::Table, [Tracked::ChangeSeq]).await
    }
}
