//! The port contract suite (feature `testing`): checks that any adapter of
//! the storage ports must pass, whatever it stores in.
//!
//! Each check is a `pub async fn` taking one fresh, empty [`Storage`] and
//! panicking (through `assert!`) when the adapters break a rule of the
//! ports' documentation: owner scoping, not-found cases, unique emails,
//! version bumps, listing filters, order and pages, preconditions, lock-out
//! counting, session rotation, reuse and ending, idempotency claims,
//! reset tokens used once, rate-limit budgets, second factors and
//! sign-in challenges used once, personal access tokens (limit, owner,
//! revocation, token version, last use), and the races the ports forbid (a token rotated
//! twice, a key claimed twice, a reset token used twice, each by two calls
//! at once). The checks create the users their
//! tasks, sessions and keys belong to, so adapters with foreign keys pass
//! them too.
//!
//! [`port_contract_tests!`](crate::port_contract_tests) turns the whole
//! suite into one `#[test]` per check, each handed to a runner that makes
//! the fresh storage, runs the check and cleans up. A check can also be
//! called by hand:
//!
//! ```
//! use std::sync::Arc;
//!
//! use taskpulse_domain::memory::MemoryStore;
//! use taskpulse_domain::testing::{self, Storage};
//!
//! let store = MemoryStore::new();
//! let storage = Storage {
//!     users: Arc::new(store.users()),
//!     tasks: Arc::new(store.tasks()),
//!     labels: Arc::new(store.labels()),
//!     sessions: Arc::new(store.sessions()),
//!     idempotency: Arc::new(store.idempotency()),
//!     password_resets: Arc::new(store.password_resets()),
//!     rate_limits: Arc::new(store.rate_limits()),
//!     second_factors: Arc::new(store.second_factors()),
//!     security_log: Arc::new(store.security_log()),
//!     email_verifications: Arc::new(store.email_verifications()),
//!     job_leases: Arc::new(store.job_leases()),
//!     changes: Arc::new(store.changes()),
//!     access_tokens: Arc::new(store.access_tokens()),
//! };
//!
//! futures_executor::block_on(testing::tasks::another_owners_task_behaves_like_a_missing_one(
//!     &storage,
//! ));
//! ```

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::access_token::AccessTokenStore;
use crate::changes::ChangeFeed;
use crate::idempotency::IdempotencyStore;
use crate::jobs::JobLeases;
use crate::ports::{LabelRepository, SessionRepository, TaskRepository, UserRepository};
use crate::rate_limit::RateLimitStore;
use crate::reset::PasswordResetStore;
use crate::second_factor::SecondFactorStore;
use crate::security_log::SecurityLog;
use crate::user::{Email, NewUser, PasswordHash, User, UserId, UserName};
use crate::verification::EmailVerificationStore;

/// Asserts that a result is the error `$pattern`, saying what was tried.
macro_rules! assert_error {
    ($result:expr, $pattern:pat, $($what:tt)+) => {{
        let result = $result;
        assert!(
            matches!(result, Err($pattern)),
            "{}: expected {}, got {:?}",
            format_args!($($what)+),
            stringify!($pattern),
            result
        );
    }};
}

pub mod access_tokens;
pub mod changes;
pub mod idempotency;
pub mod jobs;
pub mod labels;
pub mod rate_limits;
pub mod resets;
pub mod second_factors;
pub mod security_log;
pub mod sessions;
pub mod tasks;
pub mod users;
pub mod verifications;

