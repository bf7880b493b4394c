//! Many writes of one owner's tasks in one request.

use super::{NewTask, Precondition, Task, TaskChanges, TaskId};
use crate::error::Error;

/// The most writes one batch may hold.
pub const MAX_BATCH_OPS: usize = 100;

/// One write of a batch, as the single-task operation of the same name
/// would make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOp {
    /// Creates a task.
    Create(NewTask),
    /// Applies changes (a move included).
    Update {
        /// The task.
        id: TaskId,
        /// What changes.
        changes: TaskChanges,
        /// The version it must be at.
        precondition: Precondition,
    },
    /// Flips `completed`.
    Toggle {
        /// The task.
        id: TaskId,
        /// The version it must be at.
        precondition: Precondition,
    },
    /// Deletes a task and its subtasks.
    Delete {
        /// The task.
        id: TaskId,
        /// The version it must be at.
        precondition: Precondition,
    },
}

/// Why an atomic batch applied nothing: its op `index` was refused.
#[derive(Debug)]
pub struct BatchRefusal {
    /// The refused op's place in the batch, from 0.
    pub index: usize,
    /// Why.
    pub error: Error,
}

/// What one op of a batch came to.
#[derive(Debug)]
pub enum OpOutcome {
    /// Written: the task as it now is (`None` for a delete).
    Done(Option<Task>),
    /// Refused, with the error the single-task operation would answer.
    Refused(Error),
    /// Not applied because another op of an atomic batch was refused.
    Skipped,
}
