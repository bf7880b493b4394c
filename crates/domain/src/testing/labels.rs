//! The [`LabelRepository`](crate::ports::LabelRepository) contract, and
//! labels on tasks in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract.

use super::tasks::{bearer, listed, new_task};
use super::{Storage, at};
use crate::Error;
use crate::bearer::Bearer;
use crate::label::{
    Color, Label, LabelChanges, LabelName, MAX_LABELS_PER_USER, NewLabel, TaskLabels,
};
use crate::task::{Precondition, Task, TaskChanges, TaskQuery};

fn name(raw: &str) -> LabelName {
    LabelName::parse(raw).expect("a valid label name")
}

fn labels(names: &[&str]) -> TaskLabels {
    TaskLabels::new(names.iter().map(|n| name(n)).collect()).expect("few labels")
}

async fn label(storage: &Storage, owner: Bearer, raw: &str) -> Label {
    let new = NewLabel {
        name: name(raw),
        color: Some(Color::parse("#00aa00").expect("a color")),
    };
    storage
        .labels
        .create(&owner, new, at(0))
        .await
        .expect("created")
        .expect("a live bearer's label")
}

async fn labelled(storage: &Storage, owner: Bearer, title: &str, names: &[&str]) -> Task {
    let mut task = new_task(title, None, false);
    task.labels = labels(names);
    storage
        .tasks
        .create(&owner, task, at(1))
        .await
        .expect("created")
        .expect("a live bearer's task")
}

async fn relabel(storage: &Storage, owner: Bearer, task: &Task, names: &[&str]) -> Task {
    let changes = TaskChanges {
        labels: Some(labels(names)),
        ..TaskChanges::default()
    };
    storage
        .tasks
        .update(&owner, task.id, changes, Precondition::None, at(2))
        .await
        .expect("updated")
}

async fn stored(storage: &Storage, owner: Bearer, task: &Task) -> Task {
    storage
        .tasks
        .get(&owner, task.id)
        .await
        .expect("read")
        .expect("still there")
}

fn carrying(names: &[&str]) -> TaskQuery {
    TaskQuery {
        labels: names.iter().map(|n| name(n)).collect(),
        sort: "id".parse().expect("a sort"),
        ..TaskQuery::default()
    }
}

/// A label is created, listed by name, renamed and recolored, and
/// deleted; its name is unique per owner ignoring case, and another
/// owner's label behaves like a missing one.
pub async fn a_label_is_created_listed_changed_and_deleted(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let work = label(storage, ada, "Work").await;
    let home = label(storage, ada, "home").await;
    let bobs = label(storage, bob, "Work").await;

    let taken = storage
        .labels
        .create(
            &ada,
            NewLabel {
                name: name("WORK"),
                color: None,
            },
            at(3),
        )
        .await;
    assert!(matches!(taken, Err(Error::LabelTaken)), "{taken:?}");
    let names: Vec<String> = storage
        .labels
        .list(&ada)
        .await
        .expect("listed")
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["home", "Work"], "by name, ignoring case");

    let clash = LabelChanges {
        name: Some(name("Home")),
        ..LabelChanges::default()
    };
    let refused = storage.labels.update(&ada, work.id, clash, at(4)).await;
    assert!(matches!(refused, Err(Error::LabelTaken)), "{refused:?}");
    let respelled = LabelChanges {
        name: Some(name("Home")),
        color: Some(None),
    };
    let home = storage
        .labels
        .update(&ada, home.id, respelled, at(5))
        .await
        .expect("its own name in another case");
    assert_eq!((home.name.as_str(), &home.color), ("Home", &None));
    assert_eq!(home.updated_at, at(5));

    let others = [
        storage
            .labels
            .get(&bob, work.id)
            .await
            .expect("read")
            .is_none(),
        matches!(
            storage
                .labels
                .update(
                    &bob,
                    work.id,
                    LabelChanges {
                        name: Some(name("Mine")),
                        ..LabelChanges::default()
                    },
                    at(6)
                )
                .await,
            Err(Error::NotFound)
        ),
        matches!(
            storage.labels.delete(&bob, work.id, at(6)).await,
            Err(Error::NotFound)
        ),
    ];
    assert_eq!(others, [true; 3], "another owner's label is not there");
    storage
        .labels
        .delete(&ada, work.id, at(7))
        .await
        .expect("deleted");
    assert!(
        storage
            .labels
            .get(&ada, work.id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        storage
            .labels
            .get(&bob, bobs.id)
            .await
            .expect("read")
            .is_some()
    );
}

