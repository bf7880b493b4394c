//! Listing pages as they were sent, kept per owner and query, and sent
//! again while the database's [`TasksStamp`] of the owner's tasks is the
//! same as when the page was read. Checking the stamp is one small
//! statement, which also checks that the bearer is still live, so a page is
//! never sent to a revoked token, nor after a write through any replica.
//!
//! When a write through this server ends, it sets the owner's pages aside,
//! so that no listing asks for a stamp that has changed; but a write that
//! changed one task and says what it did to the stamp
//! ([`Writing::changed`]) patches each page it cannot have reordered or
//! refiltered instead: the task in place of its previous version, the
//! stamp moved by the change. A patch that guessed wrong only makes a stamp
//! that storage never takes, so the next listing reads the page again.

use std::sync::{Mutex, PoisonError};

use actix_web::web::Bytes;
use hashlink::LruCache;
use taskpulse_domain::task::{ChangedTask, SortField, StampChange, Task, TaskQuery, TasksStamp};
use taskpulse_domain::user::UserId;

use crate::dto::page_body;

/// Which listing a page answers: the owner's tasks under one query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListKey {
    /// Whose tasks.
    pub owner: UserId,
    /// Filters, order and page.
    pub query: TaskQuery,
}

/// A page as it was read, with the stamp of the owner's tasks it was read at.
#[derive(Debug, Clone)]
pub struct CachedPage {
    /// The owner's tasks' stamp when the page was read.
    pub stamp: TasksStamp,
    /// Matches before paging (`X-Total-Count`).
    pub total: u64,
    /// Tasks on the page, in order.
    pub tasks: Vec<Task>,
    /// The JSON body of `tasks`.
    pub body: Bytes,
}

/// What a kept page sends again.
#[derive(Debug, Clone)]
pub struct KeptPage {
    /// The stamp the page is right at.
    pub stamp: TasksStamp,
    /// Matches before paging (`X-Total-Count`).
    pub total: u64,
    /// Tasks on the page.
    pub shown: u64,
    /// The JSON body.
    pub body: Bytes,
}

/// The most recently used owners' pages within a byte budget, shared by
/// the workers. A page counts its body, its tasks, its search text and
/// [`ENTRY_OVERHEAD`].
#[derive(Debug)]
pub struct ListCache {
    budget: usize,
    inner: Mutex<Pages>,
}

/// What a page costs besides its body, tasks and search text: its query,
/// stamp, counts, the body's handle and the LRU list's share.
pub const ENTRY_OVERHEAD: usize = 256;

/// Pages kept per owner at most (the oldest goes first).
const MOST_PAGES_PER_OWNER: usize = 16;

/// Owners whose latest write through this server is remembered (older
/// ones fall back on the stamp alone).
const MOST_WRITERS: usize = 4096;

/// One kept page.
#[derive(Debug)]
struct Entry {
    query: TaskQuery,
    page: CachedPage,
    /// The owner's write mark when the page was kept or last patched.
    kept_at: u64,
}

impl Entry {
    /// The bytes this entry takes.
    fn cost(&self) -> usize {
        let tasks: usize = self
            .page
            .tasks
            .iter()
            .map(|task| {
                size_of::<Task>()
                    + task.title.len()
                    + task.description.as_ref().map_or(0, String::len)
            })
            .sum();
        self.page.body.len()
            + tasks
            + self.query.search.as_ref().map_or(0, String::len)
            + ENTRY_OVERHEAD
    }

    /// Applies a write that left `task` and moved the stamp by `change`;
    /// false when the page cannot follow it.
    fn patch(&mut self, task: &Task, change: StampChange) -> bool {
        let page = &mut self.page;
        match page.tasks.iter().position(|shown| shown.id == task.id) {
            Some(at) => {
                let before = &page.tasks[at];
                if before.version == task.version {
                    // Read after the write, or a write of nothing: the
                    // page already shows it.
                    return before == task;
                }
                if change == StampChange(0)
                    || before.version + 1 != task.version
                    || !keeps_place(&self.query, Some(before), task)
                {
                    return false;
                }
                page.tasks[at] = task.clone();
                let Ok(body) = page_body(&page.tasks) else {
                    return false;
                };
                page.body = body;
            }
            None if !keeps_place(&self.query, None, task) => return false,
            None => {}
        }
        page.stamp = page.stamp.after(change);
        true
    }
}