/// The storage adapters under test, all over one fresh, empty store.
#[derive(Clone)]
pub struct Storage {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Tasks.
    pub tasks: Arc<dyn TaskRepository>,
    /// Labels.
    pub labels: Arc<dyn LabelRepository>,
    /// Sessions and refresh tokens.
    pub sessions: Arc<dyn SessionRepository>,
    /// Idempotency keys.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Password-reset tokens.
    pub password_resets: Arc<dyn PasswordResetStore>,
    /// Rate-limit state.
    pub rate_limits: Arc<dyn RateLimitStore>,
    /// Second factors, recovery codes and sign-in challenges.
    pub second_factors: Arc<dyn SecondFactorStore>,
    /// Security events.
    pub security_log: Arc<dyn SecurityLog>,
    /// Email-verification links.
    pub email_verifications: Arc<dyn EmailVerificationStore>,
    /// Leases of jobs.
    pub job_leases: Arc<dyn JobLeases>,
    /// The change log, which task and label writes record.
    pub changes: Arc<dyn ChangeFeed>,
    /// Personal access tokens.
    pub access_tokens: Arc<dyn AccessTokenStore>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage").finish_non_exhaustive()
    }
}

/// What running one check gives: a future that panics if the check fails.
pub type CheckFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One check of the suite, ready to run on the storage it is given.
pub type Check = fn(Storage) -> CheckFuture;

