//! A batch of task writes in one transaction: every op, or none.

use chrono::{DateTime, Utc};
use sea_orm::QueryFilter;
use taskpulse_domain::task::{BatchRefusal, NewTask, Task, TaskOp};
use taskpulse_domain::{Bearer, Error, Result};

use super::conditions::owned_at;
use super::trash::trash_in;
use super::tree::last_top_level;
use super::writes::{insert_top_level, toggled, write};
use super::{create_in, miss, update_in};
use crate::db::{Transaction, to_domain};
use crate::repositories::live::lock_owner;

/// Applies `ops` in order inside `txn`, holding the owner's lock: the
/// tasks written, or the first op refused (the caller rolls back). A
/// failure to reach storage is an error of its own.
pub(super) async fn apply_ops(
    txn: &Transaction,
    bearer: &Bearer,
    ops: Vec<TaskOp>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Vec<Option<Task>>, BatchRefusal>> {
    if !lock_owner(txn, bearer).await? {
        return Ok(Err(bearer_gone()));
    }
    let mut written = Vec::with_capacity(ops.len());
    let mut ops = ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        // Top-level creates without labels in a row go in one statement.
        if let TaskOp::Create(task) = &op
            && is_plain(task)
        {
            let mut run = vec![task.clone()];
            while let Some(TaskOp::Create(next)) = ops.peek()
                && is_plain(next)
            {
                run.push(next.clone());
                ops.next();
            }
            let last = last_top_level(txn, bearer.user_id).await?;
            let created = insert_top_level(txn, bearer, &run, last, now).await?;
            written.extend(created.into_iter().map(Some));
            continue;
        }
        let index = written.len();
        match apply_op(txn, bearer, op, now).await {
            Ok(task) => written.push(task),
            Err(error @ (Error::Unavailable | Error::Internal(_))) => return Err(error),
            Err(error) => return Ok(Err(BatchRefusal { index, error })),
        }
    }
    Ok(Ok(written))
}

/// The tasks of a batch made of nothing but creates that a multi-row
/// insert can take; `None` for any other batch (an empty one too).
pub(super) fn only_plain_creates(ops: &[TaskOp]) -> Option<Vec<&NewTask>> {
    let tasks: Vec<&NewTask> = ops
        .iter()
        .map(|op| match op {
            TaskOp::Create(task) if is_plain(task) => Some(task),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!tasks.is_empty()).then_some(tasks)
}

/// What a batch gets whose bearer is not live (the service tells the
/// bearer why).
pub(super) fn bearer_gone() -> BatchRefusal {
    BatchRefusal {
        index: 0,
        error: Error::NotFound,
    }
}

/// A create that a multi-row insert can take: top level, no labels.
fn is_plain(task: &NewTask) -> bool {
    task.parent.is_none() && task.labels.names().is_empty()
}

/// One op, as its own repository method would write it.
async fn apply_op(
    txn: &Transaction,
    bearer: &Bearer,
    op: TaskOp,
    now: DateTime<Utc>,
) -> Result<Option<Task>> {
    match op {
        TaskOp::Create(task) => create_in(txn, bearer, &task, now)
            .await?
            .map(Some)
            .ok_or(Error::NotFound),
        TaskOp::Update {
            id,
            changes,
            precondition,
        } => match update_in(txn, bearer, id, changes, precondition, now).await {
            Err(Error::NotFound) => Err(miss(txn, bearer, id, precondition).await),
            written => written.map(Some),
        },
        TaskOp::Toggle { id, precondition } => {
            let update = toggled(now).filter(owned_at(bearer, id, precondition));
            match write(txn, bearer, update).await.map_err(to_domain)? {
                Some(task) => Ok(Some(task)),
                None => Err(miss(txn, bearer, id, precondition).await),
            }
        }
        TaskOp::Delete { id, precondition } => trash_in(txn, bearer, id, precondition, now)
            .await
            .map(|()| None),
    }
}
