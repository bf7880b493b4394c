//! Listings in the [`TaskRepository`](crate::ports::TaskRepository)
//! contract: order, filters, search, pages and owner scoping.

use super::{bearer, create, create_with, listed, new_task, searching, sort};
use crate::task::{PageLimit, Precondition, Task, TaskId, TaskQuery};
use crate::testing::{Storage, at};

/// Listings are ordered by the sort field, ties broken by id in the same
/// direction (so a descending order is the ascending one reversed); the
/// default is newest first.
pub async fn the_listing_sorts_by_the_field_then_by_id_in_the_same_direction(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bravo = create(storage, ada, "bravo", 0).await;
    let alpha = create(storage, ada, "alpha", 0).await;
    let charlie = create(storage, ada, "charlie", 10).await;
    let second_alpha = create(storage, ada, "alpha", 5).await;
    for task in [&bravo, &charlie] {
        storage
            .tasks
            .toggle(&ada, task.id, Precondition::None, at(30))
            .await
            .expect("touched");
    }
    let by_id = |a: &Task, b: &Task| {
        let mut pair = [a.id, b.id];
        pair.sort();
        pair
    };
    let ascending = [
        (
            "created_at",
            [by_id(&bravo, &alpha), [second_alpha.id, charlie.id]],
        ),
        (
            "updated_at",
            [[alpha.id, second_alpha.id], by_id(&bravo, &charlie)],
        ),
        (
            "title",
            [by_id(&alpha, &second_alpha), [bravo.id, charlie.id]],
        ),
        ("id", {
            let mut ids = [bravo.id, alpha.id, charlie.id, second_alpha.id];
            ids.sort();
            [[ids[0], ids[1]], [ids[2], ids[3]]]
        }),
    ];

    for (field, halves) in ascending {
        let expected: Vec<TaskId> = halves.concat();
        let mut reversed = expected.clone();
        reversed.reverse();
        let up = TaskQuery {
            sort: sort(field),
            ..TaskQuery::default()
        };
        let down = TaskQuery {
            sort: sort(&format!("-{field}")),
            ..TaskQuery::default()
        };

        assert_eq!(listed(storage, ada, &up).await, (expected, 4), "{field}");
        assert_eq!(listed(storage, ada, &down).await, (reversed, 4), "-{field}");
    }
    let newest_first = listed(storage, ada, &TaskQuery::default()).await;
    let created_desc = TaskQuery {
        sort: sort("-created_at"),
        ..TaskQuery::default()
    };
    assert_eq!(newest_first, listed(storage, ada, &created_desc).await);
}