/// Whether a write that left `after` of a task shown on the page as
/// `before` (`None`: not on it) leaves the page's matches and order as
/// they were.
fn keeps_place(query: &TaskQuery, before: Option<&Task>, after: &Task) -> bool {
    let filtered = query.completed.is_none()
        || before.is_some_and(|before| before.completed == after.completed);
    let searched = query.search.is_none()
        || before.is_some_and(|before| {
            before.title == after.title && before.description == after.description
        });
    let ordered = match query.sort.field {
        SortField::CreatedAt | SortField::Id => true,
        SortField::Title => before.is_some_and(|before| before.title == after.title),
        SortField::UpdatedAt => false,
    };
    filtered && searched && ordered
}

#[derive(Debug)]
struct Pages {
    /// Each owner's pages.
    owners: LruCache<UserId, Vec<Entry>>,
    bytes: usize,
    /// The mark of each owner's latest write through this server.
    writes: LruCache<UserId, u64>,
    last_write: u64,
}

impl ListCache {
    /// A cache whose entries take at most `budget` bytes in all; an entry
    /// over a sixteenth of it is not kept.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::new(Pages {
                owners: LruCache::new_unbounded(),
                bytes: 0,
                writes: LruCache::new(MOST_WRITERS),
                last_write: 0,
            }),
        }
    }

    fn pages(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The mark of `owner`'s latest write through this server: read it
    /// before reading a page, and keep the page with it.
    pub fn seen(&self, owner: UserId) -> WriteMark {
        WriteMark(self.pages().mark(owner))
    }

    /// The page kept for `key`, if any and if the owner wrote nothing
    /// through this server since it was read (or last patched).
    pub fn get(&self, key: &ListKey) -> Option<KeptPage> {
        let mut pages = self.pages();
        let mark = pages.mark(key.owner);
        let entry = pages
            .owners
            .get(&key.owner)?
            .iter()
            .find(|entry| entry.query == key.query && entry.kept_at == mark)?;
        Some(KeptPage {
            stamp: entry.page.stamp,
            total: entry.page.total,
            shown: entry.page.tasks.len() as u64,
            body: entry.page.body.clone(),
        })
    }

    /// A write of `owner`'s tasks through this server, marked when it ends:
    /// a page read before then is not sent again, unless
    /// [`Writing::changed`] patched it. While the write runs, pages are
    /// sent as the stamp allows.
    pub fn writing(&self, owner: UserId) -> Writing<'_> {
        Writing {
            cache: self,
            owner,
            ended: false,
        }
    }

    /// Keeps `page`, read after `seen`, for `key`, in place of any page
    /// kept for it before; unless a write of the owner's through this
    /// server ended since `seen`, which leaves the page kept before (the
    /// write may have patched it).
    pub fn put(&self, key: ListKey, page: CachedPage, seen: WriteMark) {
        let entry = Entry {
            query: key.query,
            page,
            kept_at: seen.0,
        };
        let size = entry.cost();
        let mut pages = self.pages();
        if pages.mark(key.owner) != seen.0 {
            return;
        }
        pages.take(key.owner, &entry.query);
        if size > self.budget / 16 {
            return;
        }
        while pages.bytes + size > self.budget {
            let Some((_, gone)) = pages.owners.remove_lru() else {
                break;
            };
            pages.bytes -= gone.iter().map(Entry::cost).sum::<usize>();
        }
        let Pages { owners, bytes, .. } = &mut *pages;
        let owned = owners.entry(key.owner).or_insert_with(Vec::new);
        if owned.len() == MOST_PAGES_PER_OWNER {
            *bytes -= owned.remove(0).cost();
        }
        *bytes += size;
        owned.push(entry);
    }

    /// Forgets the page kept for `key`, if any.
    pub fn remove(&self, key: &ListKey) {
        self.pages().take(key.owner, &key.query);
    }
}

/// The owner's latest write through this server, as [`ListCache::seen`]
/// read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteMark(u64);

/// A write in progress (see [`ListCache::writing`]).
#[derive(Debug)]
#[must_use = "the write is marked when the guard is dropped"]
pub struct Writing<'a> {
    cache: &'a ListCache,
    owner: UserId,
    ended: bool,
}

