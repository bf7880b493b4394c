//! TaskPulse's domain: the task and account rules, free of I/O.
//!
//! This crate is the whole of TaskPulse's behaviour without its server:
//! validated values ([`user`], [`task`], [`session`], [`idempotency`]), the
//! ports through which the rules reach storage, cryptography and time
//! ([`ports`]), and the services that apply the rules: [`AuthService`]
//! (accounts, sign-in with lock-out, sessions with rotating refresh tokens,
//! access-token checks), [`TaskService`] (a user's tasks) and
//! [`IdempotencyService`] (at-most-once requests). It does no I/O and
//! starts no runtime: its async functions run on any executor.
//!
//! # The ports
//!
//! | port | what it keeps or does |
//! |---|---|
//! | [`UserRepository`](ports::UserRepository) | accounts, unique by lower-cased email; token version and lock-out state |
//! | [`TaskRepository`](ports::TaskRepository) | tasks, always addressed through their owner |
//! | [`LabelRepository`](ports::LabelRepository) | each owner's labels, matched by name case-insensitively |
//! | [`ChangeFeed`](changes::ChangeFeed) | each owner's change log: the sync feed, tombstones, activity |
//! | [`SessionRepository`](ports::SessionRepository) | sessions and their refresh tokens, by hash |
//! | [`IdempotencyStore`](idempotency::IdempotencyStore) | idempotency keys per owner, with the first answer |
//! | [`PasswordHasher`](ports::PasswordHasher) | password hashes |
//! | [`TokenCodec`](ports::TokenCodec) | signed access tokens |
//! | [`OpaqueTokens`](ports::OpaqueTokens) | random refresh tokens and their hashes |
//! | [`EmailVerificationStore`](verification::EmailVerificationStore) | email-verification links, by hash |
//! | [`SecurityLog`](security_log::SecurityLog) | each account's security events, for its user and the operator |
//! | [`AccessTokenStore`](access_token::AccessTokenStore) | personal access tokens, by the hash of their secret |
//! | [`Clock`](ports::Clock) | the current time |
//!
//! Each port method's documentation says what it must do and which
//! [`Error`] it must answer when; that is the contract an adapter follows.
//!
//! # Plugging in storage
//!
//! Implement the ports (the `taskpulse-infra` crate does it with SeaORM on
//! SQLite and PostgreSQL), wrap the adapters in `Arc`, and hand them to
//! [`AuthService::new`] (through [`AuthPorts`]), [`TaskService::new`] and
//! [`IdempotencyService::new`]. Nothing else holds state: services are
//! cheap to build once and share.
//!
//! Two features help:
//!
//! - `memory`: in-memory adapters for every port, in [`memory`] (one
//!   shared store, a fast test hasher, an HMAC token codec, clocks), for
//!   programs that embed the rules without a database and for fast tests.
//! - `testing`: the port contract suite, in [`testing`]: one check per rule
//!   of the storage ports, which any adapter can run against itself with
//!   [`port_contract_tests!`].
//!
//! # Ownership
//!
//! [`TaskService::for_owner`] opens the tasks of the owner a request
//! addresses for the request's bearer, and only the bearer's own: another
//! user's tasks are reported as [`Error::NotFound`], exactly like a task
//! that does not exist, so a caller can never learn that someone else's
//! task exists. Repository ports take the bearer and must put its user in
//! every query.
//!
//! # Offline sync
//!
//! Every write of a task or a label is recorded in its owner's change log,
//! in the same transaction, with the owner's next sequence number, and
//! numbers are handed out in commit order: a reader that has seen number
//! N never later finds a change below N. An adapter of the task and label
//! ports must keep that promise for every write (the SeaORM adapters do it
//! with database triggers, the memory adapters by comparing the owner's
//! rows before and after each write); the contract suite's `changes`
//! checks prove it, one of them with concurrent writers and a syncing
//! reader. [`OwnerTasks::changes`] then reads the feed from a
//! [`SyncCursor`](changes::SyncCursor) (a paged snapshot without one),
//! [`OwnerTasks::activity`] the log newest first, [`OwnerTasks::latest_change`]
//! the validator of listings, and [`OwnerTasks::export_head`] with
//! [`OwnerTasks::export_tasks`] everything of the owner's, a page at a
//! time, with the cursor that catches up on what was written meanwhile.
//! How a cursor looks on the wire is the server's business: the domain's
//! is a plain struct.
//!
//! # Example
//!
//! With the `memory` feature: register, create a task, list it, and see
//! that another user cannot read it.
//!
//! ```
//! # #[cfg(feature = "memory")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! use chrono::Duration;
//! use taskpulse_domain::memory::{
//!     HmacCodec, HmacOneTimeCodes, MemoryStore, RecordingMailer, SystemClock, TestPasswordHasher, UuidTokens,
//! };
//! use taskpulse_domain::ports::LockoutPolicy;
//! use taskpulse_domain::rate_limit::RateLimiter;
//! use taskpulse_domain::session::ClientInfo;
//! use taskpulse_domain::task::{NewTask, TaskQuery, Title};
//! use taskpulse_domain::user::{Email, Password, Registration, UserName};
//! use taskpulse_domain::{AuthPorts, AuthService, AuthSettings, Error, TaskService};
//!
//! let store = MemoryStore::new();
//! let clock = Arc::new(SystemClock);
//! let auth = AuthService::new(
//!     AuthPorts {
//!         users: Arc::new(store.users()),
//!         sessions: Arc::new(store.sessions()),
//!         hasher: Arc::new(TestPasswordHasher),
//!         tokens: Arc::new(HmacCodec::new(b"an example secret, 32 bytes long")),
//!         opaque: Arc::new(UuidTokens),
//!         access_tokens: Arc::new(store.access_tokens()),
//!         token_secrets: Arc::new(UuidTokens),
//!         factors: Arc::new(store.second_factors()),
//!         codes: Arc::new(HmacOneTimeCodes),
//!         mailer: Arc::new(RecordingMailer::new()),
//!         security: Arc::new(store.security_log()),
//!         verifications: Arc::new(store.email_verifications()),
//!         limiter: RateLimiter::new(Arc::new(store.rate_limits()), clock.clone()),
//!         clock: clock.clone(),
//!     },
//!     AuthSettings {
//!         access_token_ttl: Duration::hours(1),
//!         refresh_token_ttl: Duration::days(30),
//!         session_max_lifetime: Duration::days(90),
//!         lockout: LockoutPolicy {
//!             max_failures: 5,
//!             lockout: Duration::minutes(15),
//!         },
//!         max_external_token_ttl: Duration::days(1),
//!         require_verified_email: false,
//!         verification_ttl: Duration::hours(24),
//!     },
//! );
//! let tasks = TaskService::new(
//!     Arc::new(store.tasks()),
//!     Arc::new(store.labels()),
//!     Arc::new(store.users()),
//!     Arc::new(store.changes()),
//!     clock,
//!     Duration::days(30),
//! );
//!
//! futures_executor::block_on(async {
//!     let ada = auth
//!         .register(
//!             Registration {
//!                 name: UserName::parse("Ada")?,
//!                 email: Email::parse("ada@example.com")?,
//!                 password: Password::parse("correct horse battery")?,
//!             },
//!             ClientInfo::default(),
//!         )
//!         .await?;
//!     // A request's bearer: the token checked in memory; storage acts only
//!     // while the bearer is still live.
//!     let bearer = auth.bearer(&ada.access_token)?;
//!     let me = bearer.user_id;
//!     let mine = tasks.for_owner(bearer, Some(me)).await?;
//!     let new = NewTask::new(Title::parse("Write the report")?);
//!     let task = mine.create(new).await?;
//!
//!     let page = mine.list(&TaskQuery::default()).await?;
//!     assert_eq!(page.total, 1);
//!     assert_eq!(page.tasks[0].id, task.id);
//!     assert_eq!(page.tasks[0].title, "Write the report");
//!
//!     // An offline client's first sync is a snapshot; the next one brings
//!     // only what changed since its cursor.
//!     let (snapshot, cursor) = mine.changes(None, 100).await?;
//!     assert_eq!(snapshot.tasks, [task.clone()]);
//!     let renamed = taskpulse_domain::task::TaskChanges {
//!         title: Some(Title::parse("Send the report")?),
//!         ..Default::default()
//!     };
//!     mine.update(task.id, renamed, taskpulse_domain::task::Precondition::None).await?;
//!     let (since, _) = mine.changes(Some(cursor), 100).await?;
//!     assert_eq!(since.tasks[0].title, "Send the report");
//!
//!     let someone_else = taskpulse_domain::user::UserId::new_random();
//!     let peek = tasks.for_owner(bearer, Some(someone_else)).await;
//!     assert!(matches!(peek, Err(Error::NotFound)));
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "memory"))]
//! # fn main() {}
//! ```

#![deny(missing_docs)]
// The guide links to the feature-gated modules, which exist only with them.
#![cfg_attr(
    not(all(feature = "memory", feature = "testing")),
    allow(rustdoc::broken_intra_doc_links)
)]

pub mod access_token;
pub mod auth;
pub mod bearer;
pub mod changes;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod label;
pub mod mail;
#[cfg(feature = "memory")]
pub mod memory;
pub mod ports;
pub mod rate_limit;
pub mod reset;
pub mod second_factor;
pub mod security_log;
pub mod session;
pub mod task;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
mod text;
pub mod user;
pub mod verification;

pub use auth::{
    AuthPorts, AuthService, AuthSettings, Principal, ProfileChanges, SecondFactorStatus,
    SessionView, SignIn, Tokens, TotpEnrolment,
};
pub use bearer::{Bearer, Credential};
pub use error::{Error, Result};
pub use idempotency::IdempotencyService;
pub use tasks::{OwnerTasks, TaskService, TrashPurge};
