//! Listing pages as they were sent, kept per owner and query, and sent
//! again while the database's [`TasksStamp`] of the owner's tasks is the
//! same as when the page was read. Checking the stamp is one small
//! statement, which also checks that the bearer is still live, so a page is
//! never sent to a revoked token, nor after a write through any replica.
//! A write through this server also sets the owner's pages aside, from
//! its start to its end, so the next listing reads without asking for the
//! stamp first.

use std::sync::{Mutex, PoisonError};

use actix_web::web::Bytes;
use hashlink::LruCache;
use taskpulse_domain::task::{TaskQuery, TasksStamp};
use taskpulse_domain::user::UserId;

/// Which listing a page answers: the owner's tasks under one query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListKey {
    /// Whose tasks.
    pub owner: UserId,
    /// Filters, order and page.
    pub query: TaskQuery,
}

/// A page as it was sent, with the stamp of the owner's tasks it was read at.
#[derive(Debug, Clone)]
pub struct CachedPage {
    /// The owner's tasks' stamp when the page was read.
    pub stamp: TasksStamp,
    /// Matches before paging (`X-Total-Count`).
    pub total: u64,
    /// Tasks on the page.
    pub shown: u64,
    /// The JSON body.
    pub body: Bytes,
}

/// The most recently used pages within a byte budget, shared by the
/// workers. An entry counts its body, its search text and
/// [`ENTRY_OVERHEAD`].
#[derive(Debug)]
pub struct ListCache {
    budget: usize,
    inner: Mutex<Pages>,
}

/// What an entry costs besides its body and search text: key, stamp,
/// counts, the body's handle and the LRU list's links.
pub const ENTRY_OVERHEAD: usize = 256;

/// The bytes `page` takes under `key`.
fn cost(key: &ListKey, page: &CachedPage) -> usize {
    page.body.len() + key.query.search.as_ref().map_or(0, String::len) + ENTRY_OVERHEAD
}

/// Owners whose latest write through this server is remembered (older
/// ones fall back on the stamp alone).
const MOST_WRITERS: usize = 4096;

#[derive(Debug)]
struct Pages {
    /// Each page with the owner's write mark when it was kept.
    pages: LruCache<ListKey, (CachedPage, u64)>,
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
                pages: LruCache::new_unbounded(),
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
    /// through this server since it was read.
    pub fn get(&self, key: &ListKey) -> Option<CachedPage> {
        let mut pages = self.pages();
        let mark = pages.mark(key.owner);
        match pages.pages.get(key) {
            Some((page, kept_at)) if *kept_at == mark => Some(page.clone()),
            _ => None,
        }
    }

    /// Marks a write of `owner`'s tasks through this server now, and again
    /// when the guard is dropped, after the write: a page read before or
    /// while the write ran is not sent again.
    pub fn writing(&self, owner: UserId) -> Writing<'_> {
        self.written(owner);
        Writing { cache: self, owner }
    }

    fn written(&self, owner: UserId) {
        let mut pages = self.pages();
        pages.last_write += 1;
        let mark = pages.last_write;
        pages.writes.insert(owner, mark);
    }

    /// Keeps `page`, read after `seen`, for `key`, in place of any page
    /// kept for it before.
    pub fn put(&self, key: ListKey, page: CachedPage, seen: WriteMark) {
        let size = cost(&key, &page);
        let mut pages = self.pages();
        pages.take(&key);
        if size > self.budget / 16 {
            return;
        }
        while pages.bytes + size > self.budget {
            let Some((old_key, (old, _))) = pages.pages.remove_lru() else {
                break;
            };
            pages.bytes -= cost(&old_key, &old);
        }
        pages.bytes += size;
        pages.pages.insert(key, (page, seen.0));
    }

    /// Forgets the page kept for `key`, if any.
    pub fn remove(&self, key: &ListKey) {
        self.pages().take(key);
    }
}

/// The owner's latest write through this server, as [`ListCache::seen`]
/// read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteMark(u64);

/// A write in progress (see [`ListCache::writing`]).
#[derive(Debug)]
#[must_use = "the write is marked again when the guard is dropped"]
pub struct Writing<'a> {
    cache: &'a ListCache,
    owner: UserId,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.cache.written(self.owner);
    }
}

impl Pages {
    /// The mark of `owner`'s latest write remembered, 0 for none.
    fn mark(&mut self, owner: UserId) -> u64 {
        self.writes.peek(&owner).copied().unwrap_or(0)
    }

    fn take(&mut self, key: &ListKey) {
        if let Some((old, _)) = self.pages.remove(key) {
            self.bytes -= cost(key, &old);
        }
    }
}

#[cfg(test)]
mod tests {
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
            shown: 1,
            body: Bytes::from(vec![b'x'; size]),
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
    fn a_page_read_before_or_while_a_write_ran_is_set_aside_when_it_ends() {
        let cache = ListCache::new(BUDGET);
        let (before, during) = (key(0), key(1));
        let owner = before.owner;
        let during = ListKey { owner, ..during };

        let seen_before = cache.seen(owner);
        let write = cache.writing(owner);
        keep(&cache, during.clone(), page(1, 100));
        cache.put(before.clone(), page(1, 100), seen_before);
        assert!(cache.get(&before).is_none());
        assert!(cache.get(&during).is_some(), "the stamp decides meanwhile");

        drop(write);

        assert!(cache.get(&during).is_none());
        keep(&cache, during.clone(), page(2, 100));
        assert!(cache.get(&during).is_some());
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
}
