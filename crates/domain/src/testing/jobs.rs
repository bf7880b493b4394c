//! The [`JobLeases`](crate::jobs::JobLeases) contract.

use super::{Storage, at, join};

/// A lease goes to one caller until it ends, then to the next; each job
/// has its own.
pub async fn a_lease_is_held_by_one_caller_until_it_ends(storage: &Storage) {
    let leases = &storage.job_leases;
    let take = |now, until| leases.acquire("purge", at(now), at(until));

    assert!(take(0, 60).await.expect("answered"), "a job never taken");
    assert!(!take(30, 90).await.expect("answered"), "held until 60");
    assert!(
        leases
            .acquire("other", at(30), at(90))
            .await
            .expect("answered")
    );
    assert!(take(60, 120).await.expect("answered"), "free again at 60");
    assert!(!take(61, 200).await.expect("answered"), "held until 120");
}

/// Of two callers asking for a free lease at once, exactly one gets it.
pub async fn concurrent_callers_get_a_free_lease_once(storage: &Storage) {
    let leases = &storage.job_leases;
    let (first, second) = join(
        leases.acquire("purge", at(0), at(60)),
        leases.acquire("purge", at(0), at(60)),
    )
    .await;
    let mut granted = [first.expect("answered"), second.expect("answered")];
    granted.sort_unstable();
    assert_eq!(granted, [false, true]);
}