impl Writing<'_> {
    /// Ends a write that left `changed`: marks it, and patches the
    /// owner's pages that can follow it (the others are dropped).
    pub fn changed(mut self, changed: &ChangedTask) {
        self.ended = true;
        let largest = self.cache.budget / 16;
        let mut pages = self.cache.pages();
        let current = pages.mark(self.owner);
        let mark = pages.written(self.owner);
        let Some(change) = changed.stamp_change else {
            return;
        };
        let Pages { owners, bytes, .. } = &mut *pages;
        let Some(owned) = owners.peek_mut(&self.owner) else {
            return;
        };
        owned.retain_mut(|entry| {
            *bytes -= entry.cost();
            // A page set aside by an earlier write stays aside.
            if entry.kept_at != current || !entry.patch(&changed.task, change) {
                return false;
            }
            let size = entry.cost();
            if size > largest {
                return false;
            }
            entry.kept_at = mark;
            *bytes += size;
            true
        });
        if owned.is_empty() {
            owners.remove(&self.owner);
        }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.cache.pages().written(self.owner);
        }
    }
}

impl Pages {
    /// The mark of `owner`'s latest write remembered, 0 for none.
    fn mark(&mut self, owner: UserId) -> u64 {
        self.writes.peek(&owner).copied().unwrap_or(0)
    }

    /// Marks a write of `owner`'s now; returns the mark.
    fn written(&mut self, owner: UserId) -> u64 {
        self.last_write += 1;
        let mark = self.last_write;
        self.writes.insert(owner, mark);
        mark
    }

    fn take(&mut self, owner: UserId, query: &TaskQuery) {
        let Some(owned) = self.owners.peek_mut(&owner) else {
            return;
        };
        if let Some(at) = owned.iter().position(|entry| entry.query == *query) {
            let gone = owned.remove(at);
            self.bytes -= gone.cost();
        }
        if owned.is_empty() {
            self.owners.remove(&owner);
        }
    }
}

#[cfg(test)]
mod tests {
    use taskpulse_domain::task::TaskId;

    use super::*;

    /// Room for 16 entries with 100-byte bodies.
    const BUDGET: usize = 16 * (100 + ENTRY_OVERHEAD);

    fn key(offset: u64) -> ListKey {
        ListKey {
            owner: UserId::new_random(),
            query: TaskQuery {
                offset,
                ..TaskQuery::default()
            },
        }
    }

    fn page(stamp: i64, size: usize) -> CachedPage {
        CachedPage {
            stamp: TasksStamp(stamp),
            total: 1,
            tasks: Vec::new(),
            body: Bytes::from(vec![b'x'; size]),
        }
    }

