//! `POST …/tasks/batch`: up to 100 writes in one request, each op's body
//! read as its single-task route reads it, and one result per op.

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use taskpulse_domain::task::{MAX_BATCH_OPS, OpOutcome, Precondition, TaskChanges, TaskId, TaskOp};
use taskpulse_domain::{Error, OwnerTasks};

use super::input::{CompletionBody, completion_of, full_task, patch_changes, placement};
use crate::dto::TaskBody;
use crate::error::ApiError;
use crate::extract::{nullable, precondition};

/// The body of a batch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TaskBatch)]
pub(crate) struct BatchBody {
    /// `true` (the default): every op or none. `false`: each op on its own.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<bool>, default = true)]
    atomic: Option<Option<bool>>,
    /// 1 to 100 writes, applied in order.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Vec<BatchOpBody>, min_items = 1, max_items = 100)]
    ops: Option<Option<Vec<BatchOpBody>>>,
}

/// One write of a batch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TaskBatchOp)]
pub(crate) struct BatchOpBody {
    /// What it does, as the route of the same name: `create`, `patch`,
    /// `complete`, `delete` or `move`.
    #[schema(value_type = String, pattern = "^(create|patch|complete|delete|move)$", example = "patch")]
    op: Option<String>,
    /// The task (every op but `create`, which takes none).
    #[schema(minimum = 1, example = 42)]
    id: Option<i64>,
    /// The version the task must be at: `"<version>"` or `*` as in
    /// `If-Match`, or the version number.
    #[schema(value_type = Option<String>, example = "\"3\"")]
    if_match: Option<IfMatchValue>,
    /// The body its route takes (`create`: a task; `patch`: the changes;
    /// `complete`: `{completed}` or nothing to toggle; `move`: `{after,
    /// parent_id}`; `delete`: none).
    #[schema(value_type = Option<Object>)]
    body: Option<Value>,
}

/// An op's `if_match`: the header's text or a bare version.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IfMatchValue {
    Version(i64),
    Text(String),
}

/// The answer to a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TaskBatchResult)]
pub(crate) struct BatchAnswer {
    /// `false` only when an atomic batch applied nothing.
    applied: bool,
    /// The op that made an atomic batch apply nothing.
    #[schema(minimum = 0, example = json!(null))]
    failed_index: Option<usize>,
    /// One result per op, in order.
    results: Vec<OpResult>,
}

/// What became of one op.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = TaskBatchOpResult)]
pub(crate) struct OpResult {
    /// The status its route would have answered (201 created, 200
    /// changed, 204 deleted, or the error's); 424 when the op was not
    /// applied because another op of an atomic batch was refused.
    #[schema(example = 200)]
    status: u16,
    /// The task as it now is (create, patch, complete, move).
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<TaskBody>,
    /// The contract's error body, for a refused op.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    error: Option<Value>,
}

/// A batch as the domain takes it: whether atomic, and each op or why it
/// was refused before it reached storage.
pub(super) struct ParsedBatch {
    atomic: bool,
    ops: Vec<Result<TaskOp, ApiError>>,
}

/// Reads the envelope (422 on `atomic` or `ops` when it is wrong) and each
/// op (its own refusal, kept for its result).
pub(super) fn parse(body: BatchBody) -> Result<ParsedBatch, ApiError> {
    let atomic = match body.atomic {
        None => true,
        Some(Some(atomic)) => atomic,
        Some(None) => return Err(ApiError::invalid("atomic", "must be true or false")),
    };
    let ops = body.ops.flatten().unwrap_or_default();
    if ops.is_empty() || ops.len() > MAX_BATCH_OPS {
        return Err(ApiError::invalid(
            "ops",
            format!("must hold 1 to {MAX_BATCH_OPS} operations"),
        ));
    }
    Ok(ParsedBatch {
        atomic,
        ops: ops.into_iter().map(op).collect(),
    })
}

/// One op's write.
fn op(input: BatchOpBody) -> Result<TaskOp, ApiError> {
    let precondition = match input.if_match {
        None => Precondition::None,
        Some(IfMatchValue::Text(text)) => precondition(&text),
        Some(IfMatchValue::Version(version)) => Precondition::Version(version.max(0)),
    };
    let body = input.body.unwrap_or(Value::Null);
    let kind = input.op.unwrap_or_default();
    if kind == "create" {
        if input.id.is_some() {
            return Err(ApiError::invalid("id", "create takes no id"));
        }
        return full_task(from_body(body)?).map(TaskOp::Create);
    }
    let id = input
        .id
        .ok_or_else(|| ApiError::invalid("id", "required"))
        .and_then(|id| TaskId::new(id).map_err(|e| ApiError::invalid("id", e)))?;
    let update = |changes: TaskChanges| TaskOp::Update {
        id,
        changes,
        precondition,
    };
    match kind.as_str() {
        "patch" => patch_changes(from_body(body)?).map(update),
        "move" => placement(from_body(body)?).map(update),
        "complete" => {
            let body: Option<CompletionBody> = from_body(body)?;
            Ok(match completion_of(body)? {
                Some(completed) => update(TaskChanges {
                    completed: Some(completed),
                    ..TaskChanges::default()
                }),
                None => TaskOp::Toggle { id, precondition },
            })
        }
        "delete" => Ok(TaskOp::Delete { id, precondition }),
        _ => Err(ApiError::invalid(
            "op",
            "must be create, patch, complete, delete or move",
        )),
    }
}

