//! When an open task becomes overdue: `due_deadline`, the instant of
//! [`Due::deadline`] in the task's time zone (for a date, the start of the
//! next day there), kept beside `due_key` because no SQL of both
//! databases can read a date in a time zone. Indexed with its owner for
//! `overdue=true`. Existing due tasks get theirs here, computed by the
//! domain's rule.

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};
use taskpulse_domain::task::{Due, TimeZone};

use crate::columns::{add_columns, drop_columns, owner_index};
use crate::m20261122_000002_create_tasks::Tasks;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_tasks_user_deadline";

#[derive(DeriveIden)]
enum Overdue {
    DueDate,
    DueAt,
    TimeZone,
    DueDeadline,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Tasks::Table,
            [timestamp_with_time_zone_null(Overdue::DueDeadline).to_owned()],
        )
        .await?;
        let db = manager.get_connection();
        let mut due = Query::select();
        due.columns([
            Tasks::Id.into_iden(),
            Overdue::DueDate.into_iden(),
            Overdue::DueAt.into_iden(),
            Overdue::TimeZone.into_iden(),
        ])
        .from(Tasks::Table)
        .cond_where(
            Condition::any()
                .add(Expr::col(Overdue::DueDate).is_not_null())
                .add(Expr::col(Overdue::DueAt).is_not_null()),
        );
        for row in db.query_all(&due).await? {
            let id: i64 = row.try_get_by_index(0)?;
            let date: Option<chrono::NaiveDate> = row.try_get_by_index(1)?;
            let at: Option<chrono::DateTime<chrono::Utc>> = row.try_get_by_index(2)?;
            let zone: String = row.try_get_by_index(3)?;
            let zone = TimeZone::parse(&zone).unwrap_or_default();
            let Some(due) = at.map(Due::At).or(date.map(Due::Date)) else {
                continue;
            };
            manager
                .exec_stmt(
                    Query::update()
                        .table(Tasks::Table)
                        .value(Overdue::DueDeadline, due.deadline(zone))
                        .and_where(Expr::col(Tasks::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(owner_index(INDEX, Overdue::DueDeadline))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Tasks::Table).to_owned())
            .await?;
        drop_columns(manager, Tasks::Table, [Overdue::DueDeadline]).await
    }
}