    fn task(owner: UserId, id: i64, version: i64, completed: bool) -> Task {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 + id, 0).expect("a time");
        Task {
            id: TaskId::new(id).expect("positive"),
            owner,
            title: format!("Task {id}"),
            description: None,
            completed,
            version,
            created_at: at,
            updated_at: at + chrono::Duration::seconds(version),
        }
    }

    /// A page of `tasks` at stamp 100, as a listing sent it.
    fn listed(tasks: Vec<Task>) -> CachedPage {
        CachedPage {
            stamp: TasksStamp(100),
            total: tasks.len() as u64,
            body: page_body(&tasks).expect("a body"),
            tasks,
        }
    }

    /// Ends a write through `cache` that left `task` and moved the stamp by 7.
    fn write(cache: &ListCache, task: &Task) {
        cache.writing(task.owner).changed(&ChangedTask {
            task: task.clone(),
            stamp_change: Some(StampChange(7)),
        });
    }

    fn query(raw_sort: &str, completed: Option<bool>) -> TaskQuery {
        TaskQuery {
            completed,
            sort: raw_sort.parse().expect("a sort"),
            ..TaskQuery::default()
        }
    }

    /// Keeps `page` as a listing that read it just now would.
    fn keep(cache: &ListCache, key: ListKey, page: CachedPage) {
        let seen = cache.seen(key.owner);
        cache.put(key, page, seen);
    }

    #[test]
    fn a_page_is_kept_per_owner_and_query() {
        let cache = ListCache::new(BUDGET);
        let first = key(0);
        let other_query = ListKey {
            query: TaskQuery {
                offset: 1,
                ..TaskQuery::default()
            },
            ..first.clone()
        };
        let other_owner = ListKey {
            owner: UserId::new_random(),
            ..first.clone()
        };

        keep(&cache, first.clone(), page(1, 10));
        keep(&cache, first.clone(), page(2, 10));

        assert_eq!(cache.get(&first).map(|p| p.stamp), Some(TasksStamp(2)));
        assert!(cache.get(&other_query).is_none());
        assert!(cache.get(&other_owner).is_none());
    }

    #[test]
    fn the_least_recently_used_pages_go_to_stay_within_the_budget() {
        let cache = ListCache::new(BUDGET);
        let (a, b, c) = (key(0), key(0), key(0));
        keep(&cache, a.clone(), page(1, 100));
        keep(&cache, b.clone(), page(1, 100));
        assert!(cache.get(&a).is_some());

        for _ in 0..14 {
            keep(&cache, key(0), page(1, 100));
        }
        keep(&cache, c.clone(), page(1, 100));

        assert!(cache.get(&b).is_none(), "b was used least recently");
        assert!(cache.get(&c).is_some());
        assert!(cache.pages().bytes <= BUDGET);
    }

    #[test]
    fn a_body_over_a_sixteenth_of_the_budget_is_not_kept_and_drops_the_old_page() {
        let cache = ListCache::new(BUDGET);
        let k = key(0);
        keep(&cache, k.clone(), page(1, 100));

        keep(&cache, k.clone(), page(2, 101));

        assert!(cache.get(&k).is_none());
        assert_eq!(cache.pages().bytes, 0);
    }

    #[test]
    fn a_write_through_this_server_sets_the_owners_pages_aside_only() {
        let cache = ListCache::new(BUDGET);
        let (mine, other) = (key(0), key(0));
        keep(&cache, mine.clone(), page(1, 100));
        keep(&cache, other.clone(), page(1, 100));

        drop(cache.writing(mine.owner));

        assert!(cache.get(&mine).is_none());
        assert!(cache.get(&other).is_some());
        keep(&cache, mine.clone(), page(2, 100));
        assert_eq!(cache.get(&mine).map(|p| p.stamp), Some(TasksStamp(2)));
    }

    #[test]
    fn a_page_read_before_a_write_ended_is_set_aside_when_it_ends() {
        let cache = ListCache::new(BUDGET);
        let (before, during) = (key(0), key(1));
        let owner = before.owner;
        let during = ListKey { owner, ..during };

        let seen_before = cache.seen(owner);
        let write = cache.writing(owner);
        keep(&cache, during.clone(), page(1, 100));
        assert!(cache.get(&during).is_some(), "the stamp decides meanwhile");
        drop(write);
        cache.put(before.clone(), page(1, 100), seen_before);

        assert!(cache.get(&before).is_none());
        assert!(cache.get(&during).is_none());
        keep(&cache, during.clone(), page(2, 100));
        assert!(cache.get(&during).is_some());
    }

    #[test]
    fn a_page_read_before_a_write_ended_leaves_the_page_it_patched() {
        let (cache, key) = one_owner(TaskQuery::default());
        let owner = key.owner;
        let open = task(owner, 1, 1, false);
        keep(&cache, key.clone(), listed(vec![open.clone()]));
        let seen_before = cache.seen(owner);

        write(&cache, &task(owner, 1, 2, true));
        cache.put(key.clone(), listed(vec![open]), seen_before);

        assert_eq!(cache.get(&key).map(|p| p.stamp), Some(TasksStamp(100 ^ 7)));
    }

    #[test]
    fn a_removed_page_gives_back_its_bytes() {
        let cache = ListCache::new(BUDGET);
        let k = key(0);
        keep(&cache, k.clone(), page(1, 100));

        cache.remove(&k);

        assert!(cache.get(&k).is_none());
        assert_eq!(cache.pages().bytes, 0);
    }

    #[test]
    fn a_write_that_cannot_move_its_task_patches_the_page_and_its_stamp() {
        let (cache, key) = one_owner(TaskQuery::default());
        let owner = key.owner;
        let (first, second) = (task(owner, 1, 1, false), task(owner, 2, 1, false));
        keep(&cache, key.clone(), listed(vec![first, second.clone()]));
        let done = task(owner, 1, 2, true);

        write(&cache, &done);

        let kept = cache.get(&key).expect("patched");
        assert_eq!(kept.stamp, TasksStamp(100 ^ 7));
        assert_eq!(kept.shown, 2);
        assert_eq!(kept.body, page_body(&[done, second]).expect("a body"));
    }

    #[test]
    fn a_task_off_the_page_moves_only_the_stamp() {
        let (cache, key) = one_owner(TaskQuery::default());
        let owner = key.owner;
        let shown = listed(vec![task(owner, 2, 1, false)]);
        let body = shown.body.clone();
        keep(&cache, key.clone(), shown);

        write(&cache, &task(owner, 1, 2, true));

        let kept = cache.get(&key).expect("patched");
        assert_eq!((kept.stamp, kept.body), (TasksStamp(100 ^ 7), body));
    }

    #[test]
    fn a_page_that_already_shows_the_write_keeps_its_stamp() {
        let (cache, key) = one_owner(TaskQuery::default());
        let owner = key.owner;
        let done = task(owner, 1, 2, true);
        let writing = cache.writing(owner);
        keep(&cache, key.clone(), listed(vec![done.clone()]));

        writing.changed(&ChangedTask {
            task: done,
            stamp_change: Some(StampChange(7)),
        });

        assert_eq!(cache.get(&key).map(|p| p.stamp), Some(TasksStamp(100)));
    }

    #[test]
    fn a_page_that_cannot_follow_the_write_is_dropped() {
        let owner = UserId::new_random();
        let open = task(owner, 1, 1, false);
        let done = task(owner, 1, 2, true);
        let mut renamed = task(owner, 1, 2, false);
        renamed.title = "Renamed".into();
        let cases = [
            (
                "a version skipped",
                query("-created_at", None),
                vec![open.clone()],
                task(owner, 1, 3, true),
            ),
            (
                "updated_at order",
                query("updated_at", None),
                vec![open.clone()],
                done.clone(),
            ),
            (
                "leaves the filter",
                query("-created_at", Some(false)),
                vec![open.clone()],
                done.clone(),
            ),
            (
                "may enter the filter",
                query("-created_at", Some(true)),
                vec![],
                done.clone(),
            ),
            (
                "title order, renamed",
                query("title", None),
                vec![open.clone()],
                renamed.clone(),
            ),
            (
                "title order, off the page",
                query("title", None),
                vec![],
                done.clone(),
            ),
        ];
        for (what, query, tasks, after) in cases {
            let cache = ListCache::new(1 << 20);
            let key = ListKey { owner, query };
            keep(&cache, key.clone(), listed(tasks));

            write(&cache, &after);

            assert!(cache.get(&key).is_none(), "{what}");
            assert_eq!(cache.pages().bytes, 0, "{what}");
        }
    }

    #[test]
    fn a_write_that_says_nothing_of_the_stamp_sets_the_pages_aside() {
        let (cache, key) = one_owner(query("title", None));
        let owner = key.owner;
        keep(&cache, key.clone(), listed(vec![task(owner, 1, 1, false)]));

        cache.writing(owner).changed(&ChangedTask {
            task: task(owner, 1, 2, true),
            stamp_change: None,
        });

        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn a_change_that_keeps_the_filter_and_the_order_patches_a_filtered_page() {
        let (cache, key) = one_owner(query("title", Some(false)));
        let owner = key.owner;
        keep(&cache, key.clone(), listed(vec![task(owner, 1, 1, false)]));
        let mut described = task(owner, 1, 2, false);
        described.description = Some("Details".into());

        write(&cache, &described);

        let kept = cache.get(&key).expect("patched");
        assert_eq!(kept.body, page_body(&[described]).expect("a body"));
    }

    #[test]
    fn a_page_set_aside_by_an_earlier_write_is_not_patched() {
        let (cache, key) = one_owner(TaskQuery::default());
        let owner = key.owner;
        keep(&cache, key.clone(), listed(vec![task(owner, 1, 1, false)]));
        drop(cache.writing(owner));

        write(&cache, &task(owner, 1, 2, true));

        assert!(cache.get(&key).is_none());
        assert_eq!(cache.pages().bytes, 0);
    }

    #[test]
    fn a_write_of_nothing_keeps_only_pages_that_show_the_task_as_it_is() {
        let owner = UserId::new_random();
        let key = ListKey {
            owner,
            query: TaskQuery::default(),
        };
        let nothing = |task: Task| ChangedTask {
            task,
            stamp_change: Some(StampChange(0)),
        };
        let (current, older) = (cache_with(&key, 2), cache_with(&key, 1));

        current
            .writing(owner)
            .changed(&nothing(task(owner, 1, 2, false)));
        older
            .writing(owner)
            .changed(&nothing(task(owner, 1, 2, false)));

        assert_eq!(current.get(&key).map(|p| p.stamp), Some(TasksStamp(100)));
        assert!(older.get(&key).is_none(), "the page is older than the task");
    }

    /// An empty cache, and a key of a new owner's under `query`.
    fn one_owner(query: TaskQuery) -> (ListCache, ListKey) {
        let key = ListKey {
            owner: UserId::new_random(),
            query,
        };
        (ListCache::new(1 << 20), key)
    }

    /// A cache keeping a page of task 1 at `version` for `key`.
    fn cache_with(key: &ListKey, version: i64) -> ListCache {
        let cache = ListCache::new(1 << 20);
        keep(
            &cache,
            key.clone(),
            listed(vec![task(key.owner, 1, version, false)]),
        );
        cache
    }
}