/// A task carries labels by name in the order given, each in its label's
/// stored spelling; a name without a label makes one; the same labels in
/// another case write nothing; a listing keeps the tasks that carry every
/// label asked for.
pub async fn a_task_carries_labels_by_name_and_is_listed_by_them(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    label(storage, ada, "Home").await;
    let both = labelled(storage, ada, "Both", &["work", "HOME", "Work"]).await;
    let home = labelled(storage, ada, "Home only", &["home"]).await;
    let none = labelled(storage, ada, "None", &[]).await;
    let bobs = labelled(storage, bob, "Bob's", &["Home"]).await;

    assert_eq!(both.labels, ["work", "Home"]);
    assert_eq!(home.labels, ["Home"]);
    assert!(none.labels.is_empty());
    assert_eq!(stored(storage, ada, &both).await.labels, ["work", "Home"]);
    let names: Vec<String> = storage
        .labels
        .list(&ada)
        .await
        .expect("listed")
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["Home", "work"], "the new label was made");

    assert_eq!(
        listed(storage, ada, &carrying(&["HOME"])).await,
        (vec![both.id, home.id], 2)
    );
    assert_eq!(
        listed(storage, ada, &carrying(&["home", "work"])).await,
        (vec![both.id], 1),
        "every label asked for"
    );
    assert_eq!(
        listed(storage, ada, &carrying(&["Elsewhere"])).await,
        (vec![], 0)
    );
    assert_eq!(
        listed(storage, bob, &carrying(&["home"])).await,
        (vec![bobs.id], 1)
    );

    let same = relabel(storage, ada, &both, &["WORK", "home"]).await;
    assert_eq!(same.version, 1, "the same labels write nothing");
    let swapped = relabel(storage, ada, &both, &["home", "Errands"]).await;
    assert_eq!(
        (swapped.labels.clone(), swapped.version),
        (vec!["Home".to_owned(), "Errands".to_owned()], 2)
    );
    assert_eq!(
        listed(storage, ada, &carrying(&["work"])).await,
        (vec![], 0),
        "a label taken off no longer lists the task"
    );
}

/// Renaming a label renames it on every task that carries it, and
/// deleting it takes it off them; each such task gets one version more.
pub async fn renaming_or_deleting_a_label_changes_its_tasks(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let home = label(storage, ada, "Home").await;
    let tagged = labelled(storage, ada, "Tagged", &["Work", "Home", "Errands"]).await;
    let other = labelled(storage, ada, "Other", &["Work"]).await;

    let rename = LabelChanges {
        name: Some(name("House")),
        ..LabelChanges::default()
    };
    storage
        .labels
        .update(&ada, home.id, rename, at(5))
        .await
        .expect("renamed");
    let renamed = stored(storage, ada, &tagged).await;
    assert_eq!(renamed.labels, ["Work", "House", "Errands"]);
    assert_eq!((renamed.version, renamed.updated_at), (2, at(5)));
    assert_eq!(stored(storage, ada, &other).await.version, 1, "untouched");
    assert_eq!(
        listed(storage, ada, &carrying(&["house"])).await,
        (vec![tagged.id], 1)
    );

    storage
        .labels
        .delete(&ada, home.id, at(6))
        .await
        .expect("deleted");
    let untagged = stored(storage, ada, &tagged).await;
    assert_eq!(untagged.labels, ["Work", "Errands"]);
    assert_eq!(untagged.version, 3);
    assert_eq!(
        listed(storage, ada, &carrying(&["house"])).await,
        (vec![], 0)
    );
}

/// An owner has at most [`MAX_LABELS_PER_USER`] labels, whether made
/// directly or by naming them on a task; existing ones stay usable.
pub async fn an_owner_has_at_most_500_labels(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    for i in 0..MAX_LABELS_PER_USER {
        label(storage, ada, &format!("label {i}")).await;
    }
    let one_more = NewLabel {
        name: name("one more"),
        color: None,
    };
    let refused = storage.labels.create(&ada, one_more, at(3)).await;
    assert!(
        matches!(refused, Err(Error::TooManyLabels { field: "name" })),
        "{refused:?}"
    );
    let mut task = new_task("Task", None, false);
    task.labels = labels(&["label 1", "one more"]);
    let refused = storage.tasks.create(&ada, task, at(4)).await;
    assert!(
        matches!(refused, Err(Error::TooManyLabels { field: "labels" })),
        "{refused:?}"
    );
    assert_eq!(
        listed(storage, ada, &TaskQuery::default()).await.1,
        0,
        "nothing stored"
    );
    let fine = labelled(storage, ada, "Fine", &["LABEL 7"]).await;
    assert_eq!(fine.labels, ["label 7"]);
}