/// One `#[test]` per check of the suite, in modules named after the ports
/// (`users`, `tasks`, `labels`, `sessions`, `idempotency`, `resets`, `rate_limits`,
/// `second_factors`, `security_log`, `verifications`, `changes`, `jobs`,
/// `access_tokens`): invoke it in a module of
/// its own. (A new check must be added to its list here.)
///
/// `$runner` is a `fn(Check)` (or a path to one): for each test it makes
/// fresh, empty [`Storage`], runs the [`Check`] on it to completion with
/// the executor of its choice, and cleans up. It may return early to skip
/// (when a database server is unreachable, say).
///
/// ```
/// use std::sync::Arc;
///
/// use taskpulse_domain::memory::MemoryStore;
/// use taskpulse_domain::testing::{Check, Storage};
///
/// fn on_a_fresh_store(check: Check) {
///     let store = MemoryStore::new();
///     let storage = Storage {
///         users: Arc::new(store.users()),
///         tasks: Arc::new(store.tasks()),
///         labels: Arc::new(store.labels()),
///         sessions: Arc::new(store.sessions()),
///         idempotency: Arc::new(store.idempotency()),
///         password_resets: Arc::new(store.password_resets()),
///         rate_limits: Arc::new(store.rate_limits()),
///         second_factors: Arc::new(store.second_factors()),
///         security_log: Arc::new(store.security_log()),
///         email_verifications: Arc::new(store.email_verifications()),
///         job_leases: Arc::new(store.job_leases()),
///         changes: Arc::new(store.changes()),
///         access_tokens: Arc::new(store.access_tokens()),
///     };
///     futures_executor::block_on(check(storage));
/// }
///
/// taskpulse_domain::port_contract_tests!(on_a_fresh_store);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! port_contract_tests {
    ($runner:expr) => {
        /// Runs one check of the port contract suite.
        fn run_port_contract_check(check: $crate::testing::Check) {
            ($runner)(check)
        }

        $crate::port_contract_tests!(@port users [
            a_created_user_is_found_by_id_and_by_email,
            an_inactive_account_is_stored_inactive,
            unknown_users_are_absent,
            emails_are_unique,
            a_rename_changes_the_name_only,
            writes_to_a_missing_user_are_not_found,
            changing_the_password_bumps_the_token_version_once_lifts_the_lock_and_ends_sessions,
            setting_a_password_hash_keeps_the_token_version,
            failed_logins_lock_the_account_when_they_reach_the_limit,
            an_expired_lock_starts_the_count_again_at_one,
            clearing_failed_logins_resets_the_count_and_an_expired_lock_only,
            the_token_subject_tells_whether_the_users_session_is_live,
            the_token_subject_tells_whether_the_users_access_token_is_live,
            deleting_a_user_deletes_their_tasks_and_sessions,
        ]);
        $crate::port_contract_tests!(@port tasks [
            a_created_task_starts_at_version_one,
            another_owners_task_behaves_like_a_missing_one,
            a_missing_task_is_not_found,
            an_update_writes_the_changes_and_bumps_the_version_once,
            an_update_to_the_values_a_task_has_writes_nothing,
            the_description_is_cleared_only_when_asked,
            a_stale_version_changes_nothing,
            a_matching_version_writes,
            a_toggle_flips_completion_and_bumps_the_version,
            a_deleted_task_is_gone,
            the_listing_sorts_by_the_field_then_by_id_in_the_same_direction,
            the_listing_filters_by_completion,
            search_matches_title_or_description_ignoring_ascii_case,
            search_finds_text_in_the_case_it_was_stored,
            search_wildcards_match_only_themselves,
            an_empty_search_filters_nothing,
            the_listing_pages_and_counts_every_match,
            the_listing_shows_only_the_owners_tasks,
            the_priority_is_stored_changed_filtered_and_sorted,
            the_completion_time_is_set_kept_and_cleared,
            the_due_time_is_stored_sorted_and_filtered,
            overdue_tasks_are_open_and_past_their_deadline,
            subtasks_nest_under_the_owners_tasks_at_most_four_levels_deep,
            a_move_refuses_cycles_and_depth_and_changes_nothing_then,
            deleting_a_task_deletes_its_subtasks,
            tasks_keep_their_manual_order,
            concurrent_moves_never_make_a_cycle,
            a_batch_writes_every_op_or_none,
            a_batch_cannot_touch_another_owners_task,
            creates_in_a_batch_go_last_in_order,
            batched_creates_store_what_single_creates_store,
            a_deleted_task_waits_in_the_trash_until_restored,
            a_restored_subtask_whose_parent_is_gone_comes_back_at_the_top,
            a_restored_task_that_would_be_too_deep_comes_back_at_the_top,
            a_purged_task_is_gone_for_good,
            another_owners_trash_is_out_of_reach,
            the_trash_is_purged_of_what_was_deleted_before_a_time,
            every_stored_task_is_read_once_in_the_order_it_was_created,
            a_bearer_that_is_not_live_reads_and_writes_nothing,
            a_deleted_users_bearer_reads_and_writes_nothing,
        ]);
        $crate::port_contract_tests!(@port labels [
            a_label_is_created_listed_changed_and_deleted,
            a_task_carries_labels_by_name_and_is_listed_by_them,
            renaming_or_deleting_a_label_changes_its_tasks,
            an_owner_has_at_most_500_labels,
        ]);
        $crate::port_contract_tests!(@port sessions [
            a_started_session_is_listed_as_live,
            live_sessions_are_listed_newest_first_without_ended_or_expired_ones,
            a_rotation_uses_up_the_token_and_renews_the_session,
            a_rotated_token_presented_again_is_reused,
            unknown_expired_and_ended_tokens_are_invalid,
            ending_a_session_takes_its_owner,
            ending_by_token_ends_that_session_only,
            ending_all_sessions_can_spare_one,
            concurrent_presentations_of_a_token_rotate_once,
            a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed,
        ]);
        $crate::port_contract_tests!(@port idempotency [
            a_free_key_is_claimed_once,
            a_finished_request_is_replayed,
            keys_belong_to_their_owner,
            a_released_key_can_be_claimed_again,
            an_expired_key_is_free_again,
            an_abandoned_claim_is_free_again,
            purging_removes_keys_created_before_the_cutoff,
            concurrent_claims_of_a_free_key_start_once,
        ]);
        $crate::port_contract_tests!(@port resets [
            a_reset_token_is_found_until_it_is_redeemed_once,
            redeeming_sets_the_password_and_ends_every_session,
            expired_and_unknown_reset_tokens_are_refused,
            a_token_of_an_older_token_version_redeems_nothing,
            concurrent_redemptions_of_a_reset_token_succeed_once,
        ]);
        $crate::port_contract_tests!(@port rate_limits [
            a_key_bursts_to_its_limit_then_gets_one_hit_per_interval,
            concurrent_hits_take_the_budget_once,
            purging_forgets_keys_whose_budget_is_whole,
        ]);
        $crate::port_contract_tests!(@port second_factors [
            totp_is_pending_until_enabled_with_its_own_secret,
            a_time_step_is_used_once_and_only_after_the_last,
            a_recovery_code_is_used_once_by_its_owner,
            recovery_codes_are_replaced_only_while_totp_is_on,
            disabling_forgets_the_secret_and_the_recovery_codes,
            a_challenge_is_found_until_redeemed_once_or_expired,
            concurrent_uses_of_a_step_a_code_or_a_challenge_succeed_once,
            deleting_a_user_deletes_their_second_factor,
        ]);
        $crate::port_contract_tests!(@port security_log [
            events_are_listed_newest_first_to_their_user_only,
            the_listing_pages_by_id,
            deleting_a_user_deletes_their_events,
        ]);
        $crate::port_contract_tests!(@port verifications [
            a_link_verifies_its_address_once,
            a_link_for_a_new_address_moves_the_account_and_drops_the_others,
            expired_and_unknown_links_redeem_nothing,
            a_link_from_before_a_password_change_redeems_nothing,
            a_newer_link_for_an_address_replaces_the_older,
            a_link_to_an_address_taken_meanwhile_changes_nothing,
            purging_deletes_expired_links_only,
            deleting_a_user_deletes_their_links,
            concurrent_redemptions_of_a_link_succeed_once,
        ]);
        $crate::port_contract_tests!(@port changes [
            every_write_is_recorded_once_per_row,
            the_feed_gives_each_change_once_and_every_deletion,
            another_owners_changes_are_out_of_reach,
            forgetting_old_changes_keeps_the_feed_whole,
            a_reader_syncing_during_concurrent_writes_ends_with_every_task,
            a_listing_carries_the_owners_latest_change,
        ]);
        $crate::port_contract_tests!(@port access_tokens [
            live_tokens_are_listed_newest_first_and_count_against_the_limit,
            expired_tokens_are_neither_listed_nor_counted,
            only_the_owner_revokes_a_token,
            a_password_change_or_deletion_ends_every_token,
            last_use_is_written_once_per_period,
        ]);
        $crate::port_contract_tests!(@port jobs [
            a_lease_is_held_by_one_caller_until_it_ends,
            concurrent_callers_get_a_free_lease_once,
        ]);
    };
    (@port $port:ident [$($check:ident),* $(,)?]) => {
        mod $port {
            $(
                #[test]
                fn $check() {
                    fn check(storage: $crate::testing::Storage) -> $crate::testing::CheckFuture {
                        ::std::boxed::Box::pin(async move {
                            $crate::testing::$port::$check(&storage).await
                        })
                    }
                    super::run_port_contract_check(check);
                }
            )*
        }
    };
}