/// `completed` keeps only the tasks in that state.
pub async fn the_listing_filters_by_completion(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let done = create_with(storage, ada, new_task("Done", None, true), 0).await;
    let open = create_with(storage, ada, new_task("Open", None, false), 1).await;
    let also_done = create_with(storage, ada, new_task("Also done", None, true), 2).await;
    let only = |completed| TaskQuery {
        completed,
        sort: sort("created_at"),
        ..TaskQuery::default()
    };

    assert_eq!(
        listed(storage, ada, &only(Some(true))).await,
        (vec![done.id, also_done.id], 2)
    );
    assert_eq!(
        listed(storage, ada, &only(Some(false))).await,
        (vec![open.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &only(None)).await,
        (vec![done.id, open.id, also_done.id], 3)
    );
}

/// `search` matches a substring of the title or of the description,
/// ignoring the case of ASCII letters.
pub async fn search_matches_title_or_description_ignoring_ascii_case(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let in_title = create(storage, ada, "Buy MILK", 0).await;
    let in_description = create_with(
        storage,
        ada,
        new_task("Call mom", Some("about the Milkshake"), false),
        1,
    )
    .await;
    let dog = create_with(storage, ada, new_task("Walk", Some("the dog"), false), 2).await;
    let mut both = vec![in_title.id, in_description.id];
    both.sort();

    assert_eq!(
        listed(storage, ada, &searching("milk")).await,
        (both.clone(), 2)
    );
    assert_eq!(listed(storage, ada, &searching("mIlK")).await, (both, 2));
    assert_eq!(
        listed(storage, ada, &searching("DOG")).await,
        (vec![dog.id], 1)
    );
    assert_eq!(listed(storage, ada, &searching("cat")).await, (vec![], 0));
}

/// `search` finds text typed exactly as it was stored, whatever its
/// case and script.
pub async fn search_finds_text_in_the_case_it_was_stored(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let task = create_with(
        storage,
        ada,
        new_task("Ünïcode STRASSE", Some("Ωmega Ärger ΟΔΟΣ"), false),
        0,
    )
    .await;
    create(storage, ada, "plain", 1).await;

    for text in ["Ünï", "STRASSE", "Ωmega", "Ärger", "ΟΔΟΣ"] {
        assert_eq!(
            listed(storage, ada, &searching(text)).await,
            (vec![task.id], 1),
            "{text}"
        );
    }
}

/// `%`, `_` and `\` in a search match only themselves.
pub async fn search_wildcards_match_only_themselves(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let percent = create(storage, ada, "50% off", 0).await;
    create(storage, ada, "5000 off", 1).await;
    let underscore = create(storage, ada, "snake_case", 2).await;
    create(storage, ada, "snakeXcase", 3).await;
    let backslash = create(storage, ada, r"back\slash", 4).await;
    create(storage, ada, "backslash", 5).await;

    assert_eq!(
        listed(storage, ada, &searching("0%")).await,
        (vec![percent.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &searching("e_c")).await,
        (vec![underscore.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &searching(r"k\s")).await,
        (vec![backslash.id], 1)
    );
    assert_eq!(
        listed(storage, ada, &searching("%")).await,
        (vec![percent.id], 1)
    );
}

/// An empty `search` filters nothing.
pub async fn an_empty_search_filters_nothing(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let first = create(storage, ada, "One", 0).await;
    let second = create_with(storage, ada, new_task("Two", Some("text"), false), 1).await;
    let mut ids = vec![first.id, second.id];
    ids.sort();

    assert_eq!(listed(storage, ada, &searching("")).await, (ids, 2));
}

/// `limit` and `offset` cut one page out of the matches; `total` counts
/// every match, also when the page is past the end.
pub async fn the_listing_pages_and_counts_every_match(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let mut tasks = Vec::new();
    for n in 0..5 {
        tasks.push(create_with(storage, ada, new_task("Task", None, n % 2 == 0), n).await);
    }
    tasks.sort_by_key(|task| task.id);
    let ids: Vec<TaskId> = tasks.iter().map(|task| task.id).collect();
    let done: Vec<TaskId> = tasks.iter().filter(|t| t.completed).map(|t| t.id).collect();
    let page = |limit: u32, offset: u64, completed: Option<bool>| TaskQuery {
        completed,
        sort: sort("id"),
        limit: PageLimit::new(limit).expect("a valid limit"),
        offset,
        ..TaskQuery::default()
    };

    assert_eq!(
        listed(storage, ada, &page(2, 0, None)).await,
        (ids[0..2].to_vec(), 5)
    );
    assert_eq!(
        listed(storage, ada, &page(2, 2, None)).await,
        (ids[2..4].to_vec(), 5)
    );
    assert_eq!(
        listed(storage, ada, &page(2, 4, None)).await,
        (ids[4..].to_vec(), 5)
    );
    assert_eq!(listed(storage, ada, &page(2, 5, None)).await, (vec![], 5));
    assert_eq!(
        listed(storage, ada, &page(500, 1_000_000, None)).await,
        (vec![], 5)
    );
    assert_eq!(
        listed(storage, ada, &page(1, 1, Some(true))).await,
        (vec![done[1]], 3)
    );
}

/// A listing holds its owner's tasks only, whatever the filters.
pub async fn the_listing_shows_only_the_owners_tasks(storage: &Storage) {
    let ada = bearer(storage, "ada@example.com").await;
    let bob = bearer(storage, "bob@example.com").await;
    let mut adas = vec![
        create(storage, ada, "Ada's first", 0).await.id,
        create(storage, ada, "Ada's second", 1).await.id,
    ];
    adas.sort();
    let bobs = create(storage, bob, "Bob's", 2).await;
    let by_id = TaskQuery {
        sort: sort("id"),
        ..TaskQuery::default()
    };

    assert_eq!(listed(storage, ada, &by_id).await, (adas, 2));
    assert_eq!(listed(storage, bob, &by_id).await, (vec![bobs.id], 1));
    assert_eq!(listed(storage, ada, &searching("Bob")).await, (vec![], 0));
}
