//! `If-Match` in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: a write names the version it expects.

use super::{bearer, completion, create, stored};
use crate::error::Error;
use crate::task::Precondition;
use crate::testing::{Storage, at};

/// A write expecting another version fails with `PreconditionFailed` and
/// changes nothing.
pub async fn a_stale_version_changes_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Contended", 0).await;

    let update = storage
        .tasks
        .update(
            &ada,
            task.id,
            completion(true),
            Precondition::Version(2),
            at(5),
        )
        .await;
    let toggle = storage
        .tasks
        .toggle(&ada, task.id, Precondition::Version(0), at(5))
        .await;
    let delete = storage
        .tasks
        .delete(&ada, task.id, Precondition::Version(7), at(40))
        .await;

    assert_error!(
        update,
        Error::PreconditionFailed,
        "update at a stale version"
    );
    assert_error!(
        toggle,
        Error::PreconditionFailed,
        "toggle at a stale version"
    );
    assert_error!(
        delete,
        Error::PreconditionFailed,
        "delete at a stale version"
    );
    assert_eq!(stored(storage, ada, task.id).await, Some(task));
}

/// A write expecting the current version goes through.
pub async fn a_matching_version_writes(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create(storage, ada, "Careful", 0).await;

    let updated = storage
        .tasks
        .update(
            &ada,
            task.id,
            completion(true),
            Precondition::Version(1),
            at(1),
        )
        .await
        .expect("updated at version 1");
    let toggled = storage
        .tasks
        .toggle(&ada, task.id, Precondition::Version(2), at(2))
        .await
        .expect("toggled at version 2");
    let deleted = storage
        .tasks
        .delete(&ada, task.id, Precondition::Version(3), at(40))
        .await;

    assert_eq!((updated.version, updated.completed), (2, true));
    assert_eq!((toggled.version, toggled.completed), (3, false));
    assert!(deleted.is_ok(), "deleted at version 3: {deleted:?}");
    assert_eq!(stored(storage, ada, task.id).await, None);
}