/// The suite's moment `seconds` after its fixed start. Timestamps carry
/// microseconds, which every adapter keeps exactly.
fn at(seconds: i64) -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
        .single()
        .expect("a valid start");
    start + Duration::microseconds(123_456) + Duration::seconds(seconds)
}

/// An account to store, created at the suite's start.
fn new_user(email: &str) -> NewUser {
    let user = User {
        id: UserId::new_random(),
        email: Email::parse(email).expect("a valid email"),
        name: UserName::parse("Test User").expect("a valid name"),
        is_active: true,
        email_verified: false,
        created_at: at(0),
        updated_at: at(0),
    };
    NewUser {
        user,
        password_hash: PasswordHash::new("stored-hash".into()),
    }
}

/// Stores an account and returns its id.
async fn user(storage: &Storage, email: &str) -> UserId {
    storage
        .users
        .create(new_user(email))
        .await
        .expect("user stored")
        .id
}

/// Runs two futures at once, interleaved at their await points (on one
/// task, so with any executor), and answers both outputs.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut a_out, mut b_out) = (None, None);
    poll_fn(|cx| {
        if a_out.is_none()
            && let Poll::Ready(out) = a.as_mut().poll(cx)
        {
            a_out = Some(out);
        }
        if b_out.is_none()
            && let Poll::Ready(out) = b.as_mut().poll(cx)
        {
            b_out = Some(out);
        }
        match (a_out.take(), b_out.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (a_out, b_out) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}
