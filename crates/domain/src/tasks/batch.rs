//! Many writes of the owner's tasks in one request: all or none, or each
//! on its own.

use super::OwnerTasks;
use crate::error::{Error, Result};
use crate::task::{BatchRefusal, OpOutcome, TaskOp};

impl OwnerTasks {
    /// Applies `ops` in order. With `atomic`, all of them in one step or,
    /// when one is refused, none: that op is `Refused` and every other
    /// `Skipped`. Without, each op as its single-task operation would,
    /// whatever became of the others.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer is not live;
    /// [`Error::Unavailable`] when storage cannot be reached during an
    /// atomic batch (nothing is written; without `atomic`, that op is
    /// refused and the next ones are tried).
    pub async fn batch(&self, ops: Vec<TaskOp>, atomic: bool) -> Result<Vec<OpOutcome>> {
        if atomic {
            return self.apply_all(ops).await;
        }
        let mut outcomes = Vec::with_capacity(ops.len());
        for op in ops {
            let written = match op {
                TaskOp::Create(task) => self.create(task).await.map(Some),
                TaskOp::Update {
                    id,
                    changes,
                    precondition,
                } => self.update(id, changes, precondition).await.map(Some),
                TaskOp::Toggle { id, precondition } => {
                    self.set_completion(id, None, precondition).await.map(Some)
                }
                TaskOp::Delete { id, precondition } => {
                    self.delete(id, precondition).await.map(|()| None)
                }
            };
            outcomes.push(match written {
                Ok(task) => OpOutcome::Done(task),
                Err(unauthorized @ Error::Unauthorized(_)) => return Err(unauthorized),
                Err(refusal) => OpOutcome::Refused(refusal),
            });
        }
        Ok(outcomes)
    }

    /// An atomic batch.
    async fn apply_all(&self, ops: Vec<TaskOp>) -> Result<Vec<OpOutcome>> {
        let count = ops.len();
        let now = self.service.clock.now();
        match self.service.tasks.apply_all(&self.bearer, ops, now).await? {
            Ok(written) => Ok(written.into_iter().map(OpOutcome::Done).collect()),
            Err(BatchRefusal { index, error }) => {
                let error = self.unless_revoked(error).await;
                if let Error::Unauthorized(_) = error {
                    return Err(error);
                }
                let mut refusal = Some(error);
                Ok((0..count)
                    .map(|i| match refusal.take_if(|_| i == index) {
                        Some(error) => OpOutcome::Refused(error),
                        None => OpOutcome::Skipped,
                    })
                    .collect())
            }
        }
    }
}
