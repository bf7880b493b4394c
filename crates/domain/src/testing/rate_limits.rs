//! The [`RateLimitStore`](crate::rate_limit::RateLimitStore) contract.

use super::{Storage, join};

/// Takes a hit of `key` at `now` ms under a budget of three a minute.
async fn take(storage: &Storage, key: &str, now: i64) -> (bool, i64) {
    storage
        .rate_limits
        .take(key, now, 20_000, 60_000)
        .await
        .expect("taken")
}

/// A key bursts up to its limit, is refused with its arrival time
/// unchanged, and gets one more hit each interval after; keys do not share.
pub async fn a_key_bursts_to_its_limit_then_gets_one_hit_per_interval(storage: &Storage) {
    let burst = [
        take(storage, "ip:192.0.2.1", 0).await,
        take(storage, "ip:192.0.2.1", 0).await,
        take(storage, "ip:192.0.2.1", 0).await,
        take(storage, "ip:192.0.2.1", 0).await,
    ];
    let other = take(storage, "ip:192.0.2.2", 0).await;
    let refilled = take(storage, "ip:192.0.2.1", 20_000).await;
    let again = take(storage, "ip:192.0.2.1", 20_000).await;
    let much_later = take(storage, "ip:192.0.2.1", 1_000_000).await;

    assert_eq!(
        burst,
        [
            (true, 20_000),
            (true, 40_000),
            (true, 60_000),
            (false, 60_000)
        ]
    );
    assert_eq!(other, (true, 20_000));
    assert_eq!(refilled, (true, 80_000));
    assert_eq!(again, (false, 80_000));
    assert_eq!(
        much_later,
        (true, 1_020_000),
        "an old arrival time counts as now"
    );
}

/// Of two hits at once on the last bit of a budget, exactly one is
/// admitted.
pub async fn concurrent_hits_take_the_budget_once(storage: &Storage) {
    take(storage, "raced", 0).await;
    take(storage, "raced", 0).await;

    let (a, b) = join(take(storage, "raced", 0), take(storage, "raced", 0)).await;

    assert!(a.0 ^ b.0, "exactly one fits: {a:?} {b:?}");
    assert_eq!(take(storage, "raced", 0).await, (false, 60_000));
}

/// Purging forgets the keys whose arrival time is before the cutoff, and
/// only those.
pub async fn purging_forgets_keys_whose_budget_is_whole(storage: &Storage) {
    take(storage, "old", 0).await;
    take(storage, "recent", 50_000).await;

    let purged = storage.rate_limits.purge(30_000).await.expect("purged");

    assert_eq!(purged, 1);
    assert_eq!(
        take(storage, "recent", 50_000).await,
        (true, 90_000),
        "kept"
    );
}