/// An op's body as its route's type: 400 when it has the wrong shape.
fn from_body<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    let body = if body.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        body
    };
    serde_json::from_value(body)
        .map_err(|e| ApiError::BadRequest(format!("Unexpected JSON shape: {e}")))
}

/// Runs a parsed batch for the owner: an atomic batch with an op refused
/// before storage applies nothing; otherwise the ops that parsed go to the
/// domain, and each op's outcome comes back in its place.
///
/// # Errors
/// The domain's, for the whole batch (`Unauthorized`, `Unavailable`).
pub(super) async fn run(tasks: &OwnerTasks, parsed: ParsedBatch) -> Result<BatchAnswer, Error> {
    let ParsedBatch { atomic, ops } = parsed;
    if atomic && ops.iter().any(Result::is_err) {
        let outcomes = ops
            .into_iter()
            .map(|op| match op {
                Ok(op) => Outcome::Reached(OpKind::of(&op), OpOutcome::Skipped),
                Err(refusal) => Outcome::Unparsed(refusal),
            })
            .collect();
        return Ok(answer(outcomes, atomic));
    }
    let mut slots = Vec::with_capacity(ops.len());
    let mut valid = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            Ok(op) => {
                slots.push(Ok(OpKind::of(&op)));
                valid.push(op);
            }
            Err(refusal) => slots.push(Err(refusal)),
        }
    }
    let mut reached = tasks.batch(valid, atomic).await?.into_iter();
    let outcomes = slots
        .into_iter()
        .map(|slot| match slot {
            Ok(kind) => Outcome::Reached(kind, reached.next().unwrap_or(OpOutcome::Skipped)),
            Err(refusal) => Outcome::Unparsed(refusal),
        })
        .collect();
    Ok(answer(outcomes, atomic))
}

/// What became of one op before it is answered.
enum Outcome {
    /// It reached the domain.
    Reached(OpKind, OpOutcome),
    /// Its body was refused before.
    Unparsed(ApiError),
}

/// The answer for `outcomes`, in the order of the ops.
fn answer(outcomes: Vec<Outcome>, atomic: bool) -> BatchAnswer {
    let mut failed_index = None;
    let mut results = Vec::with_capacity(outcomes.len());
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let refusal = match outcome {
            Outcome::Reached(kind, OpOutcome::Done(task)) => {
                results.push(OpResult {
                    status: kind.success().as_u16(),
                    task: task.map(TaskBody::from),
                    error: None,
                });
                continue;
            }
            Outcome::Reached(_, OpOutcome::Skipped) => {
                results.push(OpResult {
                    status: StatusCode::FAILED_DEPENDENCY.as_u16(),
                    task: None,
                    error: None,
                });
                continue;
            }
            Outcome::Reached(_, OpOutcome::Refused(error)) => ApiError::from(error),
            Outcome::Unparsed(error) => error,
        };
        failed_index.get_or_insert(index);
        results.push(OpResult {
            status: refusal.status_code().as_u16(),
            task: None,
            error: serde_json::from_str(&refusal.body(None)).ok(),
        });
    }
    let applied = !(atomic && failed_index.is_some());
    BatchAnswer {
        applied,
        failed_index: failed_index.filter(|_| !applied),
        results,
    }
}

/// What an op does, for its success status.
#[derive(Debug, Clone, Copy)]
enum OpKind {
    Create,
    Change,
    Delete,
}

impl OpKind {
    fn of(op: &TaskOp) -> Self {
        match op {
            TaskOp::Create(_) => Self::Create,
            TaskOp::Update { .. } | TaskOp::Toggle { .. } => Self::Change,
            TaskOp::Delete { .. } => Self::Delete,
        }
    }

    fn success(self) -> StatusCode {
        match self {
            Self::Create => StatusCode::CREATED,
            Self::Change => StatusCode::OK,
            Self::Delete => StatusCode::NO_CONTENT,
        }
    }
}
